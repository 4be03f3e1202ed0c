import type { Decimal } from 'decimal.js';
import { isTransactionKind, type TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayEvent, GatewayResponse } from '../contracts/gateway.js';
import { applyResponse, markReview, repeatsRow } from './apply.js';
import { fault, gatewayApplyOptions, type LedgerContext } from './context.js';
import { unknownChannel } from '../manager/gateway-resolution.js';
import { invalidInput, paymentBusy, paymentNotFound, PAYMENT_BUSY_REASONS } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { ANSWER_KINDS, operationOf, reservesAmount, unresolved } from './operations.js';
import { normalizeResponse, pendingTransaction, readAmount, type NormalizedResponse } from './records.js';
import { anotherRefundNote, capturesToWaitFor, heldNote, holdReason, placeRefundEvent, settledMismatch, type RefundEventNote, type RefundPlan } from './refund-events.js';
import type { LedgerTx } from './store.js';
import { storableText } from './storable-text.js';
import { checkEventAmount, eventExcess, excessNote } from './event-amounts.js';

/** An unreadable event amount as an error message can show it: short, never a whole object. */
function describeAmount(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'number' ? `the JavaScript number ${value}` : `a value of type ${typeof value}`;
}

/** A gateway response as an event carries it: kind, success and amount at least (amount a Decimal or a decimal string, never a JS number). */
export type GatewayEventResponse = Partial<Omit<GatewayResponse, 'amount'>> &
  Pick<GatewayResponse, 'isSuccess' | 'kind'> & { amount: Decimal | string };

/** A verified processor event for the inbox (core's GatewayEvent, plus the gateway it came from). */
export interface GatewayEventInput extends Omit<GatewayEvent, 'type' | 'response'> {
  /** The gateway (plugin id) the event came from. */
  gateway: string;
  /**
   * The channel whose webhook endpoint received the event: its plugin
   * configuration (the processor account's signing secret) verified it, so
   * it may only change that channel's payments. Null or absent: a global
   * plugin's endpoint, for payments of any channel.
   */
  channel?: string | null;
  type?: string;
  response: GatewayEventResponse;
  /**
   * The PaymentData.idempotencyKey of the call the event answers, when the
   * processor echoes it (Stripe does): pins the ledger transaction exactly.
   */
  gatewayIdempotencyKey?: string | null;
}

export interface GatewayEventResult {
  /**
   * 'applied': the event changed the ledger; 'duplicate': this (gateway, event id)
   * was applied before; 'already_applied': the API response (or another event)
   * already recorded the same gateway transaction; 'other_channel': the payment
   * belongs to another channel than the event's, so nothing was recorded (a
   * processor account shared by several channels sends the event to each
   * channel's endpoint, and the payment's own channel applies it). A channel
   * the manager does not configure is refused instead (unknown_channel), so a
   * mistyped slug is not acknowledged and the event lost;
   * 'other_reference': the event is about another processor payment than the
   * one this payment was charged with (e.g. Razorpay refunding a second
   * payment made on the same order), so nothing was recorded.
   * 'other_gateway': the payment the event names belongs to another gateway
   * than the one whose endpoint verified the event, so nothing was recorded
   * (logged at warn: a processor retries a refused delivery for days).
   * 'held': a refund the ledger could not count safely (more than is
   * captured, or maybe the running total of a refund held for review), or an
   * authorization or capture for more than the ledger can count for it
   * (event-amounts.ts), was recorded held for review, counting nothing:
   * `transaction` is it (or the operation the ledger asked for, now held),
   * listed by listReview.
   */
  status: 'applied' | 'duplicate' | 'already_applied' | 'other_channel' | 'other_gateway' | 'other_reference' | 'held';
  payment: Payment;
  transaction: Transaction | null;
}

/**
 * Stages a gateway transaction passes through before later ones: an event of
 * an earlier stage arriving after the ledger applied a later stage of the
 * same gateway transaction is stale. (Razorpay sends payment.authorized and
 * payment.captured for one payment id, in any order: a late "authorized"
 * after the capture must not authorize the amount again.)
 */
