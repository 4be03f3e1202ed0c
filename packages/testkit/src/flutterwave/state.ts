import { randomBytes } from 'node:crypto';

export type FakeTransactionStatus = 'successful' | 'failed' | 'pending';

/** A transaction as Flutterwave's verify endpoint returns it (`data`). Amounts are major units. */
export interface FakeTransaction {
  id: number;
  tx_ref: string;
  flw_ref: string;
  device_fingerprint: string;
  amount: number;
  currency: string;
  charged_amount: number;
  app_fee: number;
  merchant_fee: number;
  processor_response: string;
  auth_model: string;
  ip: string;
  narration: string;
  status: FakeTransactionStatus;
  payment_type: string;
  created_at: string;
  account_id: number;
  amount_settled: number;
  card: { first_6digits: string; last_4digits: string; issuer: string; country: string; type: string; token: string; expiry: string };
  meta: Record<string, unknown> | null;
  customer: { id: number; name: string; phone_number: string; email: string; created_at: string };
}

export interface FakeFlutterwaveRefund {
  id: number;
  account_id: number;
  tx_id: number;
  flw_ref: string;
  wallet_id: number;
  amount_refunded: number;
  status: FakeRefundStatus;
  destination: string;
  comments: string | null;
  meta: { source: string };
  created_at: string;
}

/**
 * Flutterwave's refund statuses: not finished (`pending`, `pending-momo`, `processing`), then final: `failed`,
 * or completed under a name per payment type (`completed-mpgs` for cards, ...: its refund status table).
 */
export type FakeRefundStatus = FakeRefundOngoingStatus | FakeRefundFinalStatus;
export type FakeRefundOngoingStatus = 'pending' | 'pending-momo' | 'processing';
export type FakeRefundFinalStatus =
  | 'completed'
  | 'complete'
  | 'completed-bank-transfer'
  | 'completed-momo'
  | 'completed-mpgs'
  | 'completed-offline'
  | 'completed-preauth'
  | 'failed';

const ONGOING_REFUND: ReadonlySet<FakeRefundStatus> = new Set<FakeRefundStatus>(['pending', 'pending-momo', 'processing']);

/** refund.completed as Flutterwave v3 sends it: PascalCase names, no currency, no tx_ref. */
export interface FakeRefundWebhookData {
  id: number;
  AmountRefunded: number;
  status: FakeRefundStatus;
  FlwRef: string;
  destination: string;
  comments: string | null;
  settlement_id: string;
  meta: string;
  createdAt: string;
  updatedAt: string;
  walletId: number;
  AccountId: number;
  TransactionId: number;
}

export class FlutterwaveApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the customer's Inline checkout produced. */
export interface PayOptions {
  tx_ref: string;
  amount: number | string;
  currency: string;
  status?: FakeTransactionStatus;
  /** Bank / processor message, e.g. "Insufficient funds" for a failed charge. */
  processorResponse?: string;
  last4?: string;
  meta?: Record<string, unknown> | null;
  /** What the customer was charged when the fees are passed to them (amount + fee); default: the amount. */
  chargedAmount?: number | string;
}

const SCALE = 1000;

/** Amounts are kept as major-unit numbers (as the API sends them); sums use scaled integers. */
function scaled(n: number): number {
  return Math.round(n * SCALE);
}

function positiveAmount(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new FlutterwaveApiError(400, 'amount must be a positive number');
  return n;
}

/** Transactions and refunds of one fake Flutterwave account, with the API's rules. */
export class FlutterwaveState {
  readonly transactions = new Map<number, FakeTransaction>();
  readonly refunds = new Map<number, FakeFlutterwaveRefund>();
  private nextId = 4_000_000 + (randomBytes(2).readUInt16BE(0) % 1000) * 1000;
  private readonly refunded = new Map<number, number>();
  /** The status new refunds get (Flutterwave answers `pending` when it has not finished a refund yet). */
  refundStatus: FakeRefundStatus = 'completed';

  pay(options: PayOptions): FakeTransaction {
    this.nextId += 1;
    const id = this.nextId;
    const amount = positiveAmount(options.amount);
    const status = options.status ?? 'successful';
    const created = new Date().toISOString();
    const tx: FakeTransaction = {
      id,
      tx_ref: options.tx_ref,
      flw_ref: `FLW-MOCK-${id}`,
      device_fingerprint: 'N/A',
      amount,
      currency: options.currency,
      charged_amount: options.chargedAmount === undefined ? amount : positiveAmount(options.chargedAmount),
      app_fee: Math.round(amount * 14) / 1000,
      merchant_fee: 0,
      processor_response: options.processorResponse ?? (status === 'successful' ? 'Approved by Financial Institution' : status === 'pending' ? 'Pending validation' : 'Declined'),
      auth_model: 'PIN',
      ip: '127.0.0.1',
      narration: 'CARD Transaction ',
      status,
      payment_type: 'card',
      created_at: created,
      account_id: 17321,
      amount_settled: amount,
      card: { first_6digits: '553188', last_4digits: options.last4 ?? '2950', issuer: 'MASTERCARD  CREDIT', country: 'NG', type: 'MASTERCARD', token: `flw-t1nf-${id}-m03k`, expiry: '09/32' },
      meta: options.meta ?? null,
      customer: { id: 1000 + (id % 1000), name: 'Ada Buyer', phone_number: '08000000000', email: 'buyer@example.com', created_at: created },
    };
    this.transactions.set(id, tx);
    return tx;
  }

