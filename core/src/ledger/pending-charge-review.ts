import type { TransactionErrorCode } from '../contracts/error-codes.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import { PayhostError, ERROR_CODES } from '../errors/index.js';
import { parseAmount } from '../money/amount.js';
import { applyResponse } from './apply.js';
import { gatewayApplyOptions, type LedgerContext } from './context.js';
import { invalidInput } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { operationOf } from './operations.js';
import { ENDED_PENDING_CHARGE, isUnsettledPendingCharge, waitsForAnother } from './pending-charges.js';
import { pendingTransaction } from './records.js';
import { chargeStatusOfAmounts } from './transitions.js';
import { applyGatewayEvent, type GatewayEventInput } from './webhook-inbox.js';

/**
 * Charges the processor answered `pending` that nothing settled (pending-charges.ts), in the review list once
 * old enough, and a person's settlement of one from what the processor's dashboard shows. A failure reported
 * by the gateway or an event ends no pending charge (the ledger cannot tell whose failure it is): the payment
 * stays `pending` for a person, who finds it here.
 */

/** How old an unsettled pending charge is before the review list shows it, by default: one hour. */
export const PENDING_CHARGE_REVIEW_AFTER_MS = 60 * 60 * 1000;

/**
 * A pending charge the store listed (listUnsettledPendingCharges: of payments still `pending`, settled or not)
 * with its payment when it is still unsettled (isUnsettledPendingCharge), else null. The review list
 * (review-page.ts) asks this of the rows of its page only: two reads each.
 */
export async function pendingChargeForReview(ctx: LedgerContext, transaction: Transaction): Promise<{ payment: Payment; transaction: Transaction } | null> {
  const payment = await ctx.store.getPayment(transaction.paymentId);
  if (!payment || !isUnsettledPendingCharge(payment, await ctx.store.listTransactions(payment.id), transaction)) return null;
  return { payment, transaction };
}

/** What a person found for a pending charge (review.ts checked the input). */
export interface PendingChargeSettlement {
  succeeded: boolean;
  /** For a success: `auth` or `capture` (an authorize's is `auth`; a process or confirm must say). */
  kind?: TransactionKind | null;
  /** For a success: what the processor moved when less than asked (default: the charge's amount). */
  amount?: string | null;
  /** The processor's id of the charge, required for a success when the pending row has none; must be the row's when it has one. */
  gatewayTransactionId?: string | null;
  pspReference?: string | null;
  /** For a failure: its unified code and message. */
  errorCode: TransactionErrorCode;
  error: string;
  /** Kept in the recorded row's `rawResponse.resolvedByOperator` (the note, when, the outcome). */
  resolution: Record<string, unknown>;
}

/** Settled meanwhile (its event, reconciliation, another person): nothing to record. */
function settledMeanwhile(row: Transaction): PayhostError {
  return new PayhostError(
    ERROR_CODES.transactionNotInReview,
    `Transaction "${row.id}" is no pending charge waiting for a person any more: it was settled (by its processor event, reconciliation or another person), or its payment left pending`,
    { transactionId: row.id, paymentId: row.paymentId, state: row.state },
  );
}

/** The event id a person's settlement is recorded under, success or failure alike: a second settlement of the charge is a duplicate. */
function settlementEventId(row: Transaction): string {
  return `payhost-review:${row.id}`;
}

/** The kind a success is recorded with: the one given, else an authorize's `auth`. */
function successKind(row: Transaction, given: TransactionKind | null | undefined): TransactionKind {
  const allowed: TransactionKind[] = operationOf(row) === 'authorize' ? ['auth'] : ['capture', 'auth'];
  if (given) {
    if (!allowed.includes(given)) throw invalidInput(`A pending charge can only have succeeded as ${allowed.join(' or ')}`, { field: 'kind', allowed });
    return given;
  }
  if (allowed.length === 1) return allowed[0] as TransactionKind;
  throw invalidInput(`Say what the processor did for this pending charge: kind ${allowed.join(' or ')}`, { field: 'kind', allowed });
}

/**
 * Records what a person found at the processor for unsettled pending charge `row` (isUnsettledPendingCharge):
 * - succeeded: the authorization or capture the processor's event would have carried, through the webhook inbox
 *   (as reconciliation records a successful answer, reconcile.ts), so the payment comes out as the event makes it;
 * - failed: a failed `auth` (an authorize's) or `capture` row of its gateway transaction, naming the pending row
 *   (pending-charges.ts, endedByOperator), and the payment leaves `pending` for the status its amounts give
 *   (`not-charged` when nothing is captured), unless it still waits for another `pending` row.
 * Both are recorded under one event id per pending row, so a second settlement, or one racing the processor's
 * event, is refused (transaction_not_in_review) and nothing is counted twice.
 */
export async function settlePendingCharge(ctx: LedgerContext, row: Transaction, s: PendingChargeSettlement): Promise<{ payment: Payment; transaction: Transaction }> {
  return s.succeeded ? settleSucceeded(ctx, row, s) : settleFailed(ctx, row, s);
}