const LATER_STAGES: Partial<Record<TransactionKind, ReadonlySet<TransactionKind>>> = {
  pending: new Set(['action_to_confirm', 'auth', 'capture', 'confirm']),
  action_to_confirm: new Set(['auth', 'capture', 'confirm']),
  auth: new Set(['capture']),
  // A refund the processor reported pending, then completed: a late "pending" is stale.
  refund_ongoing: new Set(['refund']),
};

/**
 * The applied transaction that already records this event's gateway transaction: one it repeats
 * (same kind; a successful event only repeats a success, see repeatsRow), or a later stage that succeeded.
 */
function alreadyRecorded(transactions: readonly Transaction[], r: NormalizedResponse): Transaction | undefined {
  if (!r.transactionId) return undefined;
  const later = LATER_STAGES[r.kind];
  return transactions.find(
    (t) => repeatsRow(t, r) || (t.state === 'applied' && t.gatewayTransactionId === r.transactionId && t.isSuccess && later?.has(t.kind) === true),
  );
}

/**
 * The transaction an event answers: the one named by the gateway key, else
 * the oldest unresolved one whose operation the event's kind can answer
 * (captures and refunds: of the same amount).
 *
 * Without a key, an event that could answer several of them, one still
 * waiting for its API answer, is not applied yet (payment_busy: the
 * processor retries it). Given to the wrong one, that row would carry
 * another gateway transaction's id, and the event of its own gateway
 * transaction would then be counted again. Once the API answers are in, the
 * retried event finds its gateway transaction recorded.
 */
function matchUnresolved(payment: Payment, transactions: readonly Transaction[], r: NormalizedResponse, key: string | null): Transaction | undefined {
  if (key) return transactions.find((t) => t.gatewayIdempotencyKey === key);
  const candidates = unresolved(transactions).filter((t) => {
    const op = operationOf(t);
    return op !== null && ANSWER_KINDS[op].has(r.kind) && (!reservesAmount(op) || t.amount.eq(r.amount));
  });
  if (candidates.length > 1 && candidates.some((t) => t.state === 'pending')) {
    throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.ambiguousEvent, `a processor event (${r.kind} of ${r.amount.toFixed()}) could answer ${candidates.length} operations still in flight; retry it once they have settled`, {
      transactionIds: candidates.map((t) => t.id),
    });
  }
  return candidates[0];
}

/**
 * The payment an event is for: the one holding its PSP reference in the
 * ledger, else the one it names. The ledger's claim wins over the processor's
 * metadata: after two payments raced for one processor payment (no
 * compare-and-set there), the metadata may name the payment the ledger
 * refused, and the events (a refund made on the dashboard) belong to the one
 * that was charged.
 */
async function resolvePaymentId(ctx: LedgerContext, event: GatewayEventInput): Promise<string> {
  const reference = typeof event.pspReference === 'string' && event.pspReference !== '' ? event.pspReference : null;
  if (typeof event.paymentId === 'string' && event.paymentId !== '') {
    const holder = reference && ctx.store.findPaymentIdByPspReference ? await ctx.store.findPaymentIdByPspReference(event.gateway, storableText(reference)) : null;
    return holder ?? storableText(event.paymentId);
  }
  if (reference === null) throw invalidInput('A gateway event needs a paymentId or a pspReference');
  if (!ctx.store.findPaymentIdByPspReference) {
    throw invalidInput('This ledger store cannot find payments by PSP reference: the event must carry the paymentId', { pspReference: reference });
  }
  // Processor text may hold characters PostgreSQL refuses: looked up (and recorded) as the ledger stores them.
  const id = await ctx.store.findPaymentIdByPspReference(event.gateway, storableText(reference));
  if (!id) throw paymentNotFound(`psp:${reference}`);
  return id;
}

