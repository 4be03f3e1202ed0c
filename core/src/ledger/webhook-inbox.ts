import { Decimal } from 'decimal.js';
import { isTransactionKind, type TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayEvent, GatewayResponse } from '../contracts/gateway.js';
import { applyResponse } from './apply.js';
import { fault, gatewayStoresCustomers, type LedgerContext } from './context.js';
import { invalidInput, paymentBusy, paymentNotFound } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { ANSWER_KINDS, operationOf, reservesAmount, unresolved } from './operations.js';
import { normalizeResponse, pendingTransaction, readAmount, type NormalizedResponse } from './records.js';
import type { LedgerTx } from './store.js';
import { storableText } from './storable-text.js';

/** A gateway response as an event carries it: kind, success and amount at least (amount may be a string). */
export type GatewayEventResponse = Partial<Omit<GatewayResponse, 'amount'>> &
  Pick<GatewayResponse, 'isSuccess' | 'kind'> & { amount: Decimal | string | number };

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
   * channel's endpoint, and the payment's own channel applies it);
   * 'other_reference': the event is about another processor payment than the
   * one this payment was charged with (e.g. Razorpay refunding a second
   * payment made on the same order), so nothing was recorded.
   */
  status: 'applied' | 'duplicate' | 'already_applied' | 'other_channel' | 'other_reference';
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

/** The applied transaction that already records this event's gateway transaction (same kind, or a later stage that succeeded). */
function alreadyRecorded(transactions: readonly Transaction[], r: NormalizedResponse): Transaction | undefined {
  if (!r.transactionId) return undefined;
  const later = LATER_STAGES[r.kind];
  return transactions.find(
    (t) => t.state === 'applied' && t.gatewayTransactionId === r.transactionId && (t.kind === r.kind || (t.isSuccess && later?.has(t.kind) === true)),
  );
}

/**
 * The asked-for refund a successful `refund` event completes: an applied
 * `refund_ongoing` of the same gateway transaction (one a `refund` already
 * settled is alreadyRecorded; one a `refund_failed` settled still bounds
 * what its completion may count).
 */
function ongoingRefundOf(transactions: readonly Transaction[], r: NormalizedResponse): Transaction | undefined {
  if (!r.isSuccess || r.kind !== 'refund' || r.transactionId === null) return undefined;
  return transactions.find((t) => t.state === 'applied' && t.isSuccess && t.kind === 'refund_ongoing' && t.gatewayTransactionId === r.transactionId);
}

/** An event amount that differs from the ongoing refund it settles (logged once the write is committed). */
interface SettledMismatch {
  paymentId: string;
  transactionId: string;
  gatewayTransactionId: string;
  requested: string;
  reported: string;
  recorded: string;
}

/**
 * What settling an ongoing refund records: never more than the refund asked
 * for (a processor may report the running total of the payment's refunds, as
 * Flutterwave's refund.completed may); less is recorded as reported (the
 * processor says it returned only that; the rest of the reservation is
 * released with the refund).
 */
