import { Decimal } from 'decimal.js';
import { isTransactionErrorCode } from '../contracts/error-codes.js';
import { PayhostError } from '../errors/index.js';
import { isoText } from './iso-text.js';
import { jsonCopy } from './json-copy.js';
import { GatewayDeclinedError } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { copyAddress } from './payment-address.js';

/**
 * JSON forms of payments, transactions and errors: what an idempotency
 * record keeps so a repeated request gets the recorded result back (Decimals
 * as strings, Dates as ISO strings).
 */
type Jsonify<T, D extends keyof T, A extends keyof T> = Omit<T, D | A> & { [K in D]: string } & { [K in A]: string };

export type PaymentJson = Jsonify<Payment, 'total' | 'authorizedAmount' | 'capturedAmount', 'createdAt' | 'updatedAt'>;
export type TransactionJson = Jsonify<Transaction, 'amount', 'createdAt' | 'updatedAt'>;

export interface ErrorJson {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The result of one idempotent operation, as stored. */
export type StoredOutcome =
  | { ok: true; payment: PaymentJson; transaction: TransactionJson | null }
  | { ok: false; error: ErrorJson; payment?: PaymentJson; transaction?: TransactionJson | null };

export function encodePayment(p: Payment): PaymentJson {
  return {
    id: p.id,
    channel: p.channel,
    gateway: p.gateway,
    chargeStatus: p.chargeStatus,
    total: p.total.toString(),
    authorizedAmount: p.authorizedAmount.toString(),
    capturedAmount: p.capturedAmount.toString(),
    currency: p.currency,
    customerId: p.customerId,
    customerEmail: p.customerEmail,
    token: p.token,
    pspReference: p.pspReference,
    toConfirm: p.toConfirm,
    isActive: p.isActive,
    storePaymentMethod: p.storePaymentMethod,
    metadata: jsonCopy(p.metadata) ?? {},
    billing: copyAddress(p.billing),
    shipping: copyAddress(p.shipping),
    customerIpAddress: p.customerIpAddress ?? null,
    createdAt: isoText(p.createdAt),
    updatedAt: isoText(p.updatedAt),
    version: p.version,
  };
}

export function decodePayment(j: PaymentJson): Payment {
  return {
    id: j.id,
    channel: j.channel,
    gateway: j.gateway,
    chargeStatus: j.chargeStatus,
    total: new Decimal(j.total),
    authorizedAmount: new Decimal(j.authorizedAmount),
    capturedAmount: new Decimal(j.capturedAmount),
    currency: j.currency,
    customerId: j.customerId ?? null,
    customerEmail: j.customerEmail ?? null,
    token: j.token ?? null,
    pspReference: j.pspReference ?? null,
    toConfirm: j.toConfirm,
    isActive: j.isActive,
    storePaymentMethod: j.storePaymentMethod,
    metadata: jsonCopy(j.metadata) ?? {},
    // Outcomes recorded before these were kept have none.
    billing: copyAddress(j.billing),
    shipping: copyAddress(j.shipping),
    customerIpAddress: j.customerIpAddress ?? null,
    createdAt: new Date(j.createdAt),
    updatedAt: new Date(j.updatedAt),
    version: j.version,
  };
}

export function encodeTransaction(t: Transaction): TransactionJson {
  return {
    id: t.id,
    paymentId: t.paymentId,
    kind: t.kind,
    state: t.state,
    isSuccess: t.isSuccess,
    actionRequired: t.actionRequired,
    actionRequiredData: t.actionRequiredData === null ? null : (jsonCopy(t.actionRequiredData) ?? null),
    amount: t.amount.toString(),
    currency: t.currency,
    errorCode: t.errorCode,
    error: t.error,
    gatewayTransactionId: t.gatewayTransactionId,
    pspReference: t.pspReference,
    customerId: t.customerId,
    rawResponse: t.rawResponse === null ? null : (jsonCopy(t.rawResponse) ?? null),
    requestData: t.requestData ? (jsonCopy(t.requestData) ?? null) : null,
    idempotencyKey: t.idempotencyKey,
    gatewayIdempotencyKey: t.gatewayIdempotencyKey,
    createdAt: isoText(t.createdAt),
    updatedAt: isoText(t.updatedAt),
  };
}

export function decodeTransaction(j: TransactionJson): Transaction {
  return {
    id: j.id,
    paymentId: j.paymentId,
    kind: j.kind,
    state: j.state,
    isSuccess: j.isSuccess,
    actionRequired: j.actionRequired,
    actionRequiredData: j.actionRequiredData == null ? null : (jsonCopy(j.actionRequiredData) ?? null),
    amount: new Decimal(j.amount),
    currency: j.currency,
    errorCode: j.errorCode ?? null,
    error: j.error ?? null,
    gatewayTransactionId: j.gatewayTransactionId ?? null,
    pspReference: j.pspReference ?? null,
    customerId: j.customerId ?? null,
    rawResponse: j.rawResponse == null ? null : (jsonCopy(j.rawResponse) ?? null),
    requestData: j.requestData == null ? null : (jsonCopy(j.requestData) ?? null),
    idempotencyKey: j.idempotencyKey ?? null,
    gatewayIdempotencyKey: j.gatewayIdempotencyKey,
    createdAt: new Date(j.createdAt),
    updatedAt: new Date(j.updatedAt),
  };
}

export function encodeError(err: PayhostError): ErrorJson {
  return err.details ? { code: err.code, message: err.message, details: jsonCopy(err.details) } : { code: err.code, message: err.message };
}

/** Rebuilds the typed error (a GatewayDeclinedError when it carries a unified code and a transaction). */
export function decodeError(j: ErrorJson): PayhostError {
  const d = j.details ?? {};
  if (j.code === 'gateway_declined' && isTransactionErrorCode(d['errorCode']) && typeof d['transactionId'] === 'string' && typeof d['paymentId'] === 'string') {
    return new GatewayDeclinedError(j.message, { ...d, errorCode: d['errorCode'], transactionId: d['transactionId'], paymentId: d['paymentId'] });
  }
  return new PayhostError(j.code, j.message, j.details);
}

/** What an operation resolves to. */
export interface OperationResult {
  payment: Payment;
  transaction: Transaction;
}

/**
 * Replays a stored outcome: the result, or the recorded typed error thrown.
 * `live` (the records the operation just wrote, when this caller ran it)
 * stands in for decoding a successful outcome.
 */
export function replayOutcome(outcome: StoredOutcome, live?: { payment: Payment; transaction: Transaction | null }): { payment: Payment; transaction: Transaction | null } {
  if (!outcome.ok) throw decodeError(outcome.error);
  if (live) return live;
  return { payment: decodePayment(outcome.payment), transaction: outcome.transaction ? decodeTransaction(outcome.transaction) : null };
}

export function isStoredOutcome(value: unknown): value is StoredOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; payment?: unknown; error?: unknown };
  return (v.ok === true && typeof v.payment === 'object' && v.payment !== null) || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}