/**
 * The webhook inbox: applies each (gateway, event id) once, through the same
 * code as API responses, in one store transaction holding the payment lock.
 * Order does not matter:
 * - an event for a gateway transaction the ledger already applied (same
 *   gateway transaction id and kind, or same gateway key) changes nothing,
 *   nor does a late event of an earlier stage of it (an authorization
 *   arriving after its capture); a success is never taken for a repeat of
 *   a failed row of the same id (a later attempt on it succeeded);
 * - an event that answers a pending transaction (the API response has not
 *   arrived, or the process died) applies to that transaction and completes
 *   its caller's idempotency record; the API result, when it comes, finds it
 *   applied and returns it without counting twice;
 * - a successful refund event answers a refund the ledger asked for (its
 *   refund_ongoing, its row under the call's key, a refund held for review
 *   of the same amount, or a running total nothing else explains) for no
 *   more than it asked; without the key it waits for the refund calls in
 *   flight (payment_busy), or is held for review beside a refund held for
 *   review when ambiguous; under the key of a row settled with another
 *   refund id it is another refund, recorded beside it; none counts more
 *   than is captured: it waits for a call that may capture still in flight
 *   (payment_busy, capture_in_flight: its webhook overtook the capture's
 *   answer), else is held for review (refund-events.ts);
 * - any other event (e.g. a refund made on the processor's dashboard) is
 *   recorded as a new transaction.
 * Amounts are checked as a plugin's answers are: one that is not a Decimal or
 * a plain decimal string, is finer than the payment's currency, or is zero
 * for a success that moves money is refused (invalid_input, nothing
 * recorded); an authorization or capture for more than the operation it
 * answers asked for, or recorded on its own for more than the payment's total
 * leaves, is held for review (event-amounts.ts), or, that operation's call
 * still waiting for its answer, waits for it (payment_busy).
 * If applying fails, the event is not recorded either, so the processor's
 * retry can deliver it again. An event scoped to a channel (`event.channel`)
 * never changes another channel's payment ('other_channel'), nor one of
 * another gateway ('other_gateway'), and an event about another processor
 * payment than the one a payment was charged with never changes that payment
 * ('other_reference').
 */
