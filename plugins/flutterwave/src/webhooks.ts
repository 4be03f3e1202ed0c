import type { GatewayEvent, GatewayResponse, PaymentData, WebhookRequest, WebhookResponse } from '@payhost/core';
import { fromFlutterwaveAmount } from './amounts.js';
import { txRefSecrets } from './config.js';
import { fetchRefund, refundNotFound } from './refund-lookup.js';
import { accountOf, refundedByOthers, rememberRefund, requestedAmount, settleRememberedRefund } from './refund-memory.js';
import { refundKind, refundResponse, transactionResponse } from './responses.js';
import type { FlwRefund, FlwTransaction } from './sdk.js';
import { checkTxRef, type IssuedAmount, type TxRefCheck } from './tx-ref.js';
import { judge, type FlutterwaveContext } from './verify.js';
import { authenticWebhook } from './webhook-auth.js';

function reply(status: number, code: string, message: string): WebhookResponse {
  return { status, body: { code, message }, events: [] };
}

/**
 * 503 verification_failed (Flutterwave delivers it again): the answer goes to whoever calls the webhook URL,
 * so it says only what could not be asked, in fixed words; the SDK's error (an API message, a non-JSON page,
 * a network cause) is logged for the operator instead.
 */
function notVerified(ctx: FlutterwaveContext, what: string, fields: Record<string, unknown>, err: unknown): WebhookResponse {
  const failure = err as { kind?: unknown; httpStatus?: unknown; message?: unknown };
  const detail = { kind: failure?.kind ?? null, httpStatus: failure?.httpStatus ?? null, error: typeof failure?.message === 'string' ? failure.message : String(err) };
  ctx.logger?.warn({ ...fields, ...detail }, `flutterwave webhook: could not ${what} with Flutterwave; answered 503 verification_failed, Flutterwave delivers it again`);
  return reply(503, 'verification_failed', `Could not ${what} with Flutterwave; deliver it again later`);
}

const ok = (events: GatewayEvent[]): WebhookResponse => ({ status: 200, body: { received: true, applied: events.length }, events });

/** Acknowledged (200: Flutterwave retries anything else) but not applied; the plugin logs the reason. */
const ignored = (reason: string): WebhookResponse => ({ status: 200, body: { received: true, applied: 0, ignored: reason }, events: [] });

/**
 * Acknowledged without an event: a tx_ref this plugin did not issue for this channel (another channel's or
 * integration's on the same account, or signed with a secret no longer configured). Logged, as Flutterwave
 * does not deliver it again.
 */
function notIssued(ctx: FlutterwaveContext, type: string, tx: FlwTransaction): WebhookResponse {
  ctx.logger?.warn(
    { event: type, transactionId: tx.id, txRef: tx.tx_ref, channel: ctx.channel },
    `flutterwave ${type} for a tx_ref this plugin did not issue for this channel: no event (another channel's or integration's transaction, a tx_ref signed with a secret no longer configured, or one issued before tx_refs carried every payment id)`,
  );
  return ok([]);
}

interface EventBody {
  event?: unknown;
  data?: Record<string, unknown>;
}

/** The payment a bound tx_ref was issued for, as processPayment would see it (judge() reads amount, currency, id, data). */
function issuedPayment(paymentId: string, issued: IssuedAmount): PaymentData {
  return {
    amount: issued.amount,
    currency: issued.currency,
    paymentId,
    graphqlPaymentId: '',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: '',
    token: null,
    customerId: null,
    reuseSource: false,
    data: null,
  };
}

/**
 * What a verified charge means for the ledger; null for no event (pending,
 * or failed without a payment to record it on).
 * A tx_ref bound to a payment and signed with its amount is judged exactly as
 * processPayment judges it (binding, currency, exact amount, status): a
 * mismatch is a failed capture (nothing paid, the reason recorded on the
 * payment). Without a signed amount (an unbound tx_ref, or one issued before
 * amounts were signed) nothing tells what was due, so the event names no
 * payment: the ledger applies it only to the payment whose processPayment
 * already accepted this transaction (by pspReference), after judge(). A
 * failed charge of that kind yields no event: processPayment records its own
 * failures, nothing else in the ledger could hold the reference, and an event
 * with the reference alone gets the host's 404 payment_not_found (it waits
 * for references not recorded yet), which Flutterwave retries, then gives up
 * on and may disable the webhook for.
 */
function chargeEvent(ctx: FlutterwaveContext, tx: FlwTransaction, ref: TxRefCheck): { response: GatewayResponse; paymentId: string | null } | null {
  if (ref.boundTo !== null && ref.issuedFor) {
    const verdict = judge(ctx, issuedPayment(ref.boundTo, ref.issuedFor), tx, null);
    if (verdict.isSuccess && verdict.kind !== 'capture') return null;
    return { response: verdict, paymentId: ref.boundTo };
  }
  if (tx.status === 'successful') return { response: transactionResponse('capture', tx), paymentId: null };
  return null;
}

/** The charge statuses a delivery may claim that the API must show before the delivery is acknowledged. */
const FINAL_CHARGE_STATUSES = new Set(['successful', 'failed']);

