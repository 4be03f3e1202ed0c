import { Decimal } from 'decimal.js';
import { isTransactionErrorCode } from '../contracts/error-codes.js';
import { PayhostError } from '../errors/index.js';
import { GatewayDeclinedError } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';

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
    ...p,
    total: p.total.toString(),
    authorizedAmount: p.authorizedAmount.toString(),
    capturedAmount: p.capturedAmount.toString(),
    metadata: JSON.parse(JSON.stringify(p.metadata ?? {})) as Record<string, unknown>,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function decodePayment(j: PaymentJson): Payment {
  return {
    ...j,
    total: new Decimal(j.total),
    authorizedAmount: new Decimal(j.authorizedAmount),
    capturedAmount: new Decimal(j.capturedAmount),
    metadata: { ...(j.metadata ?? {}) },
    createdAt: new Date(j.createdAt),
    updatedAt: new Date(j.updatedAt),
  };
}

export function encodeTransaction(t: Transaction): TransactionJson {
  return {
    ...t,
    amount: t.amount.toString(),
    actionRequiredData: t.actionRequiredData === null ? null : (JSON.parse(JSON.stringify(t.actionRequiredData)) as Record<string, unknown>),
    rawResponse: t.rawResponse === null ? null : (JSON.parse(JSON.stringify(t.rawResponse)) as Record<string, unknown>),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function decodeTransaction(j: TransactionJson): Transaction {
  return { ...j, amount: new Decimal(j.amount), createdAt: new Date(j.createdAt), updatedAt: new Date(j.updatedAt) };
}

export function encodeError(err: PayhostError): ErrorJson {
  return err.details ? { code: err.code, message: err.message, details: JSON.parse(JSON.stringify(err.details)) as Record<string, unknown> } : { code: err.code, message: err.message };
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

/** Replays a stored outcome: the result, or the recorded typed error thrown. */
export function replayOutcome(outcome: StoredOutcome): { payment: Payment; transaction: Transaction | null } {
  if (!outcome.ok) throw decodeError(outcome.error);
  return { payment: decodePayment(outcome.payment), transaction: outcome.transaction ? decodeTransaction(outcome.transaction) : null };
}

export function isStoredOutcome(value: unknown): value is StoredOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; payment?: unknown; error?: unknown };
  return (v.ok === true && typeof v.payment === 'object' && v.payment !== null) || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}