export async function applyGatewayEvent(ctx: LedgerContext, event: GatewayEventInput): Promise<GatewayEventResult> {
  if (typeof event.gateway !== 'string' || event.gateway === '' || typeof event.eventId !== 'string' || event.eventId === '') {
    throw invalidInput('A gateway event needs a gateway and an eventId');
  }
  if (typeof event.response !== 'object' || event.response === null) throw invalidInput('A gateway event needs a response');
  // Refused rather than guessed: an event the ledger did not start is recorded with its own kind and amount.
  if (!isTransactionKind(event.response.kind)) throw invalidInput(`A gateway event needs a transaction kind, not ${JSON.stringify(event.response.kind)}`, { eventId: event.eventId });
  const amount = readAmount(event.response.amount);
  if (amount === null) {
    // A JavaScript number (0.1 + 0.2) or a string decimal.js reads as another number ("0x10", "1e1") is no amount the processor meant.
    throw invalidInput(`A gateway event needs its amount as a Decimal or a plain decimal string such as "10.50", not ${describeAmount(event.response.amount)}`, { eventId: event.eventId });
  }
  // Read as a failure, an isSuccess of 'true' would settle a pending charge as declined and free its amount.
  if (typeof event.response.isSuccess !== 'boolean') throw invalidInput('A gateway event needs isSuccess, true or false', { eventId: event.eventId });
  const paymentId = await resolvePaymentId(ctx, event);
  const reference = typeof event.pspReference === 'string' && event.pspReference !== '' ? storableText(event.pspReference) : null;
  // Set inside the store transaction (which the store may run again), logged once it committed.
  let notes: RefundEventNote[] = [];
  const result = await ctx.store.transaction(async (tx): Promise<GatewayEventResult> => {
    notes = [];
    const payment = await tx.getPayment(paymentId, { forUpdate: true });
    if (!payment) throw paymentNotFound(paymentId);
    // Before the event id is recorded: the payment's own channel must still be able to apply it.
    if (typeof event.channel === 'string' && payment.channel !== event.channel) {
      // A channel the manager does not configure verified nothing (a mistyped slug): refused, not acknowledged.
      if (ctx.gateways.listChannels && !ctx.gateways.listChannels().includes(event.channel)) throw unknownChannel(event.channel);
      return { status: 'other_channel', payment, transaction: null };
    }
    // Not this gateway's payment (another deployment's ids, a payment moved from another processor): nothing to apply here.
    if (payment.gateway !== event.gateway) return { status: 'other_gateway', payment, transaction: null };
    const currency = event.response.currency;
    if (typeof currency === 'string' && currency !== '' && currency.toUpperCase() !== payment.currency) {
      throw invalidInput(`Event in ${currency} for a payment in ${payment.currency}`, { paymentId, eventId: event.eventId });
    }
    // Not this payment's money: it was charged through another processor payment (one PSP reference pays for one payment).
    if (reference !== null && payment.pspReference !== null && payment.pspReference !== reference) return { status: 'other_reference', payment, transaction: null };
    checkEventAmount(payment, event.eventId, event.response, amount);
    const now = ctx.now();
    if (!(await tx.recordWebhookEvent(event.gateway, storableText(event.eventId), now))) return { status: 'duplicate', payment, transaction: null };
    const transactions = await tx.listTransactions(payment.id);
    const response = event.response;
    const r = normalizeResponse(response, { kind: event.response.kind, amount: payment.total });
    const key = typeof event.gatewayIdempotencyKey === 'string' && event.gatewayIdempotencyKey !== '' ? event.gatewayIdempotencyKey : null;
    const known = alreadyRecorded(transactions, r);
    if (known) return { status: 'already_applied', payment, transaction: known };
    const plan = placeRefundEvent(payment, transactions, r, key);
    if (plan.action !== 'other') return applyRefundPlan(ctx, tx, { payment, plan, transactions, r, response, event, now, notes });
    const matched = matchUnresolved(payment, transactions, r, key);
    if (matched?.state === 'applied') return { status: 'already_applied', payment, transaction: matched };
    const excess = eventExcess(payment, matched, r);
    if (excess) {
      // Its call still in flight: its answer settles the row (the event's retry then finds it recorded).
      if (matched?.state === 'pending') {
        throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.operationInProgress, `a processor event (${r.kind} of ${r.amount.toFixed()}) reports more than the operation waiting for its answer asked for (${matched.amount.toFixed()}); retry it once it has one`, {
          operation: operationOf(matched),
          transactionId: matched.id,
        });
      }
      const row = matched ?? (await insertEventTransaction(tx, payment, r, event, now));
      const held = await markReview(tx, { ...row, gatewayTransactionId: row.gatewayTransactionId ?? r.transactionId, rawResponse: r.rawResponse ?? row.rawResponse }, now, excess);
      notes.push(excessNote(payment, held, r));
      return { status: 'held', payment, transaction: held };
    }
    const target = matched ?? (await insertEventTransaction(tx, payment, r, event, now));
    // Completes the caller's idempotency record of a transaction the ledger started, in the same write.
    const applied = await applyResponse(tx, payment, target, response, { now, ...gatewayApplyOptions(ctx, payment), complete: target.idempotencyKey });
    return { status: 'applied', payment: applied.payment, transaction: applied.transaction };
  });
  for (const note of notes) ctx.logger.warn(note.fields, note.msg);
  if (result.status === 'other_gateway') {
    ctx.logger.warn(
      { eventGateway: event.gateway, paymentGateway: result.payment.gateway, paymentId, eventId: event.eventId, channel: event.channel ?? null },
      'webhook event names a payment of another gateway: acknowledged, not applied',
    );
  }
  if (result.transaction) {
    await fault(ctx, { point: 'after-apply', operation: 'event', paymentId, transactionId: result.transaction.id });
  }
  return result;
}

