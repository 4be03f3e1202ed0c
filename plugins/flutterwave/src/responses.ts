import { failedGatewayResponse, type CreditCardInfo, type Decimal, type GatewayResponse, type TransactionKind } from '@payhost/core';
import { fromFlutterwaveAmount } from './amounts.js';
import type { MappedError } from './errors.js';
import type { FlwCard, FlwRefund, FlwTransaction } from './sdk.js';

/** Machine reasons of failures the plugin detects itself (in rawResponse.code). */
export const FLUTTERWAVE_FAILURES = {
  invalidToken: 'invalid_token',
  referenceMismatch: 'reference_mismatch',
  /** An unbound tx_ref (issued before the payment existed) without meta naming the payment, and no pin. */
  unboundReference: 'unbound_reference',
  amountMismatch: 'amount_mismatch',
  currencyMismatch: 'currency_mismatch',
  notSuccessful: 'transaction_not_successful',
  unknownTransaction: 'unknown_transaction',
  configuration: 'invalid_configuration',
} as const;

/** The parts of a transaction worth keeping (no customer details). */
export function transactionSummary(tx: FlwTransaction): Record<string, unknown> {
  return {
    object: 'flutterwave_transaction',
    id: tx.id,
    tx_ref: tx.tx_ref,
    flw_ref: tx.flw_ref,
    status: tx.status,
    amount: tx.amount,
    charged_amount: tx.charged_amount,
    currency: tx.currency,
    payment_type: tx.payment_type,
    processor_response: tx.processor_response,
    created_at: tx.created_at,
  };
}

/** Card details as Flutterwave reports them (last 4 digits, brand, "MM/YY" expiry); null when absent. */
export function cardInfo(card: FlwCard | undefined): CreditCardInfo | null {
  if (!card?.last_4digits) return null;
  const [mm, yy] = (card.expiry ?? '').split('/');
  const expMonth = Number(mm);
  const expYear = Number(yy);
  return {
    last4: card.last_4digits,
    brand: (card.type ?? 'unknown').toLowerCase(),
    expMonth: Number.isInteger(expMonth) ? expMonth : 0,
    expYear: Number.isInteger(expYear) ? (expYear < 100 ? 2000 + expYear : expYear) : 0,
    nameOnCard: null,
  };
}

export function transactionResponse(kind: TransactionKind, tx: FlwTransaction, extra: Partial<GatewayResponse> = {}): GatewayResponse {
  return {
    isSuccess: true,
    actionRequired: false,
    kind,
    amount: fromFlutterwaveAmount(tx.amount),
    currency: tx.currency,
    transactionId: String(tx.id),
    error: null,
    errorCode: null,
    customerId: null,
    cardInfo: cardInfo(tx.card),
    rawResponse: transactionSummary(tx),
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: String(tx.id),
    ...extra,
  };
}

/**
 * A Flutterwave refund status as a transaction kind. Flutterwave's refund
 * status table names the final statuses by payment type: `complete`,
 * `completed`, `completed-mpgs` (card), `completed-preauth`, `completed-momo`,
 * `completed-bank-transfer`, `completed-offline` -> refund; `failed` ->
 * refund_failed; `pending`, `pending-momo`, `processing` (and anything else)
 * -> refund_ongoing, which moves no money in the ledger until the
 * refund.completed webhook or reconciliation records the refund.
 */
export function refundKind(status: string): TransactionKind {
  const s = String(status).trim().toLowerCase();
  if (s === 'complete' || s === 'completed' || s.startsWith('completed-')) return 'refund';
  if (s === 'failed') return 'refund_failed';
  return 'refund_ongoing';
}

/**
 * A refund as a ledger response. `requested`: the amount the refund call asked for. Flutterwave's docs
 * show `amount_refunded` equal to it, but do not say whether a second partial refund answers its own
 * amount or the transaction's running total; a refund never gives back more than was asked, so a
 * larger figure is the total, and the amount asked is recorded.
 */
export function refundResponse(refund: FlwRefund, currency: string, requested?: Decimal): GatewayResponse {
  const kind = refundKind(refund.status);
  const failed = kind === 'refund_failed';
  const answered = fromFlutterwaveAmount(refund.amount_refunded);
  return {
    isSuccess: !failed,
    actionRequired: false,
    kind,
    amount: requested !== undefined && answered.greaterThan(requested) ? requested : answered,
    currency,
    transactionId: String(refund.id),
    error: failed ? `Flutterwave refund ${refund.id} failed` : null,
    errorCode: failed ? 'processing_error' : null,
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'flutterwave_refund', id: refund.id, tx_id: refund.tx_id, status: refund.status, amount_refunded: refund.amount_refunded, created_at: refund.created_at },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: String(refund.tx_id),
  };
}

export interface FailureContext {
  amount: Decimal;
  currency: string;
  pspReference?: string | null;
  reason?: string;
  raw?: Record<string, unknown>;
}

/** A failed response: never thrown; the unified code with Flutterwave's message kept. */
export function failedResponse(kind: TransactionKind, mapped: MappedError, ctx: FailureContext): GatewayResponse {
  return failedGatewayResponse({
    kind,
    amount: ctx.amount,
    currency: ctx.currency,
    errorCode: mapped.errorCode,
    message: mapped.message,
    pspReference: ctx.pspReference ?? null,
    rawResponse: { object: 'flutterwave_error', ...(ctx.reason ? { code: ctx.reason } : {}), flutterwave: mapped.details, ...(ctx.raw ?? {}) },
  });
}

/** A failure the plugin detected itself (bad token, mismatch): processing_error with a machine reason. */
export function rejectedResponse(kind: TransactionKind, reason: string, message: string, ctx: Omit<FailureContext, 'reason'>): GatewayResponse {
  return failedResponse(kind, { errorCode: 'processing_error', message, details: {} }, { ...ctx, reason });
}