function settlingAmount(ongoing: Transaction, r: NormalizedResponse): { amount: Decimal; mismatch: SettledMismatch | null } {
  const amount = Decimal.min(r.amount, ongoing.amount);
  if (r.amount.eq(ongoing.amount)) return { amount, mismatch: null };
  const mismatch = {
    paymentId: ongoing.paymentId,
    transactionId: ongoing.id,
    gatewayTransactionId: ongoing.gatewayTransactionId ?? '',
    requested: ongoing.amount.toFixed(),
    reported: r.amount.toFixed(),
    recorded: amount.toFixed(),
  };
  return { amount, mismatch };
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
    throw paymentBusy(payment.id, `a processor event (${r.kind} of ${r.amount.toFixed()}) could answer ${candidates.length} operations still in flight; retry it once they have settled`, {
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
 *   arriving after its capture);
 * - an event that answers a pending transaction (the API response has not
 *   arrived, or the process died) applies to that transaction and completes
 *   its caller's idempotency record; the API result, when it comes, finds it
 *   applied and returns it without counting twice;
 * - a successful refund of a gateway transaction the ledger holds as
 *   refund_ongoing settles it, for no more than it asked (settlingAmount);
 * - any other event (e.g. a refund made on the processor's dashboard) is
 *   recorded as a new transaction.
 * If applying fails, the event is not recorded either, so the processor's
 * retry can deliver it again. An event scoped to a channel (`event.channel`)
 * never changes another channel's payment ('other_channel'), and an event
 * about another processor payment than the one a payment was charged with
 * never changes that payment ('other_reference').
 */
export async function applyGatewayEvent(ctx: LedgerContext, event: GatewayEventInput): Promise<GatewayEventResult> {
  if (typeof event.gateway !== 'string' || event.gateway === '' || typeof event.eventId !== 'string' || event.eventId === '') {
    throw invalidInput('A gateway event needs a gateway and an eventId');
  }
  if (typeof event.response !== 'object' || event.response === null) throw invalidInput('A gateway event needs a response');
  // Refused rather than guessed: an event the ledger did not start is recorded with its own kind and amount.
  if (!isTransactionKind(event.response.kind)) throw invalidInput(`A gateway event needs a transaction kind, not ${JSON.stringify(event.response.kind)}`, { eventId: event.eventId });
  if (readAmount(event.response.amount) === null) throw invalidInput('A gateway event needs its amount (a non-negative decimal)', { eventId: event.eventId });
  // Read as a failure, an isSuccess of 'true' would settle a pending charge as declined and free its amount.
  if (typeof event.response.isSuccess !== 'boolean') throw invalidInput('A gateway event needs isSuccess, true or false', { eventId: event.eventId });
  const paymentId = await resolvePaymentId(ctx, event);
  const reference = typeof event.pspReference === 'string' && event.pspReference !== '' ? storableText(event.pspReference) : null;
  // Set inside the store transaction (which the store may run again), logged once it committed.
  const settling: { mismatch: SettledMismatch | null } = { mismatch: null };
  const result = await ctx.store.transaction(async (tx): Promise<GatewayEventResult> => {
    settling.mismatch = null;
    const payment = await tx.getPayment(paymentId, { forUpdate: true });
    if (!payment) throw paymentNotFound(paymentId);
    // Before the event id is recorded: the payment's own channel must still be able to apply it.
    if (typeof event.channel === 'string' && payment.channel !== event.channel) return { status: 'other_channel', payment, transaction: null };
    if (payment.gateway !== event.gateway) {
      throw invalidInput(`Event from gateway "${event.gateway}" for a payment of gateway "${payment.gateway}"`, { paymentId, gateway: event.gateway });
    }
    const currency = event.response.currency;
    if (typeof currency === 'string' && currency !== '' && currency.toUpperCase() !== payment.currency) {
      throw invalidInput(`Event in ${currency} for a payment in ${payment.currency}`, { paymentId, eventId: event.eventId });
    }
    // Not this payment's money: it was charged through another processor payment (one PSP reference pays for one payment).
    if (reference !== null && payment.pspReference !== null && payment.pspReference !== reference) return { status: 'other_reference', payment, transaction: null };
    const now = ctx.now();
    if (!(await tx.recordWebhookEvent(event.gateway, storableText(event.eventId), now))) return { status: 'duplicate', payment, transaction: null };
    const transactions = await tx.listTransactions(payment.id);
    const response = event.response;
    const r = normalizeResponse(response, { kind: event.response.kind, amount: payment.total });
    const key = typeof event.gatewayIdempotencyKey === 'string' && event.gatewayIdempotencyKey !== '' ? event.gatewayIdempotencyKey : null;
    const known = alreadyRecorded(transactions, r);
    const ongoing = known ? undefined : ongoingRefundOf(transactions, r);
    if (ongoing) {
      // Settles the pending refund as its own refund row, counted for no more than it asked for.
      const settled = settlingAmount(ongoing, r);
      settling.mismatch = settled.mismatch;
      const row = await insertEventTransaction(tx, payment, { ...r, amount: settled.amount }, event, now);
      const applied = await applyResponse(tx, payment, row, { ...response, amount: settled.amount }, { now, storeCustomer: gatewayStoresCustomers(ctx, payment) });
      return { status: 'applied', payment: applied.payment, transaction: applied.transaction };
    }
    const target = known ?? matchUnresolved(payment, transactions, r, key) ?? (await insertEventTransaction(tx, payment, r, event, now));
    if (target.state === 'applied') return { status: 'already_applied', payment, transaction: target };
    // Completes the caller's idempotency record of a transaction the ledger started, in the same write.
    const applied = await applyResponse(tx, payment, target, response, { now, storeCustomer: gatewayStoresCustomers(ctx, payment), complete: target.idempotencyKey });
    return { status: 'applied', payment: applied.payment, transaction: applied.transaction };
  });
  if (settling.mismatch && result.transaction) logSettledMismatch(ctx, settling.mismatch, result.transaction.id);
  if (result.transaction) {
    await fault(ctx, { point: 'after-apply', operation: 'event', paymentId, transactionId: result.transaction.id });
  }
  return result;
}

function logSettledMismatch(ctx: LedgerContext, m: SettledMismatch, refundTransactionId: string): void {
  const more = new Decimal(m.reported).gt(m.requested);
  ctx.logger.warn(
    { ...m, refundTransactionId },
    more
      ? 'refund event reports more than the ongoing refund asked for (a running total?): settled at the amount asked'
      : 'refund event reports less than the ongoing refund asked for: recorded as reported, the rest of its reservation released',
  );
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