interface RefundWrite {
  payment: Payment;
  plan: Exclude<RefundPlan, { action: 'other' }>;
  /** The payment's transactions before the event. */
  transactions: readonly Transaction[];
  r: NormalizedResponse;
  response: GatewayEventResponse;
  event: GatewayEventInput;
  now: Date;
  /** What to log once the write committed. */
  notes: RefundEventNote[];
}

/** Records a successful refund event as placeRefundEvent decided, never counting more than is captured. */
async function applyRefundPlan(ctx: LedgerContext, tx: LedgerTx, w: RefundWrite): Promise<GatewayEventResult> {
  const { payment, plan, r, event, now } = w;
  if (plan.action === 'repeat') return { status: 'held', payment, transaction: plan.held };
  const amount = plan.action === 'settle' || plan.action === 'another' ? plan.amount : r.amount;
  const hold = async (reason: string, related: readonly Transaction[]): Promise<GatewayEventResult> => {
    // A refund the ledger asked for keeps its row (and reservation); an event's own refund gets a row that counts nothing.
    const row = plan.action === 'settle' && plan.onto ? plan.onto : await insertEventTransaction(tx, payment, { ...r, amount }, event, now);
    const held = await markReview(tx, { ...row, gatewayTransactionId: row.gatewayTransactionId ?? r.transactionId, rawResponse: r.rawResponse ?? row.rawResponse }, now, reason);
    w.notes.push(plan.action === 'another' ? anotherRefundNote(plan.asked, held, 'event') : heldNote(payment, held, r.amount, related));
    return { status: 'held', payment, transaction: held };
  };
  if (plan.action === 'hold') return hold(holdReason('maybe_running_total', r.amount, payment, plan.related), plan.related);
  if (amount.gt(payment.capturedAmount)) {
    // Its call still in flight: its answer settles it (the event's retry then finds it).
    if (plan.action === 'settle' && plan.onto?.state === 'pending') {
      throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.refundInFlight, `a processor event (refund of ${r.amount.toFixed()}) would refund more than is captured while its call waits for its answer; retry it once it has one`, { transactionIds: [plan.onto.id] });
    }
    // A capture whose answer is on its way may make it fit (payment_busy, capture_in_flight); one held for review is named.
    const heldCaptures = capturesToWaitFor(payment, w.transactions, r.amount);
    const asked = plan.action === 'settle' || plan.action === 'another' ? [plan.asked] : [];
    // The note's heldRefundTransactionIds stay refunds: the reason (its message) names the held calls.
    if (heldCaptures.length > 0) return hold(holdReason('capture_held', r.amount, payment, heldCaptures), asked);
    return hold(holdReason('more_than_captured', r.amount, payment), asked);
  }
  const target = plan.action === 'settle' && plan.onto ? plan.onto : await insertEventTransaction(tx, payment, { ...r, amount }, event, now);
  // Completes the caller's idempotency record of a refund the ledger started, in the same write.
  const applied = await applyResponse(tx, payment, target, { ...w.response, amount }, { now, ...gatewayApplyOptions(ctx, payment), complete: target.idempotencyKey });
  if (plan.action === 'settle') {
    const mismatch = settledMismatch(plan.asked, r.amount, amount, applied.transaction.id, r.transactionId);
    if (mismatch) w.notes.push(mismatch);
  }
  if (plan.action === 'another') w.notes.push(anotherRefundNote(plan.asked, applied.transaction, 'event'));
  return { status: 'applied', payment: applied.payment, transaction: applied.transaction };
}

/** A transaction the ledger did not start (e.g. a refund made on the processor's dashboard). */
async function insertEventTransaction(tx: LedgerTx, payment: Payment, r: NormalizedResponse, event: GatewayEventInput, now: Date): Promise<Transaction> {
  const row = pendingTransaction({
    payment,
    kind: r.kind,
    amount: r.amount,
    idempotencyKey: null,
    gatewayIdempotencyKey: `event:${event.gateway}:${storableText(event.eventId)}`,
    now,
  });
  await tx.insertTransaction(row);
  return row;
}
