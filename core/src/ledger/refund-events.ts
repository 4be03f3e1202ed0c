import { Decimal } from 'decimal.js';
import { PAYMENT_BUSY_REASONS, paymentBusy } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { operationOf, unresolved } from './operations.js';
import type { NormalizedResponse } from './records.js';

/**
 * Where a processor's successful `refund` event goes. Processors report
 * refunds differently: Razorpay's refund.processed carries the refund's own
 * amount and id; Stripe's charge.refunded carries the charge's running total
 * (amount_refunded), and echoes the key of the call that caused it;
 * Flutterwave's refund.completed may carry either and nothing of the call.
 * So an event answers a refund the ledger asked for only on evidence that
 * cannot point at another refund: its gateway refund id, the call's key, its
 * amount equal to the amount asked of a refund held for review, or a running
 * total that no refund of its own could be. While a refund call waits for its
 * answer, a keyless event is not matched on its amount (a dashboard refund of
 * the same amount would take that call's row): it waits for the answer. A
 * refund the ledger asked for is counted for no more than it asked. An event
 * the ledger cannot place safely is held for review.
 */
export type RefundPlan =
  /** Answers `asked` for `amount`: onto its own row (`onto`), or as a new row settling an ongoing refund (null). */
  | { action: 'settle'; asked: Transaction; onto: Transaction | null; amount: Decimal }
  /** A refund of its own (e.g. made on the processor's dashboard). */
  | { action: 'own' }
  /** The call of `asked` made this refund, but its row already carries another one (anotherRefundOf): a new row for `amount`. */
  | { action: 'another'; asked: Transaction; amount: Decimal }
  /** Recorded held for review, counting nothing: it may be the running total of `related` (held for review) or a refund of its own. */
  | { action: 'hold'; related: Transaction[] }
  /** The same refund's event already held for review (another event id): nothing more. */
  | { action: 'repeat'; held: Transaction }
  /** Not for this module: the inbox's general matching (a failure, another kind, a key naming another row). */
  | { action: 'other' };

const ZERO = new Decimal(0);

/**
 * The asked-for refund a successful `refund` event completes: an applied
 * `refund_ongoing` of the same gateway transaction (one a `refund` already
 * settled is alreadyRecorded; one a `refund_failed` settled still bounds
 * what its completion may count).
 */
function ongoingRefundOf(transactions: readonly Transaction[], r: NormalizedResponse): Transaction | undefined {
  if (r.transactionId === null) return undefined;
  return transactions.find((t) => t.state === 'applied' && t.isSuccess && t.kind === 'refund_ongoing' && t.gatewayTransactionId === r.transactionId);
}

/** A refund event the inbox recorded and held for review, of the same gateway refund. */
function heldEventOf(transactions: readonly Transaction[], r: NormalizedResponse): Transaction | undefined {
  if (r.transactionId === null) return undefined;
  return transactions.find((t) => t.state === 'review' && t.kind === 'refund' && operationOf(t) === null && t.gatewayTransactionId === r.transactionId);
}

/** What the ledger counts as refunded so far (a processor's running total counts the same refunds). */
function refundedSoFar(transactions: readonly Transaction[]): Decimal {
  let total = ZERO;
  for (const t of transactions) {
    if (t.state !== 'applied' || !t.isSuccess) continue;
    if (t.kind === 'refund') total = total.plus(t.amount);
    else if (t.kind === 'refund_reversed') total = total.minus(t.amount);
  }
  return Decimal.max(total, ZERO);
}

/** Settles `asked` for no more than it asked (the processor may report a running total); less as reported. */
function settle(asked: Transaction, onto: Transaction | null, r: NormalizedResponse): RefundPlan {
  return { action: 'settle', asked, onto, amount: Decimal.min(r.amount, asked.amount) };
}

/**
 * The refund a call's answer or keyed event reports for `row` (a refund call's row) when that row is
 * settled already with another gateway refund id: a refund of its own that the row's settling
 * event took for the call's (a dashboard refund of the same amount), or a processor that
 * refunded twice. Counted for no more than the call asked. Null when it is not one: a failure,
 * the row's own refund, no id to tell, or a refund the ledger records already.
 */
