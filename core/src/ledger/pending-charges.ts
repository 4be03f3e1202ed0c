import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import type { LedgerContext } from './context.js';
import type { Payment, Transaction } from './model.js';
import { operationOf } from './operations.js';
import { readAmount } from './records.js';
import { chargeStatusOfAmounts } from './transitions.js';
import type { GatewayEventInput } from './webhook-inbox.js';

/**
 * Charges the processor answered `pending` (a bank transfer, USSD or mobile money on Flutterwave,
 * Stripe's `processing`): the payment is `pending` until a row of the same gateway transaction
 * settles it, normally written by the processor's event (a capture or authorization, or a failure).
 * When that event never comes (a webhook endpoint disabled, a delivery acknowledged early, an event
 * older than a tolerance), reconciliation asks the gateway, and records a final answer through the
 * webhook inbox as the event would have been (reconcile.ts).
 */

/** Kinds a charge's failure is recorded with (a failed answer of these kinds, or a successful capture_failed). */
const CHARGE_KINDS: ReadonlySet<TransactionKind> = new Set(['auth', 'capture', 'pending', 'confirm', 'action_to_confirm', 'capture_failed']);

/** Whether `row` records a failure of a charge: a failed charge answer, or a capture_failed. */
function isChargeFailure(row: Pick<Transaction, 'kind' | 'isSuccess'>): boolean {
  return row.isSuccess ? row.kind === 'capture_failed' : CHARGE_KINDS.has(row.kind);
}

/**
 * Where `row` stands among `transactions` (a payment's transactions, oldest first, as the store lists them:
 * by creation, LedgerStore.listTransactions); a row not among them is being recorded now, after all of them.
 */
function positionOf(transactions: readonly Transaction[], row: Pick<Transaction, 'id'>): number {
  const i = transactions.findIndex((t) => t.id === row.id);
  return i < 0 ? transactions.length : i;
}

/** Whether `later` was recorded after `earlier` among `transactions` (oldest first). */
export function recordedAfter(transactions: readonly Transaction[], later: Pick<Transaction, 'id'>, earlier: Pick<Transaction, 'id'>): boolean {
  return positionOf(transactions, later) > positionOf(transactions, earlier);
}

/**
 * Whether applied row `s` settles pending charge `pending`: its authorization or capture, or its failure, about
 * the same gateway transaction and recorded after it. Processors keep one id across attempts (a Stripe
 * PaymentIntent declined, then paid with a method that stays `processing`; a capture answered pending with the
 * authorization's id): a row of an earlier attempt says nothing about this one.
 */
function settles(transactions: readonly Transaction[], s: Transaction, pending: Transaction): boolean {
  const id = pending.gatewayTransactionId;
  if (s.state !== 'applied' || id === null || s.gatewayTransactionId !== id || !recordedAfter(transactions, s, pending)) return false;
  return (s.isSuccess && (s.kind === 'auth' || s.kind === 'capture')) || isChargeFailure(s);
}

/**
 * Whether `pending` is an applied, successful `pending` charge of a payment still `pending` that no
 * authorization, capture or failure of the same gateway transaction recorded after it (among `transactions`,
 * oldest first) settled yet.
 */
export function isUnsettledPendingCharge(payment: Payment, transactions: readonly Transaction[], pending: Transaction): boolean {
  if (payment.chargeStatus !== 'pending' || pending.state !== 'applied' || !pending.isSuccess || pending.kind !== 'pending') return false;
  return pending.gatewayTransactionId === null || !transactions.some((s) => s.id !== pending.id && settles(transactions, s, pending));
}

/**
 * Whether failed row `failed` is followed (among `transactions`, oldest first) by an applied successful `pending`
 * row of its gateway transaction: a later attempt with the same id, whose own failure is new, not a repeat of it.
 */
export function pendingChargeAfter(transactions: readonly Transaction[], failed: Transaction): boolean {
  const id = failed.gatewayTransactionId;
  return id !== null && transactions.some((t) => t.state === 'applied' && t.isSuccess && t.kind === 'pending' && t.gatewayTransactionId === id && recordedAfter(transactions, t, failed));
}

/** Whether `pending` is an applied, successful `pending` charge of a payment still `pending`, settled or not (what the store lists). */
export function isPendingChargeOfPendingPayment(payment: Payment, pending: Transaction): boolean {
  return payment.chargeStatus === 'pending' && pending.state === 'applied' && pending.isSuccess && pending.kind === 'pending';
}

/**
 * Whether the payment of `pending` is left `pending` for good: `pending` was settled (its authorization or
 * failure applied) but the payment stayed `pending`, and no other charge of it is still pending. The code before
 * the rule of endsPendingCharge left payments so (their authorization could never be captured, nor voided), and
 * an instance of it still does during a rolling upgrade. Reconciliation repairs them (repairStuckPendingCharge).
 */
export function isStuckPendingCharge(payment: Payment, transactions: readonly Transaction[], pending: Transaction): boolean {
  if (!isPendingChargeOfPendingPayment(payment, pending) || isUnsettledPendingCharge(payment, transactions, pending)) return false;
  return !transactions.some((t) => t.id !== pending.id && t.kind === 'pending' && isUnsettledPendingCharge(payment, transactions, t));
}

/**
 * Charges answered `pending` of payments still `pending`, oldest first, that reconciliation acts on: unsettled
 * ones it can ask the gateway about, and stuck ones (isStuckPendingCharge) it repairs (none when the store
 * cannot list them). A settled one of a payment still waiting for another charge is left out.
 */
