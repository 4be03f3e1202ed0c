import { newId } from './flat-text.js';
import { Decimal } from 'decimal.js';
import { isTransactionErrorCode, type TransactionErrorCode } from '../contracts/error-codes.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import { isTransactionKind, type TransactionKind } from '../contracts/transaction-kind.js';
import type { Payment, Transaction } from './model.js';
import { maskEmbedded, redactRawResponse, sanitizeActionData } from './redact.js';
import { storableText } from './storable-text.js';

/** A new pending transaction: written before the gateway call, it reserves `amount`. */
export function pendingTransaction(input: {
  id?: string;
  payment: Payment;
  kind: TransactionKind;
  amount: Decimal;
  idempotencyKey: string | null;
  gatewayIdempotencyKey: string;
  now: Date;
  /** The operation's extra gateway data, kept for reconciliation. */
  data?: Record<string, unknown> | null;
}): Transaction {
  return {
    id: input.id ?? newId(),
    paymentId: input.payment.id,
    kind: input.kind,
    state: 'pending',
    isSuccess: false,
    actionRequired: false,
    actionRequiredData: null,
    amount: input.amount,
    currency: input.payment.currency,
    errorCode: null,
    error: null,
    gatewayTransactionId: null,
    pspReference: null,
    customerId: input.payment.customerId,
    rawResponse: null,
    requestData: input.data ? sanitizeActionData(input.data) : null,
    idempotencyKey: input.idempotencyKey,
    gatewayIdempotencyKey: input.gatewayIdempotencyKey,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/** A gateway's string as stored: non-empty, with characters PostgreSQL refuses replaced (the gateway has acted; its answer is kept). */
function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? storableText(value) : null;
}

/** A plain decimal: digits, then optionally a point and digits (no sign, exponent, hex prefix or spaces). */
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/**
 * A non-negative finite amount from a Decimal or a plain decimal string ("10.50"); null when it is
 * none. A JavaScript number is none (a binary float: 0.1 + 0.2 reads 0.30000000000000004), and so
 * is a string decimal.js would read as another number than it shows ("0x10" as 16, "1e1" as 10).
 */
export function readAmount(value: unknown): Decimal | null {
  if (Decimal.isDecimal(value)) {
    const d = value as Decimal;
    return d.isFinite() && !d.isNegative() ? d : null;
  }
  return typeof value === 'string' && PLAIN_DECIMAL.test(value) ? new Decimal(value) : null;
}

/** Anything shaped like a GatewayResponse (a plugin's answer, an event's payload); amounts may be strings. */
export type ResponseLike = Partial<Omit<GatewayResponse, 'amount'>> & { amount?: unknown };

/** A gateway answer as the ledger reads it: whatever a plugin returned, typed and defaulted. */
export interface NormalizedResponse {
  isSuccess: boolean;
  actionRequired: boolean;
  actionRequiredData: Record<string, unknown> | null;
  kind: TransactionKind;
  amount: Decimal;
  errorCode: TransactionErrorCode | null;
  error: string | null;
  transactionId: string | null;
  pspReference: string | null;
  customerId: string | null;
  rawResponse: Record<string, unknown> | null;
  alreadyProcessed: boolean;
}

/**
 * Reads a (possibly malformed) gateway response. A failure always has a
 * unified code (`processing_error` when the plugin gave none or an unknown
 * one) and a message; unknown kinds and unreadable amounts fall back to the
 * pending transaction's.
 */
export function normalizeResponse(response: ResponseLike, fallback: { kind: TransactionKind; amount: Decimal }): NormalizedResponse {
  const isSuccess = response.isSuccess === true;
  const errorCode = isSuccess ? null : isTransactionErrorCode(response.errorCode) ? response.errorCode : 'processing_error';
  return {
    isSuccess,
    actionRequired: isSuccess && response.actionRequired === true,
    actionRequiredData: sanitizeActionData(response.actionRequiredData),
    kind: isTransactionKind(response.kind) ? response.kind : fallback.kind,
    amount: readAmount(response.amount) ?? fallback.amount,
    errorCode,
    error: isSuccess ? null : maskEmbedded(str(response.error) ?? 'The payment gateway reported a failure without a message'),
    transactionId: str(response.transactionId),
    pspReference: str(response.pspReference),
    customerId: str(response.customerId),
    rawResponse: redactRawResponse(response.rawResponse),
    alreadyProcessed: response.transactionAlreadyProcessed === true,
  };
}

/** The applied row for a transaction answered by `r`. */
export function resultTransaction(target: Transaction, r: NormalizedResponse, now: Date): Transaction {
  return {
    ...target,
    kind: r.kind,
    state: 'applied',
    isSuccess: r.isSuccess,
    actionRequired: r.actionRequired,
    actionRequiredData: r.actionRequiredData,
    amount: r.amount,
    errorCode: r.errorCode,
    error: r.error,
    gatewayTransactionId: r.transactionId,
    pspReference: r.pspReference,
    customerId: r.customerId ?? target.customerId,
    rawResponse: r.rawResponse,
    updatedAt: now,
  };
}

/**
 * The row of a call whose response only repeated an existing transaction
 * (transactionAlreadyProcessed): kept for the audit trail, never counted.
 */
export function duplicateTransaction(target: Transaction, existing: Transaction, r: NormalizedResponse, now: Date): Transaction {
  return {
    ...target,
    kind: r.kind,
    state: 'applied',
    isSuccess: false,
    actionRequired: false,
    actionRequiredData: null,
    errorCode: null,
    error: `Already processed as transaction ${existing.id}`,
    gatewayTransactionId: r.transactionId,
    pspReference: r.pspReference,
    rawResponse: { alreadyProcessedAs: existing.id, response: r.rawResponse },
    updatedAt: now,
  };
}

/**
 * The row of a success whose PSP reference another payment already holds (a
 * replayed checkout token, or two payments racing for one processor payment):
 * a failure, never counted; the gateway's answer is kept for the audit trail.
 */
export function referenceTakenTransaction(applied: Transaction, holder: string): Transaction {
  return {
    ...applied,
    isSuccess: false,
    actionRequired: false,
    actionRequiredData: null,
    errorCode: 'processing_error',
    error: `The gateway's reference ${applied.pspReference ?? ''} is already recorded for payment ${holder}: one processor payment cannot pay for two payments`,
    rawResponse: { pspReferenceHeldBy: holder, response: applied.rawResponse },
  };
}