export function anotherRefundOf(transactions: readonly Transaction[], row: Transaction, r: NormalizedResponse): Decimal | null {
  if (!r.isSuccess || (r.kind !== 'refund' && r.kind !== 'refund_ongoing') || r.transactionId === null) return null;
  if (row.state !== 'applied' || !row.isSuccess || (row.kind !== 'refund' && row.kind !== 'refund_ongoing') || row.gatewayTransactionId === null) return null;
  if (row.gatewayTransactionId === r.transactionId) return null;
  // Its own row, an event's, or one held for review: nothing new.
  if (transactions.some((t) => t.gatewayTransactionId === r.transactionId && (t.state === 'review' || (t.state === 'applied' && t.isSuccess)) && (t.kind === 'refund' || t.kind === 'refund_ongoing'))) return null;
  return Decimal.min(r.amount, row.amount);
}

/** Where a successful refund event goes (see RefundPlan); throws payment_busy when it must wait for refund calls in flight. */
export function placeRefundEvent(payment: Payment, transactions: readonly Transaction[], r: NormalizedResponse, key: string | null): RefundPlan {
  if (!r.isSuccess || r.kind !== 'refund') return { action: 'other' };
  const held = heldEventOf(transactions, r);
  if (held) return { action: 'repeat', held };
  const ongoing = ongoingRefundOf(transactions, r);
  if (ongoing) return settle(ongoing, null, r);
  // Refunds the ledger asked for whose answer it does not have: in flight, or held for review.
  const asked = unresolved(transactions).filter((t) => operationOf(t) === 'refund');
  if (key) {
    const keyed = transactions.find((t) => t.gatewayIdempotencyKey === key);
    if (keyed && asked.includes(keyed)) return settle(keyed, keyed, r);
    // The call's key, another refund id than its row's: not that row's repeat, a refund to count.
    const another = keyed && operationOf(keyed) === 'refund' ? anotherRefundOf(transactions, keyed, r) : null;
    if (keyed && another) return { action: 'another', asked: keyed, amount: another };
    if (keyed) return { action: 'other' };
  }
  const equal = asked.filter((t) => t.amount.eq(r.amount));
  if (equal.length > 1 && equal.some((t) => t.state === 'pending')) {
    // Given to the wrong one, a row would carry another refund's id, and that refund's own event would count again.
    throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.ambiguousEvent, `a processor event (refund of ${r.amount.toFixed()}) could answer ${equal.length} refunds still in flight; retry it once they have settled`, {
      transactionIds: equal.map((t) => t.id),
    });
  }
  const inFlight = asked.filter((t) => t.state === 'pending');
  if (inFlight.length > 0) {
    // Its answer is on its way: matched now on its amount or as a running total, a refund of its own
    // (a dashboard refund of the same amount) would take that row, and the call's refund be lost.
    throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.refundInFlight, `a processor event (refund of ${r.amount.toFixed()}) matches no recorded refund while ${inFlight.length} refund call(s) wait for their answer (without a call's key, not on its amount); retry it once they have one`, {
      transactionIds: inFlight.map((t) => t.id),
    });
  }
  // Only refunds held for review are left: no answer will come, so an event of the amount asked settles one.
  const refunded = refundedSoFar(transactions);
  const totals = refunded.gt(0) ? asked.filter((t) => refunded.plus(t.amount).eq(r.amount)) : [];
  if (equal[0]) {
    // Also the running total of another held refund: the ledger cannot tell which.
    const others = totals.filter((t) => !equal.includes(t));
    return others.length > 0 ? { action: 'hold', related: [...equal, ...others] } : settle(equal[0], equal[0], r);
  }
  if (totals.length === 0) return { action: 'own' };
  // More than is left captured is no refund's own amount: the running total of the held refund (the oldest of equal ones).
  if (r.amount.gt(payment.capturedAmount)) return settle(totals[0]!, totals[0]!, r);
  return { action: 'hold', related: totals };
}

/** Operations whose call may capture: a capture, or a charge or confirm that captures (auto-capture, a processor capturing an authorization itself). */
const CAPTURING = new Set(['process', 'authorize', 'confirm', 'capture']);

/**
 * A refund event for more than is captured may refund a capture whose answer the ledger does not
 * have yet: the processor's webhook overtook it. While such a call is in flight the event waits
 * (payment_busy, capture_in_flight; nothing recorded): the answer comes within the hook timeout (or
 * reconciliation settles a call its process lost), and the processor's retry then counts the refund,
 * as a refund event waits for a refund call in flight. A capturing call held for review (its
 * outcome unknown) is no reason to wait: it may stay held until a person settles it, longer than a
 * processor retries an event (Razorpay stops after a day), and a refund refused until then would be
 * lost without a trace. Those are returned: the event is held for review beside them, in the list
 * the person settles the capture from.
 */