export async function listPendingChargesToReconcile(ctx: LedgerContext): Promise<Transaction[]> {
  const listed = ctx.store.listUnsettledPendingCharges ? await ctx.store.listUnsettledPendingCharges() : [];
  const rows: Transaction[] = [];
  for (const row of listed) {
    const payment = await ctx.store.getPayment(row.paymentId);
    if (!payment) continue;
    const transactions = await ctx.store.listTransactions(payment.id);
    if (isStuckPendingCharge(payment, transactions, row) || (canAskAbout(row) && isUnsettledPendingCharge(payment, transactions, row))) rows.push(row);
  }
  return rows;
}

/**
 * Repairs a payment left `pending` after its pending charge was settled (isStuckPendingCharge), under its lock,
 * without asking the gateway: back to the status its amounts give (chargeStatusOfAmounts: `not-charged` when
 * nothing is captured) as endsPendingCharge would have set it when the settling row
 * was applied (apply.ts), its version bumped. The amounts stay as the applied rows made them (an authorization
 * added what it authorized; a failure added nothing). False when it is no longer stuck (settled meanwhile).
 */
export async function repairStuckPendingCharge(ctx: LedgerContext, row: Transaction): Promise<boolean> {
  const repaired = await ctx.store.transaction(async (tx): Promise<Payment | null> => {
    const locked = await tx.getPayment(row.paymentId, { forUpdate: true });
    const current = await tx.getTransaction(row.id);
    if (!locked || !current || !isStuckPendingCharge(locked, await tx.listTransactions(locked.id), current)) return null;
    const next: Payment = { ...locked, chargeStatus: chargeStatusOfAmounts(locked), version: locked.version + 1, updatedAt: ctx.now() };
    return (await tx.updatePayment(next, locked.version)) ? next : null;
  });
  if (!repaired) return false;
  ctx.logger.info(
    { paymentId: row.paymentId, transactionId: row.id, gatewayTransactionId: row.gatewayTransactionId, chargeStatus: repaired.chargeStatus, authorizedAmount: repaired.authorizedAmount.toFixed(), capturedAmount: repaired.capturedAmount.toFixed() },
    'reconciliation: payment left pending after its pending charge was settled (authorized or failed) set back to the status its amounts give',
  );
  return true;
}

/** Whether reconciliation can ask the gateway about `pending`: a charge the ledger started (process or authorize), with its gateway transaction id. */
export function canAskAbout(pending: Transaction): boolean {
  const operation = operationOf(pending);
  return (operation === 'process' || operation === 'authorize') && pending.gatewayTransactionId !== null;
}

/**
 * Whether applied row `row` ends the pending charge of `payment`: the payment is `pending` and `row` is
 * the authorization or the failure of a charge answered `pending` recorded before it, about the same gateway
 * transaction and not settled yet (isUnsettledPendingCharge; a row of an earlier attempt with the same id, such
 * as the authorization a capture answered pending carries the id of, ends nothing). The payment's status then
 * follows its amounts (chargeStatusOfAmounts: `not-charged` when nothing is captured): authorized, it can be
 * captured or voided; failed, it can be charged again. (Its capture makes it charged on its own, by the
 * transition table.) A row of another gateway transaction changes nothing.
 */
export function endsPendingCharge(payment: Payment, transactions: readonly Transaction[], row: Transaction): boolean {
  const id = row.gatewayTransactionId;
  if (payment.chargeStatus !== 'pending' || id === null || !((row.isSuccess && row.kind === 'auth') || isChargeFailure(row))) return false;
  return transactions.some((t) => t.id !== row.id && t.gatewayTransactionId === id && recordedAfter(transactions, row, t) && isUnsettledPendingCharge(payment, transactions, t));
}

/**
 * The event a gateway's status answer about a pending charge is recorded as: an authorization or
 * capture success, or a failure, about the same gateway transaction; null while the processor still
 * shows it pending (or awaiting action), or for an answer about anything else (left as it is). The
 * event id is derived from the pending row and the answer: a second pass sending the same answer is a
 * duplicate, and the processor's own event of that gateway transaction, later, finds it recorded.
 */
export function chargeEventFromStatus(payment: Payment, pending: Transaction, status: GatewayResponse): GatewayEventInput | null {
  if (pending.gatewayTransactionId === null || status.transactionId !== pending.gatewayTransactionId) return null;
  const final = status.isSuccess === true ? (status.kind === 'auth' || status.kind === 'capture') && status.actionRequired !== true : isChargeFailure({ kind: status.kind, isSuccess: false });
  if (!final) return null;
  const amount = readAmount(status.amount) ?? (status.isSuccess ? null : pending.amount);
  if (amount === null) return null;
  const outcome = status.isSuccess ? 'succeeded' : 'failed';
  return {
    gateway: payment.gateway,
    channel: payment.channel,
    eventId: `payhost-reconcile:${pending.id}:${status.kind}:${outcome}`,
    type: 'payhost.reconciliation',
    paymentId: payment.id,
    pspReference: status.pspReference ?? null,
    response: {
      isSuccess: status.isSuccess,
      kind: status.kind,
      amount,
      currency: status.currency ?? payment.currency,
      transactionId: pending.gatewayTransactionId,
      pspReference: status.pspReference ?? null,
      actionRequired: false,
      error: status.isSuccess ? null : (status.error ?? 'The processor reports the charge failed'),
      ...(status.isSuccess ? {} : { errorCode: status.errorCode ?? 'processing_error' }),
      rawResponse: { ...(status.rawResponse ?? {}), settledByReconciliation: true, pendingTransactionId: pending.id },
    },
  };
}