/**
 * charge.completed: the payload is only used for the transaction id (and its
 * claimed status, to tell whether to wait); the transaction is verified with
 * the API, and only references this plugin issued for this channel produce an
 * event (others are not the host's). A delivery claiming a final status
 * (successful, failed) for a transaction the API still answers `pending` is
 * 503 `charge_not_settled`, so Flutterwave delivers it again once the API
 * caught up (a 200 would leave the payment pending for good); one that itself
 * says pending is acknowledged without an event.
 */
async function chargeCompleted(ctx: FlutterwaveContext, type: string, data: Record<string, unknown>): Promise<WebhookResponse> {
  const id = typeof data['id'] === 'number' ? data['id'] : Number(data['id']);
  if (!Number.isInteger(id) || id <= 0) return reply(400, 'invalid_body', 'charge.completed without a transaction id');
  let tx: FlwTransaction;
  try {
    tx = await ctx.client.verify(id);
  } catch (err) {
    return notVerified(ctx, `verify transaction ${id}`, { event: type, transactionId: id }, err);
  }
  const ref = checkTxRef(txRefSecrets(ctx.settings), ctx.channel, tx.tx_ref);
  if (!ref.issued) return notIssued(ctx, type, tx);
  const event = chargeEvent(ctx, tx, ref);
  if (!event) {
    const claimed = typeof data['status'] === 'string' ? data['status'].trim().toLowerCase() : '';
    if (tx.status === 'pending' && FINAL_CHARGE_STATUSES.has(claimed)) {
      return reply(503, 'charge_not_settled', `Flutterwave still reports transaction ${tx.id} as pending; the delivery says ${claimed}`);
    }
    return tx.status === 'failed' ? ignored('payment_not_matched') : ok([]);
  }
  // Flutterwave's events carry no time of their own: the verified transaction's creation time is the
  // earliest the event can be, and what the host's window for unmatched events counts from.
  return ok([{ eventId: `${type}:${tx.id}:${tx.status}`, type, paymentId: event.paymentId, pspReference: String(tx.id), response: event.response, occurredAt: validDate(tx.created_at) }]);
}

/** A timestamp as a Date; null when absent or unreadable (the host then treats the event's age as unknown). */
function validDate(text: string | undefined): Date | null {
  const date = new Date(text ?? '');
  return text && !Number.isNaN(date.getTime()) ? date : null;
}

