import { isTransactionErrorCode, type TransactionErrorCode } from '../contracts/error-codes.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import { PayhostError, ERROR_CODES } from '../errors/index.js';
import { parseAmount } from '../money/amount.js';
import { applyResponse, repeatsRow } from './apply.js';
import { gatewayApplyOptions, type LedgerContext } from './context.js';
import { checkNoCardNumber } from './card-number.js';
import { invalidInput } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import type { LedgerTx } from './store.js';
import type { ResponseLike } from './records.js';
import { isUnsettledRefund, settleOngoingRefund } from './ongoing-refunds.js';
import { operationOf, type PaymentOperation } from './operations.js';
import { checkStorableInput } from './storable-text.js';
import { isPendingCharge } from './pending-charges.js';
import { settlePendingCharge } from './pending-charge-review.js';
import { listWholeReview } from './review-page.js';

/**
 * Transactions held for review: the gateway could not tell what it did, and
 * nobody has told the ledger since. A person checks the processor's dashboard
 * and records what happened here; the answer goes through the same code as a
 * gateway's (applyResponse), so it moves money, releases reservations and
 * answers the client's idempotency key the same way.
 */

/**
 * Why a transaction is in the review list: `held_for_review`, state `review` (the gateway could not tell
 * what it did); `refund_ongoing`, a refund the processor accepted and has not reported finished (state
 * `applied`, kind `refund_ongoing`); `pending_charge`, a charge the processor answered pending that nothing
 * settled (state `applied`, kind `pending`: its payment stays `pending`, pending-charge-review.ts).
 */