export function capturesToWaitFor(payment: Payment, transactions: readonly Transaction[], reported: Decimal): Transaction[] {
  const open = unresolved(transactions).filter((t) => CAPTURING.has(operationOf(t) ?? ''));
  const inFlight = open.filter((t) => t.state === 'pending');
  if (inFlight.length > 0) {
    throw paymentBusy(
      payment.id,
      PAYMENT_BUSY_REASONS.captureInFlight,
      `a processor event (refund of ${reported.toFixed()}) reports more than is captured (${payment.capturedAmount.toFixed()}) while ${inFlight.length} call(s) that may capture wait for their answer; retry it once they have one`,
      { transactionIds: inFlight.map((t) => t.id) },
    );
  }
  return open.filter((t) => t.state === 'review');
}

/** Something the inbox logs at warn once its write committed (the store may run the write again). */
export interface RefundEventNote {
  fields: Record<string, unknown>;
  msg: string;
}

/** The note for a settled refund whose event reported another amount than was asked. */
export function settledMismatch(asked: Transaction, reported: Decimal, recorded: Decimal, refundTransactionId: string, gatewayTransactionId: string | null): RefundEventNote | null {
  if (reported.eq(asked.amount)) return null;
  const what = asked.kind === 'refund_ongoing' ? 'the ongoing refund' : 'the refund';
  const more = reported.gt(asked.amount);
  return {
    fields: {
      paymentId: asked.paymentId,
      transactionId: asked.id,
      refundTransactionId,
      // The event's refund id: a row the event settles has none before it.
      gatewayTransactionId: gatewayTransactionId ?? asked.gatewayTransactionId ?? '',
      requested: asked.amount.toFixed(),
      reported: reported.toFixed(),
      recorded: recorded.toFixed(),
    },
    msg: more
      ? `refund event reports more than ${what} asked for (a running total?): settled at the amount asked`
      : `refund event reports less than ${what} asked for: recorded as reported, the rest of its reservation released`,
  };
}

/** The note for a refund event held for review. */
export function heldNote(payment: Payment, held: Transaction, reported: Decimal, related: readonly Transaction[]): RefundEventNote {
  const fields = {
    paymentId: payment.id,
    transactionId: held.id,
    gatewayTransactionId: held.gatewayTransactionId ?? '',
    reported: reported.toFixed(),
    captured: payment.capturedAmount.toFixed(),
    heldRefundTransactionIds: related.map((t) => t.id),
  };
  return { fields, msg: held.error ?? 'refund event held for review' };
}

/** Why a refund event is held: what a person reads in the review list. */
export function holdReason(plan: 'more_than_captured' | 'capture_held' | 'maybe_running_total', reported: Decimal, payment: Payment, related: readonly Transaction[] = []): string {
  if (plan === 'capture_held') {
    return (
      `refund event reports ${reported.toFixed()} ${payment.currency}, more than is captured (${payment.capturedAmount.toFixed()}), while ${related.map((t) => `${operationOf(t) ?? t.kind} ${t.id}`).join(', ')} ` +
      '(held for review: its outcome is unknown) may have captured it: held for review, nothing counted; settle the capture first, then record what the processor refunded'
    );
  }
  if (plan === 'more_than_captured') {
    return `refund event reports ${reported.toFixed()} ${payment.currency}, more than is captured (${payment.capturedAmount.toFixed()}): held for review, nothing counted; record what the processor refunded`;
  }
  return (
    `refund event of ${reported.toFixed()} ${payment.currency} may be the running total of refund ${related.map((t) => t.id).join(', ')} (held for review) ` +
    'or a refund of its own: held for review, nothing counted; settle both from the processor\'s dashboard'
  );
}

/** The note for a refund the ledger records beside the row of its call, which carries another refund id (anotherRefundOf). */
export function anotherRefundNote(row: Transaction, recorded: Transaction, from: 'answer' | 'event'): RefundEventNote {
  return {
    fields: {
      paymentId: row.paymentId,
      transactionId: row.id,
      gatewayTransactionId: row.gatewayTransactionId ?? '',
      otherTransactionId: recorded.id,
      otherGatewayTransactionId: recorded.gatewayTransactionId ?? '',
      amount: recorded.amount.toFixed(),
      state: recorded.state,
    },
    msg:
      `a refund call's ${from === 'answer' ? 'answer' : 'keyed event'} names refund ${recorded.gatewayTransactionId ?? ''}, but its transaction was settled with refund ${row.gatewayTransactionId ?? ''} ` +
      `(by an event): both refunds are recorded (${recorded.state === 'review' ? 'the second held for review' : 'the second as its own'}); check the processor's dashboard`,
  };
}