function positiveInteger(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * refund.completed. Flutterwave v3 sends `{ id, AmountRefunded, status,
 * FlwRef, TransactionId, createdAt, ... }`: no currency and no tx_ref. Only
 * the two ids are taken from the body (the refund API's snake_case `tx_id`
 * is read too): the verif-hash is a fixed secret that signs nothing, so the
 * refunded transaction is verified with the API and the refund itself looked
 * up (GET /v3/refunds/:id); its amount, status and transaction are the API's.
 * 503 when either cannot be asked (Flutterwave retries); only transactions
 * this plugin issued the tx_ref of for this channel produce an event; a
 * refund Flutterwave does not have, or has for another transaction, none
 * (acknowledged, logged). A completed refund (`completed`, `completed-mpgs`,
 * ...: refundKind) settles what the ledger holds as refund_ongoing or in
 * review; a failed one is refund_failed; a pending or processing one yields no
 * event yet.
 */
async function refundCompleted(ctx: FlutterwaveContext, type: string, data: Record<string, unknown>): Promise<WebhookResponse> {
  const id = positiveInteger(data['id']);
  const txId = positiveInteger(data['TransactionId'] ?? data['tx_id']);
  if (id === null || txId === null) return reply(400, 'invalid_body', 'refund event without id or TransactionId');
  let tx: FlwTransaction;
  try {
    tx = await ctx.client.verify(txId);
  } catch (err) {
    return notVerified(ctx, `verify transaction ${txId} of refund ${id}`, { event: type, refundId: id, transactionId: txId }, err);
  }
  const ref = checkTxRef(txRefSecrets(ctx.settings), ctx.channel, tx.tx_ref);
  if (!ref.issued) return notIssued(ctx, type, tx);
  let refund: FlwRefund;
  try {
    refund = await fetchRefund(ctx.client, ctx.settings, id);
  } catch (err) {
    if (!refundNotFound(err)) return notVerified(ctx, `look up refund ${id}`, { event: type, refundId: id, transactionId: txId }, err);
    ctx.logger?.warn({ refundId: id, transactionId: txId }, 'flutterwave refund.completed for a refund Flutterwave does not have: not recorded (a forged delivery? rotate the secret hash if it recurs)');
    return ignored('refund_not_found');
  }
  if (refund.tx_id !== txId) {
    ctx.logger?.warn({ refundId: id, transactionId: txId, refundOf: refund.tx_id }, 'flutterwave refund.completed names another transaction than the refund\'s: not recorded (a forged delivery? rotate the secret hash if it recurs)');
    return ignored('refund_of_another_transaction');
  }
  if (refundKind(refund.status) === 'refund_ongoing') {
    // The delivery says the refund is over, the API not yet: answered 503 so that Flutterwave delivers it again.
    const claimed = typeof data['status'] === 'string' ? data['status'] : 'completed';
    if (refundKind(claimed) === 'refund_ongoing') return ok([]);
    return reply(503, 'refund_not_settled', `Flutterwave still reports refund ${id} as ${refund.status}`);
  }
  const response = boundedRefund(ctx, tx, refund);
  if (response === null) return ignored('refund_exceeds_transaction');
  // Refunds are in the refunded transaction's currency.
  return ok([{ eventId: `${type}:${id}`, type, paymentId: ref.boundTo, pspReference: String(txId), response, occurredAt: validDate(refund.created_at) }]);
}

/**
 * The refund as the ledger should record it, never for more than it can be:
 * the API's amount_refunded may be the transaction's running total
 * (Flutterwave does not say; a second partial refund of 30 after 60 could
 * report 90). A refund this
 * process asked for is capped at the amount asked, as refundPayment caps the
 * API's answer. Any other (made after a restart, on another instance, on the
 * dashboard, or whose answer was lost) can be bounded only by the verified
 * transaction's amount less the refunds of it this process saw complete: a
 * figure above that is not this refund's alone, so no event (null) and a
 * warning; below it, the figure is taken as given (README, Webhooks).
 */
function boundedRefund(ctx: FlutterwaveContext, tx: FlwTransaction, refund: FlwRefund): GatewayResponse | null {
  const account = accountOf(ctx.settings);
  const requested = requestedAmount(account, refund.tx_id, refund.id);
  const response = refundResponse(refund, tx.currency, requested ?? undefined);
  if (response.kind !== 'refund') {
    settleRememberedRefund(account, refund.tx_id, refund.id, null);
    return response;
  }
  const reported = fromFlutterwaveAmount(refund.amount_refunded);
  const where = { refundId: refund.id, transactionId: refund.tx_id, amountRefunded: reported.toFixed(), currency: tx.currency };
  if (requested !== null) {
    if (reported.greaterThan(requested)) ctx.logger?.info({ ...where, requested: requested.toFixed() }, 'flutterwave refund.completed reports more than the refund asked for: recorded the amount asked');
  } else {
    const others = refundedByOthers(account, refund.tx_id, refund.id);
    const left = fromFlutterwaveAmount(tx.amount).minus(others);
    if (reported.greaterThan(left)) {
      ctx.logger?.warn(
        { ...where, transactionAmount: fromFlutterwaveAmount(tx.amount).toFixed(), refundedBefore: others.toFixed() },
        'flutterwave refund.completed reports more than is left of the transaction (a running total?): not recorded; check the refund on the Flutterwave dashboard',
      );
      return null;
    }
  }
  // A refund this process did not ask for (the dashboard's) is remembered once recorded too: a later one's
  // running total is then bounded by what is left after it.
  if (requested === null) rememberRefund(account, refund.tx_id, refund.id, response.amount, response.amount);
  else settleRememberedRefund(account, refund.tx_id, refund.id, response.amount);
  return response;
}

/**
 * Verifies and normalizes one Flutterwave webhook delivery:
 * - 405 for anything but POST; 503 when no secret hash is configured;
 * - 401 unless the delivery carries the configured secret hash in verif-hash,
 *   or a flutterwave-signature made with it (webhook-auth.ts);
 * - 400 for a body that is not a Flutterwave event;
 * - charge.completed: re-verified with the API (503 if that fails, or if
 *   the API still says pending what the delivery says is final, so
 *   Flutterwave retries); refund.completed, its transaction verified and
 *   the refund looked up the same way (nothing but the ids taken from the
 *   body); other events: 200, no events.
 * Event ids are `<event>:<id>[:<status>]`, stable across retries, so the
 * host's inbox applies each once.
 */
export async function handleWebhook(ctx: FlutterwaveContext, request: WebhookRequest): Promise<WebhookResponse> {
  if (request.method.toUpperCase() !== 'POST') return { ...reply(405, 'method_not_allowed', 'Flutterwave webhooks are POST requests'), headers: { allow: 'POST' } };
  if (ctx.settings.secretHash === '') return reply(503, 'webhook_not_configured', 'No secret hash is configured for Flutterwave webhooks');
  if (!authenticWebhook(request, ctx.settings.secretHash)) {
    return reply(401, 'invalid_signature', 'verif-hash (or flutterwave-signature) is missing or wrong');
  }
  let body: EventBody;
  try {
    body = JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as EventBody;
  } catch {
    return reply(400, 'invalid_body', 'The webhook body is not JSON');
  }
  const type = body && typeof body.event === 'string' ? body.event : null;
  const data = body?.data && typeof body.data === 'object' ? body.data : null;
  if (!type || !data) return reply(400, 'invalid_body', 'The webhook body is not a Flutterwave event');
  if (type === 'charge.completed') return chargeCompleted(ctx, type, data);
  if (type === 'refund.completed') return refundCompleted(ctx, type, data);
  return ok([]);
}
