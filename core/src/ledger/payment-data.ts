import type { Decimal } from 'decimal.js';
import type { PaymentData } from '../contracts/payment-data.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { CustomerGatewayAccount, Payment, Transaction } from './model.js';
import type { PaymentOperation } from './operations.js';
import { copyAddress } from './payment-address.js';

/** Successful transactions whose gateway id later operations refer to (Saleor's "last ... transaction token"). */
const REFERENCE_KINDS: Readonly<Record<PaymentOperation, readonly TransactionKind[]>> = {
  process: [],
  authorize: [],
  capture: ['auth'],
  refund: ['capture'],
  void: ['auth', 'action_to_confirm'],
  confirm: ['action_to_confirm'],
};

/**
 * The token a follow-up operation sends: the gateway id of the last
 * successful applied transaction of the right kind (capture and void use the
 * authorization, refund the capture, confirm the action_to_confirm), else the
 * payment's PSP reference.
 */
export function referenceToken(operation: PaymentOperation, payment: Payment, transactions: readonly Transaction[]): string | null {
  const kinds = REFERENCE_KINDS[operation];
  for (let i = transactions.length - 1; i >= 0; i--) {
    const t = transactions[i] as Transaction;
    if (t.state === 'applied' && t.isSuccess && t.gatewayTransactionId && kinds.includes(t.kind)) return t.gatewayTransactionId;
  }
  return payment.pspReference;
}

export interface PaymentDataInput {
  operation: PaymentOperation;
  payment: Payment;
  /** The pending transaction the call is made for: its key goes to the gateway. */
  transaction: Transaction;
  amount: Decimal;
  /** The payment's transactions before this one (for follow-up tokens). */
  transactions: readonly Transaction[];
  /** The customer's stored gateway account, when the payment reuses the card on file. */
  account: CustomerGatewayAccount | null;
  /** Extra gateway data from the caller. */
  data?: Record<string, unknown> | null;
}

export function graphqlPaymentId(paymentId: string): string {
  return Buffer.from(`Payment:${paymentId}`, 'utf8').toString('base64');
}

/**
 * Builds seed 001's PaymentData for one gateway call.
 * - `customerId` is the host's customer id; when the payment reuses a card on
 *   file, `reuseSource` is true, the token is null and the stored gateway
 *   customer id travels as `data.gatewayCustomerId`;
 * - `data.storePaymentMethod` asks the gateway to keep the card;
 * - `idempotencyKey` is the transaction's gateway key (stable across retries).
 */
export function buildPaymentData(input: PaymentDataInput): PaymentData {
  const { operation, payment, account } = input;
  const charging = operation === 'process' || operation === 'authorize';
  const reuse = charging && !payment.token && account !== null;
  const data: Record<string, unknown> = { ...(input.data ?? {}) };
  if (charging && payment.storePaymentMethod) data['storePaymentMethod'] = true;
  if (reuse && account) data['gatewayCustomerId'] = account.gatewayCustomerId;
  return {
    amount: input.amount,
    paymentId: payment.id,
    graphqlPaymentId: graphqlPaymentId(payment.id),
    currency: payment.currency,
    // Copies: a plugin changing what it got changes nothing the ledger keeps.
    billing: copyAddress(payment.billing),
    shipping: copyAddress(payment.shipping),
    orderId: typeof payment.metadata['orderId'] === 'string' ? payment.metadata['orderId'] : null,
    customerIpAddress: payment.customerIpAddress ?? null,
    customerEmail: payment.customerEmail ?? '',
    token: charging ? (reuse ? null : payment.token) : referenceToken(operation, payment, input.transactions),
    customerId: payment.customerId,
    reuseSource: reuse,
    data: Object.keys(data).length > 0 ? data : null,
    idempotencyKey: input.transaction.gatewayIdempotencyKey,
  };
}
