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
 * Stripe's `processing`) to a process, authorize or confirm call: the payment is `pending` until a successful
 * authorization or capture of the same gateway transaction settles it, normally written by the processor's
 * event. When that event never comes (a webhook endpoint disabled, a delivery acknowledged early, an event
 * older than a tolerance), reconciliation asks the gateway, and records a successful answer through the
 * webhook inbox as the event would have been (reconcile.ts). A failure ends nothing, an event's, an answer's
 * or the gateway's status: processors keep one id across attempts (a Stripe PaymentIntent declined, then
 * paid with a method that stays `processing`, or paid again after the status was read), and from the id the
 * ledger cannot tell whose failure it is. The payment then stays `pending`, charging nothing more, for a person.
 *
 * That person finds it in the review list once it is an hour old (listReview, pending-charge-review.ts) and
 * records what the processor's dashboard shows: a success goes through the webhook inbox as the processor's
 * event would; a failure is the one failure that ends a pending charge. Having looked at the dashboard, the
 * person knows whose failure it is (the ambiguity above is the ledger's, not theirs): their failed row names
 * the pending row (endedByOperator) and settles it, and the payment gets the status its amounts give
 * (`not-charged` when nothing is captured) unless it still waits for another `pending` row. A success event
 * of that gateway transaction arriving later is new money (a success never repeats a failure, apply.ts) and
 * is counted as any event of its own.
 */

/** Kinds a charge's failure is recorded with (a failed answer of these kinds, or a successful capture_failed). */
const CHARGE_KINDS: ReadonlySet<TransactionKind> = new Set(['auth', 'capture', 'pending', 'confirm', 'action_to_confirm', 'capture_failed']);

/** Whether `row` records a failure of a charge: a failed charge answer, or a capture_failed. */
function isChargeFailure(row: Pick<Transaction, 'kind' | 'isSuccess'>): boolean {
  return row.isSuccess ? row.kind === 'capture_failed' : CHARGE_KINDS.has(row.kind);
}

/**
 * Whether `row` is a charge the processor answered `pending`: an applied successful `pending` row of a `process`,
 * `authorize` or `confirm` call. A capture answered pending is no pending charge: nothing here ends or asks about it.
 */
export function isPendingCharge(row: Transaction): boolean {
  const operation = operationOf(row);
  return row.state === 'applied' && row.isSuccess && row.kind === 'pending' && (operation === 'process' || operation === 'authorize' || operation === 'confirm');
}

/**
 * Whether applied row `s` settles pending charge `pending` by its success: a successful authorization or capture
 * of the same gateway transaction, whatever their order (an earlier successful authorization of that id cannot
 * coexist with a later process or authorize: the payment was already authorized).
 */
function settlesBySuccess(s: Transaction, pending: Transaction): boolean {
  const id = pending.gatewayTransactionId;
  return s.id !== pending.id && s.state === 'applied' && id !== null && s.gatewayTransactionId === id && s.isSuccess && (s.kind === 'auth' || s.kind === 'capture');
}

/** The key in a failed row's `rawResponse.resolvedByOperator` naming the pending charge a person ended with it. */
export const ENDED_PENDING_CHARGE = 'pendingTransactionId';

/**
 * Whether applied row `s` is the failure a person recorded for pending charge `pending` from the processor's
 * dashboard (pending-charge-review.ts): only a person's failure names the row it ends, so no processor's
 * failure of the same id (maybe an earlier attempt's) is taken for it.
 */
function endedByOperator(s: Transaction, pending: Transaction): boolean {
  const resolution = s.rawResponse?.['resolvedByOperator'];
  return s.state === 'applied' && !s.isSuccess && typeof resolution === 'object' && resolution !== null && (resolution as Record<string, unknown>)[ENDED_PENDING_CHARGE] === pending.id;
}

/**
 * Whether `pending` is a pending charge (isPendingCharge) of a payment still `pending` that no successful
 * authorization or capture of the same gateway transaction (among `transactions`) settled yet, nor a person's
 * failure (endedByOperator).
 */
export function isUnsettledPendingCharge(payment: Payment, transactions: readonly Transaction[], pending: Transaction): boolean {
  if (payment.chargeStatus !== 'pending' || !isPendingCharge(pending)) return false;
  if (transactions.some((s) => endedByOperator(s, pending))) return false;
  return pending.gatewayTransactionId === null || !transactions.some((s) => settlesBySuccess(s, pending));
}

/**
 * Whether the payment waits for another `pending` row than `pending`: an unsettled pending charge, or a capture
 * answered pending (not a pending charge: nothing here tells when it is settled, so it always counts).
 */
export function waitsForAnother(payment: Payment, transactions: readonly Transaction[], pending: Transaction): boolean {
  return transactions.some(
    (t) => t.id !== pending.id && t.state === 'applied' && t.isSuccess && t.kind === 'pending' && (!isPendingCharge(t) || isUnsettledPendingCharge(payment, transactions, t)),
  );
}

/** Whether `pending` is an applied, successful `pending` row of a payment still `pending`, settled or not (what the store lists). */
export function isPendingChargeOfPendingPayment(payment: Payment, pending: Transaction): boolean {
  return payment.chargeStatus === 'pending' && pending.state === 'applied' && pending.isSuccess && pending.kind === 'pending';
}

/**
 * Whether the payment of pending charge `pending` is left `pending` for good: `pending` was settled (a successful
 * authorization or capture of its gateway transaction applied) but the payment stayed `pending`, and no other
 * `pending` row of it is still open (waitsForAnother). The code before the rule of endsPendingCharge left payments so (their
 * authorization could never be captured, nor voided), and an instance of it still does during a rolling upgrade.
 * Reconciliation repairs them (repairStuckPendingCharge). One whose pending charge has only a failure row is not
 * stuck: that failure may be an earlier attempt's; reconciliation asks the gateway about it.
 */
export function isStuckPendingCharge(payment: Payment, transactions: readonly Transaction[], pending: Transaction): boolean {
  if (payment.chargeStatus !== 'pending' || !isPendingCharge(pending) || !transactions.some((s) => settlesBySuccess(s, pending))) return false;
  return !waitsForAnother(payment, transactions, pending);
}

/**
 * Charges answered `pending` of payments still `pending`, oldest first, that reconciliation may act on: those
 * it can ask the gateway about (canAskAbout; none when the store cannot list them), settled or not. No read per
 * row: the pass first tells which are due (reconcile-backoff.ts), then reads each due one's payment and
 * transactions once (pendingChargeAction).
 */
export async function listPendingChargesToReconcile(ctx: LedgerContext): Promise<Transaction[]> {
  const listed = ctx.store.listUnsettledPendingCharges ? await ctx.store.listUnsettledPendingCharges() : [];
  return listed.filter(canAskAbout);
}

/**
 * What reconciliation does about listed pending charge `row` of `payment`: `repair` a stuck one
 * (isStuckPendingCharge), `ask` the gateway about an unsettled one (isUnsettledPendingCharge), or nothing
 * (null): settled, and its payment waits for another charge (or settled meanwhile).
 */
export function pendingChargeAction(payment: Payment, transactions: readonly Transaction[], row: Transaction): 'repair' | 'ask' | null {
  if (isStuckPendingCharge(payment, transactions, row)) return 'repair';
  return canAskAbout(row) && isUnsettledPendingCharge(payment, transactions, row) ? 'ask' : null;
}

/**
 * Repairs a payment left `pending` after its pending charge was settled (isStuckPendingCharge), under its lock,
 * without asking the gateway: back to the status its amounts give (chargeStatusOfAmounts: `not-charged` when
 * nothing is captured) as endsPendingCharge would have set it when the settling authorization was applied
 * (apply.ts), its version bumped. The amounts stay as the applied rows made them. False when it is no longer
 * stuck (repaired meanwhile).
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
    'reconciliation: payment left pending after its pending charge was settled (authorized or captured) set back to the status its amounts give',
  );
  return true;
}

/** Whether reconciliation can ask the gateway about `pending`: a charge the ledger started (process, authorize or confirm), with its gateway transaction id. */
export function canAskAbout(pending: Transaction): boolean {
  return isPendingCharge(pending) && pending.gatewayTransactionId !== null;
}


/**
 * Whether row `row`, being applied, ends the pending charge of `payment`: the payment is `pending` and `row` is
 * the successful authorization of the gateway transaction of an unsettled pending charge (isUnsettledPendingCharge).
 * The payment's status then follows its amounts (chargeStatusOfAmounts: `not-charged` when nothing is captured),
 * so it can be captured or voided. (Its capture makes it charged on its own, by the transition table.) A failure
 * ends nothing: the same id may be an earlier attempt's (a late payment_failed of a declined attempt). A row of
 * another gateway transaction changes nothing.
 */
export function endsPendingCharge(payment: Payment, transactions: readonly Transaction[], row: Transaction): boolean {
  const id = row.gatewayTransactionId;
  if (payment.chargeStatus !== 'pending' || id === null || !row.isSuccess || row.kind !== 'auth') return false;
  return transactions.some((t) => t.id !== row.id && t.gatewayTransactionId === id && isUnsettledPendingCharge(payment, transactions, t));
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