async function settleSucceeded(ctx: LedgerContext, row: Transaction, s: PendingChargeSettlement): Promise<{ payment: Payment; transaction: Transaction }> {
  const kind = successKind(row, s.kind);
  const { payment, gatewayTransactionId } = await ctx.store.transaction(async (tx) => {
    const locked = await tx.getPayment(row.paymentId, { forUpdate: true });
    const current = await tx.getTransaction(row.id);
    if (!locked || !current || !isUnsettledPendingCharge(locked, await tx.listTransactions(locked.id), current)) throw settledMeanwhile(row);
    const given = s.gatewayTransactionId ?? null;
    if (given !== null && current.gatewayTransactionId !== null && given !== current.gatewayTransactionId) {
      throw invalidInput(`gatewayTransactionId must be the pending charge's own (${current.gatewayTransactionId}) when given`, { field: 'gatewayTransactionId' });
    }
    const id = current.gatewayTransactionId ?? given;
    if (id === null) throw invalidInput("this pending charge has no gateway transaction id: give the processor's id of the charge (gatewayTransactionId)", { field: 'gatewayTransactionId' });
    if (s.pspReference && locked.pspReference !== null && s.pspReference !== locked.pspReference) {
      throw invalidInput(`pspReference must be the payment's own (${locked.pspReference}) when given`, { field: 'pspReference' });
    }
    // The success is found as settling it by that id (pending-charges.ts): the pending row must carry it too.
    if (current.gatewayTransactionId === null) await tx.updateTransaction({ ...current, gatewayTransactionId: id, updatedAt: ctx.now() });
    return { payment: locked, gatewayTransactionId: id };
  });
  const amount = s.amount === undefined || s.amount === null ? row.amount : parseAmount(s.amount, payment.currency);
  if (amount.lte(0) || amount.gt(row.amount)) {
    throw invalidInput(`amount ${amount.toString()} must be more than 0 and at most the ${row.amount.toString()} ${payment.currency} the charge asked for`, { field: 'amount' });
  }
  const event: GatewayEventInput = {
    gateway: payment.gateway,
    channel: payment.channel,
    eventId: settlementEventId(row),
    type: 'payhost.review',
    paymentId: payment.id,
    // Not looked up by it: a reference another payment holds must not move the settlement there (the claim refuses it instead).
    pspReference: null,
    response: {
      isSuccess: true,
      kind,
      amount,
      currency: payment.currency,
      transactionId: gatewayTransactionId,
      pspReference: s.pspReference ?? row.pspReference ?? null,
      actionRequired: false,
      error: null,
      rawResponse: { resolvedByOperator: { ...s.resolution, [ENDED_PENDING_CHARGE]: row.id } },
    },
  };
  const result = await applyGatewayEvent(ctx, event);
  if (result.status === 'duplicate' || result.status === 'already_applied') throw settledMeanwhile(row);
  if ((result.status === 'applied' || result.status === 'held') && result.transaction) return { payment: result.payment, transaction: result.transaction };
  throw new Error(`settling pending charge ${row.id}: the webhook inbox answered ${result.status}`);
}

async function settleFailed(ctx: LedgerContext, row: Transaction, s: PendingChargeSettlement): Promise<{ payment: Payment; transaction: Transaction }> {
  return ctx.store.transaction(async (tx) => {
    const payment = await tx.getPayment(row.paymentId, { forUpdate: true });
    const current = await tx.getTransaction(row.id);
    if (!payment || !current) throw settledMeanwhile(row);
    const transactions = await tx.listTransactions(payment.id);
    if (!isUnsettledPendingCharge(payment, transactions, current)) throw settledMeanwhile(row);
    const now = ctx.now();
    // A success settlement recorded under this id first (its inbox write came after this row's check) wins.
    if (!(await tx.recordWebhookEvent(payment.gateway, settlementEventId(current), now))) throw settledMeanwhile(row);
    const kind: TransactionKind = operationOf(current) === 'authorize' ? 'auth' : 'capture';
    // Not a payhost:<operation> key: no event or retry takes this row for a call's.
    const failed = pendingTransaction({ payment, kind, amount: current.amount, idempotencyKey: null, gatewayIdempotencyKey: `review:${current.id}:failed`, now });
    await tx.insertTransaction(failed);
    const response = {
      isSuccess: false,
      actionRequired: false,
      kind,
      amount: current.amount,
      currency: payment.currency,
      transactionId: current.gatewayTransactionId ?? undefined,
      errorCode: s.errorCode,
      error: s.error,
      rawResponse: { resolvedByOperator: { ...s.resolution, [ENDED_PENDING_CHARGE]: current.id } },
    };
    // The pending charge's caller had its answer (pending): no idempotency record is completed.
    const applied = await applyResponse(tx, payment, failed, response, { now, ...gatewayApplyOptions(ctx, payment), complete: null });
    if (waitsForAnother(applied.payment, transactions, current)) return { payment: applied.payment, transaction: applied.transaction };
    const next: Payment = { ...applied.payment, chargeStatus: chargeStatusOfAmounts(applied.payment), version: applied.payment.version + 1, updatedAt: now };
    if (!(await tx.updatePayment(next, applied.payment.version))) throw settledMeanwhile(row);
    return { payment: next, transaction: applied.transaction };
  });
}