  transaction(id: string | number): FakeTransaction {
    const tx = /^\d+$/.test(String(id)) ? this.transactions.get(Number(id)) : undefined;
    if (!tx) throw new FlutterwaveApiError(400, 'No transaction was found for this id');
    return tx;
  }

  byReference(txRef: string | undefined): FakeTransaction {
    const tx = [...this.transactions.values()].reverse().find((t) => t.tx_ref === txRef);
    if (!tx) throw new FlutterwaveApiError(400, 'No transaction was found for this tx_ref');
    return tx;
  }

  refund(id: string | number, body: Record<string, unknown>): FakeFlutterwaveRefund {
    const tx = this.transaction(id);
    if (tx.status !== 'successful') throw new FlutterwaveApiError(400, 'Only successful transactions can be refunded');
    const already = this.refunded.get(tx.id) ?? 0;
    const left = scaled(tx.amount) - already;
    if (left <= 0) throw new FlutterwaveApiError(400, 'Transaction has been fully refunded');
    const amount = body['amount'] === undefined ? left / SCALE : positiveAmount(body['amount']);
    if (scaled(amount) > left) throw new FlutterwaveApiError(400, 'Refund amount cannot be greater than the amount left on the transaction');
    if (this.refundStatus !== 'failed') this.refunded.set(tx.id, already + scaled(amount));
    this.nextId += 1;
    const refund: FakeFlutterwaveRefund = {
      id: this.nextId,
      account_id: tx.account_id,
      tx_id: tx.id,
      flw_ref: tx.flw_ref,
      wallet_id: 18250,
      amount_refunded: amount,
      status: this.refundStatus,
      destination: 'payment_source',
      comments: typeof body['comments'] === 'string' ? body['comments'] : null,
      meta: { source: 'availablebalance' },
      created_at: new Date().toISOString(),
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }

  /** Flutterwave finishes a pending refund: `completed` (or another final name), or `failed` (the amount is refundable again). */
  settleRefund(id: string | number, status: FakeRefundFinalStatus = 'completed'): FakeFlutterwaveRefund {
    const refund = this.findRefund(id);
    if (ONGOING_REFUND.has(refund.status) && status === 'failed') {
      this.refunded.set(refund.tx_id, (this.refunded.get(refund.tx_id) ?? 0) - scaled(refund.amount_refunded));
    }
    refund.status = status;
    return refund;
  }

  /** The refund.completed payload for `id`, in Flutterwave v3's webhook shape. */
  refundWebhookData(id: string | number): FakeRefundWebhookData {
    const r = this.findRefund(id);
    return {
      id: r.id,
      AmountRefunded: r.amount_refunded,
      status: r.status,
      FlwRef: r.flw_ref,
      destination: r.destination,
      comments: r.comments,
      settlement_id: 'NEW',
      meta: JSON.stringify(r.meta),
      createdAt: r.created_at,
      updatedAt: new Date().toISOString(),
      walletId: r.wallet_id,
      AccountId: r.account_id,
      TransactionId: r.tx_id,
    };
  }

  findRefund(id: string | number): FakeFlutterwaveRefund {
    const refund = /^\d+$/.test(String(id)) ? this.refunds.get(Number(id)) : undefined;
    if (!refund) throw new FlutterwaveApiError(400, 'No refund was found for this id');
    return refund;
  }

  /** GET /v3/transactions: filters (status, tx_ref, currency, from, to) and pages of `size` (default 10). */
  list(query: Record<string, string>): { meta: { page_info: { total: number; current_page: number; total_pages: number } }; data: FakeTransaction[] } {
    const from = query['from'] ? Date.parse(query['from']) : null;
    const to = query['to'] ? Date.parse(query['to']) + 86_400_000 : null;
    const items = [...this.transactions.values()]
      .reverse()
      .filter((t) => (!query['status'] || t.status === query['status']) && (!query['tx_ref'] || t.tx_ref === query['tx_ref']))
      .filter((t) => (!query['currency'] || t.currency === query['currency']) && (from === null || Date.parse(t.created_at) >= from) && (to === null || Date.parse(t.created_at) < to));
    const size = Number(query['size'] ?? 10) || 10;
    const page = Math.max(Number(query['page'] ?? 1) || 1, 1);
    const data = items.slice((page - 1) * size, page * size);
    return { meta: { page_info: { total: items.length, current_page: page, total_pages: Math.max(Math.ceil(items.length / size), 1) } }, data };
  }

  reset(): void {
    this.transactions.clear();
    this.refunds.clear();
    this.refunded.clear();
    this.refundStatus = 'completed';
  }
}