export const REVIEW_REASONS = ['held_for_review', 'refund_ongoing', 'pending_charge'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

/**
 * A transaction held for review (state `review`), a refund the processor accepted and has
 * not reported finished (state `applied`, kind `refund_ongoing`: its amount stays reserved until
 * settled), or a charge answered pending that nothing settled for an hour (state `applied`, kind
 * `pending`), with its payment (what a person needs to find it at the processor) and why it is listed.
 * From resolveReview: the payment and the transaction recorded, with why it was listed.
 */
export interface ReviewItem {
  payment: Payment;
  transaction: Transaction;
  reason: ReviewReason;
}

export interface ReviewListOptions {
  /**
   * List a charge answered pending that nothing settled (its payment still `pending`) once it is at least this
   * old, by createdAt. Default PENDING_CHARGE_REVIEW_AFTER_MS, one hour: younger, a bank transfer is normally
   * still on its way, and reconciliation keeps asking the gateway about it.
   */
  pendingChargeMinAgeMs?: number;
}

export const REVIEW_OUTCOMES = ['succeeded', 'failed'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface ReviewResolution {
  transactionId: string;
  /** What the processor's dashboard shows: the operation happened, or it did not. */
  outcome: ReviewOutcome;
  /**
   * What the person saw and who checked: kept in the transaction's `rawResponse.resolvedByOperator` and
   * the log, never shown to the client (a failure's message is the errorCode's own, failureMessage). Required.
   */
  note: string;
  /**
   * For a success, what the processor did when the operation could mean either
   * (a charge that was only authorized, or captured too). Default: what the
   * operation asked for; a `confirm` must say.
   */
  kind?: TransactionKind | null;
  /**
   * For a success, the amount the processor moved when less than asked (default: the transaction's; for
   * a refund event held for review, the figure it reported). A refund is never more than is captured.
   */
  amount?: string | null;
  /**
   * The processor's id for the operation, as its events carry it (a Razorpay rfnd_ id, a Stripe re_ id,
   * a Flutterwave refund id): the processor's later event of it is then known as already recorded.
   * Required for a refund resolved as succeeded, unless the row has one already: without it, that
   * event would be counted as a second refund.
   */
  gatewayTransactionId?: string | null;
  /** The processor's payment reference (e.g. a Stripe PaymentIntent id) for a first charge. */
  pspReference?: string | null;
  /** For a failure, the unified error code (default processing_error). */
  errorCode?: TransactionErrorCode | null;
}

/** The kinds a success may be recorded with, per operation: what the processor can have done (no "pending" or "action" states). */
const RESOLVED_KINDS: Readonly<Record<PaymentOperation, readonly TransactionKind[]>> = {
  process: ['capture', 'auth'],
  authorize: ['auth'],
  confirm: ['capture', 'auth'],
  capture: ['capture'],
  refund: ['refund'],
  void: ['void'],
};

/** The operation a held event of its own (no call of the ledger's: operationOf is null) is resolved as. */
const EVENT_OPERATION: Partial<Record<TransactionKind, PaymentOperation>> = { refund: 'refund', capture: 'capture', auth: 'authorize' };

const NOTE_MAX = 2000;

function transactionNotFound(transactionId: string): PayhostError {
  return new PayhostError(ERROR_CODES.transactionNotFound, `Transaction "${transactionId}" does not exist`, { transactionId });
}

function notInReview(transaction: Transaction): PayhostError {
  return new PayhostError(
    ERROR_CODES.transactionNotInReview,
    `Transaction "${transaction.id}" is not held for review (it is ${transaction.state}): only a transaction the gateway could not tell about is resolved by hand`,
    { transactionId: transaction.id, paymentId: transaction.paymentId, state: transaction.state },
  );
}

function optionalText(name: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw invalidInput(`${name} must be a non-empty string of at most ${max} characters when given`, { field: name });
  checkStorableInput(name, value);
  return value;
}

/** The resolution's input checked on its own (before anything is read). */
function checkResolution(input: ReviewResolution): { note: string } {
  if (typeof input !== 'object' || input === null) throw invalidInput('a review resolution needs an input object');
  if (typeof input.transactionId !== 'string' || input.transactionId === '') throw invalidInput('transactionId is required', { field: 'transactionId' });
  if (!(REVIEW_OUTCOMES as readonly string[]).includes(input.outcome)) throw invalidInput(`outcome must be one of ${REVIEW_OUTCOMES.join(', ')}`, { field: 'outcome' });
  const note = optionalText('note', input.note, NOTE_MAX);
  if (note === null) throw invalidInput('note is required: say what the processor shows and who checked', { field: 'note' });
  // Stored, and logged with the resolution: a card number copied from a dashboard must not reach either.
  checkNoCardNumber('note', note, 'write the card\'s last four digits at most');
  optionalText('gatewayTransactionId', input.gatewayTransactionId, 500);
  optionalText('pspReference', input.pspReference, 500);
  if (input.errorCode !== undefined && input.errorCode !== null && !isTransactionErrorCode(input.errorCode)) throw invalidInput('errorCode must be a unified transaction error code', { field: 'errorCode' });
  if (input.outcome === 'succeeded' && input.errorCode) throw invalidInput('errorCode goes with a failed outcome only', { field: 'errorCode' });
  if (input.outcome === 'failed' && (input.kind || input.amount)) throw invalidInput('kind and amount go with a succeeded outcome only', { field: input.kind ? 'kind' : 'amount' });
  return { note };
}

/** The kind a success is recorded with: the one given, else what the operation asked for. */
function resolvedKind(operation: PaymentOperation, row: Transaction, given: TransactionKind | null | undefined): TransactionKind {
  const allowed = RESOLVED_KINDS[operation];
  if (given) {
    if (!allowed.includes(given)) throw invalidInput(`A ${operation} can only have succeeded as ${allowed.join(' or ')}`, { field: 'kind', allowed });
    return given;
  }
  if (allowed.includes(row.kind)) return row.kind;
  throw invalidInput(`Say what the processor did for this ${operation}: kind ${allowed.join(' or ')}`, { field: 'kind', allowed });
}

/** What a failure's `operation` is called in a client's message. */
const OPERATION_NOUN: Readonly<Record<PaymentOperation, string>> = {
  process: 'payment',
  authorize: 'payment',
  confirm: 'payment',
  capture: 'capture',
  refund: 'refund',
  void: 'void',
};

/**
 * The message a failure recorded by a person carries, from its errorCode alone: the transaction's
 * `error` and the client's gateway_declined message (the public API and the checkout page show
 * them), so the person's note (names, tickets) stays with the operators.
 */
function failureMessage(operation: PaymentOperation, code: TransactionErrorCode): string {
  const what = OPERATION_NOUN[operation];
  switch (code) {
    case 'incorrect_number':
      return 'Incorrect card number';
    case 'invalid_number':
      return 'Invalid card number';
    case 'incorrect_cvv':
      return 'Incorrect CVV';
    case 'invalid_cvv':
      return 'Invalid CVV';
    case 'incorrect_zip':
      return 'Incorrect postal code';
    case 'incorrect_address':
      return 'Incorrect address';
    case 'invalid_expiry_date':
      return 'Incorrect card expiration date';
    case 'expired':
      return 'The card or payment method has expired';
    case 'declined':
      return `The ${what} was declined`;
    case 'processing_error':
      return `The ${what} could not be processed`;
  }
}

/** The gateway answer the person's resolution stands for. */
function answerOf(input: ReviewResolution, note: string, payment: Payment, row: Transaction, now: Date): ResponseLike {
  // An event the inbox held (refund-events.ts, event-amounts.ts) is resolved as what it reported: what the processor did, or nothing.
  const operation = operationOf(row) ?? EVENT_OPERATION[row.kind] ?? null;
  if (!operation) throw notInReview(row);
  const resolution = { outcome: input.outcome, note, resolvedAt: now.toISOString(), heldBecause: row.error, heldResponse: row.rawResponse };
  const common = {
    currency: payment.currency,
    transactionId: input.gatewayTransactionId ?? row.gatewayTransactionId ?? undefined,
    pspReference: input.pspReference ?? row.pspReference ?? undefined,
    rawResponse: { resolvedByOperator: resolution },
  };
  if (input.outcome === 'failed') {
    const errorCode = input.errorCode ?? 'processing_error';
    return { ...common, isSuccess: false, actionRequired: false, kind: row.kind, amount: row.amount, errorCode, error: failureMessage(operation, errorCode) };
  }
  const kind = resolvedKind(operation, row, input.kind);
  const amount = input.amount === undefined || input.amount === null ? row.amount : parseAmount(input.amount, payment.currency);
  if (amount.gt(row.amount)) throw invalidInput(`amount ${amount.toString()} is more than the ${row.amount.toString()} ${payment.currency} the transaction asked for`, { field: 'amount' });
  // Never more refunded than captured: the figure that was more is what put a refund event here.
  if (kind === 'refund' && amount.gt(payment.capturedAmount)) {
    throw invalidInput(`amount ${amount.toString()} is more than the ${payment.capturedAmount.toString()} ${payment.currency} captured: give the amount the processor refunded`, {
      field: 'amount',
      captured: payment.capturedAmount.toFixed(),
    });
  }
  if (kind === 'refund' && !common.transactionId) {
    throw invalidInput(
      "gatewayTransactionId is required for a refund that succeeded: the processor's refund id, so its later refund event is known as this refund and not counted a second time",
      { field: 'gatewayTransactionId' },
    );
  }
  return { ...common, isSuccess: true, actionRequired: false, kind, amount, error: null };
}

/**
 * Every transaction held for review, every refund still ongoing at the processor (an event
 * that never came leaves it reserved for good), and every charge answered pending that nothing
 * settled, once `pendingChargeMinAgeMs` old (a failure reported by the gateway or an event leaves
 * its payment `pending` for a person), oldest first (by createdAt, then id), with its payment and why
 * it is listed. All of it at once, each item's payment read: a page at a time is listReviewPage (review-page.ts).
 */
export async function listReview(ctx: LedgerContext, options: ReviewListOptions = {}): Promise<ReviewItem[]> {
  return listWholeReview(ctx, options);
}

/** A refund resolved as succeeded under a refund id the ledger already counted (its event came meanwhile) would count it twice. */
async function refuseRecordedRefund(tx: LedgerTx, row: Transaction, answer: Pick<ResponseLike, 'isSuccess' | 'kind' | 'transactionId'>): Promise<void> {
  if (answer.isSuccess !== true || answer.kind !== 'refund' || !answer.transactionId) return;
  const r = { transactionId: answer.transactionId, kind: 'refund' as const, isSuccess: true };
  const recorded = (await tx.listTransactions(row.paymentId)).find((t) => t.id !== row.id && repeatsRow(t, r));
  if (recorded) {
    throw invalidInput(`refund ${answer.transactionId} is already recorded (transaction ${recorded.id}): this one did not happen on its own, resolve it as failed`, {
      field: 'gatewayTransactionId',
      recordedTransactionId: recorded.id,
    });
  }
}

/** A person's settlement of a refund still ongoing: the settling `refund` or `refund_failed` row (ongoing-refunds.ts). */
async function settleOngoing(ctx: LedgerContext, tx: LedgerTx, payment: Payment, row: Transaction, input: ReviewResolution, note: string, now: Date): Promise<ReviewItem> {
  if (input.kind && input.kind !== 'refund') throw invalidInput('An ongoing refund can only have succeeded as refund', { field: 'kind', allowed: ['refund'] });
  const given = input.gatewayTransactionId ?? null;
  if (given !== null && row.gatewayTransactionId !== null && given !== row.gatewayTransactionId) {
    throw invalidInput(`gatewayTransactionId must be the ongoing refund's own (${row.gatewayTransactionId}) when given`, { field: 'gatewayTransactionId' });
  }
  const id = row.gatewayTransactionId ?? given;
  // Its completion event may have been recorded as a refund of its own (an ongoing refund without an id cannot be matched).
  if (input.outcome === 'succeeded' && id !== null) await refuseRecordedRefund(tx, row, { isSuccess: true, kind: 'refund', transactionId: id });
  const errorCode = input.errorCode ?? 'processing_error';
  const applied = await settleOngoingRefund(
    ctx,
    tx,
    payment,
    row,
    {
      succeeded: input.outcome === 'succeeded',
      amount: input.amount,
      gatewayTransactionId: given,
      errorCode,
      error: failureMessage('refund', errorCode),
      rawResponse: { resolvedByOperator: { outcome: input.outcome, note, resolvedAt: now.toISOString(), ongoingTransactionId: row.id } },
    },
    now,
  );
  return { payment: applied.payment, transaction: applied.transaction, reason: 'refund_ongoing' };
}

/**
 * Records what a person found at the processor for a transaction held for
 * review, under the payment's lock: a success counts (capture, refund, ...)
 * and a failure releases the reserved amount, as the gateway's own answer
 * would have; the client's idempotency key gets the outcome. A refund still
 * ongoing (refund_ongoing) gets its settling row instead: `refund` (at most
 * the amount it asked) or `refund_failed`, releasing its reservation. A charge
 * answered pending that nothing settled gets the authorization or capture its
 * event would have carried, or its failure, which ends it (pending-charge-review.ts).
 * Refused (transaction_not_in_review) once the transaction was resolved or settled otherwise.
 */
export async function resolveReview(ctx: LedgerContext, input: ReviewResolution): Promise<ReviewItem> {
  const { note } = checkResolution(input);
  const found = await ctx.store.transaction((tx) => tx.getTransaction(input.transactionId));
  if (!found) throw transactionNotFound(input.transactionId);
  // Outside this store transaction: a success goes through the webhook inbox, which takes the payment's lock itself.
  if (isPendingCharge(found)) return resolvePendingCharge(ctx, found, input, note);
  const resolved = await ctx.store.transaction(async (tx): Promise<ReviewItem> => {
    const payment = await tx.getPayment(found.paymentId, { forUpdate: true });
    const row = await tx.getTransaction(found.id);
    if (!payment || !row) throw transactionNotFound(input.transactionId);
    const now = ctx.now();
    if (row.kind === 'refund_ongoing' && row.state === 'applied') {
      if (!isUnsettledRefund(await tx.listTransactions(payment.id), row)) throw notInReview(row);
      return settleOngoing(ctx, tx, payment, row, input, note, now);
    }
    if (row.state !== 'review') throw notInReview(row);
    const answer = answerOf(input, note, payment, row, now);
    await refuseRecordedRefund(tx, row, answer);
    const applied = await applyResponse(tx, payment, row, answer, { now, ...gatewayApplyOptions(ctx, payment), complete: row.idempotencyKey });
    return { payment: applied.payment, transaction: applied.transaction, reason: 'held_for_review' };
  });
  logResolved(ctx, resolved, input, note, 'transaction held for review resolved by an operator');
  return resolved;
}

/** A person's settlement of a charge answered pending (pending-charge-review.ts). */
async function resolvePendingCharge(ctx: LedgerContext, row: Transaction, input: ReviewResolution, note: string): Promise<ReviewItem> {
  const errorCode = input.errorCode ?? 'processing_error';
  const settled = await settlePendingCharge(ctx, row, {
    succeeded: input.outcome === 'succeeded',
    kind: input.kind ?? null,
    amount: input.amount ?? null,
    gatewayTransactionId: input.gatewayTransactionId ?? null,
    pspReference: input.pspReference ?? null,
    errorCode,
    error: failureMessage(operationOf(row) ?? 'process', errorCode),
    resolution: { outcome: input.outcome, note, resolvedAt: ctx.now().toISOString() },
  });
  const resolved: ReviewItem = { ...settled, reason: 'pending_charge' };
  logResolved(ctx, resolved, input, note, 'pending charge settled by an operator', row.id);
  return resolved;
}

function logResolved(ctx: LedgerContext, { payment, transaction }: ReviewItem, input: ReviewResolution, note: string, msg: string, pendingTransactionId?: string): void {
  ctx.logger.info(
    {
      paymentId: payment.id,
      transactionId: transaction.id,
      outcome: input.outcome,
      note,
      recorded: { kind: transaction.kind, isSuccess: transaction.isSuccess, amount: transaction.amount.toString(), errorCode: transaction.errorCode },
      ...(pendingTransactionId ? { pendingTransactionId, chargeStatus: payment.chargeStatus } : {}),
    },
    msg,
  );
}
