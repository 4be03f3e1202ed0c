import type { GatewayEvent, GatewayResponse, WebhookRequest, WebhookResponse } from '@payhost/core';
import { noteOwner, warnIfNotesContradict } from './binding.js';
import { signedNoteOwner } from './note-signature.js';
import { isRazorpayId, type RzpOrder, type RzpPayment, type RzpRefund } from './client.js';
import type { RazorpaySettings } from './config.js';
import type { RazorpayContext } from './operations.js';
import { mapPaymentFailure, mayHaveActed } from './errors.js';
import { autoRefundResponse, failedResponse, paymentResponse, refundResponse } from './responses.js';
import { fromRazorpayAmount } from './amounts.js';
import { verifyWebhookSignature } from './signature.js';

/** The events this plugin turns into ledger events; others are acknowledged and ignored. */
export const RAZORPAY_WEBHOOK_EVENTS = ['payment.authorized', 'payment.captured', 'payment.failed', 'refund.processed', 'refund.failed', 'order.paid'] as const;

interface RazorpayEventBody {
  event?: unknown;
  created_at?: unknown;
  payload?: {
    payment?: { entity?: RzpPayment };
    refund?: { entity?: RzpRefund };
    order?: { entity?: RzpOrder };
  };
}

/** A header's value, whatever case the host's HTTP layer gave its name in. */
export function header(headers: WebhookRequest['headers'], name: string): string | null {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : null;
  }
  return null;
}

function reply(status: number, code: string, message: string): WebhookResponse {
  return { status, body: { code, message }, events: [] };
}

/**
 * Razorpay auto-refunds only authorizations never captured, and marks them
 * by `captured: false` on the event's payment entity. Without the entity we
 * cannot tell, and treat the refund as one of a capture.
 */
function isAutoRefund(payment: RzpPayment | undefined): boolean {
  return payment?.captured === false;
}

/** What an event means for the ledger; null for events this plugin does not apply. */
function normalize(type: string, body: RazorpayEventBody): { response: GatewayResponse; pspReference: string; entityId: string } | null {
  const payment = body.payload?.payment?.entity;
  const refund = body.payload?.refund?.entity;
  switch (type) {
    case 'payment.authorized':
      return payment ? { response: paymentResponse('auth', payment), pspReference: payment.id, entityId: payment.id } : null;
    case 'payment.captured':
      return payment ? { response: paymentResponse('capture', payment), pspReference: payment.id, entityId: payment.id } : null;
    case 'order.paid':
      // Razorpay sends order.paid once a payment of the order is captured; an authorized payment is read as such anyway.
      if (!payment) return null;
      return { response: paymentResponse(payment.status === 'authorized' ? 'auth' : 'capture', payment), pspReference: payment.id, entityId: payment.id };
    case 'payment.failed': {
      if (!payment) return null;
      const ctx = { amount: fromRazorpayAmount(payment.amount, payment.currency), currency: payment.currency, pspReference: payment.id };
      return { response: failedResponse('auth', mapPaymentFailure(payment), ctx), pspReference: payment.id, entityId: payment.id };
    }
    case 'refund.processed':
      if (!refund) return null;
      if (isAutoRefund(payment)) return { response: autoRefundResponse(refund), pspReference: refund.payment_id, entityId: refund.id };
      // Settles a refund the API answered as pending (refund_ongoing): the ledger records the outcome as its own transaction.
      return { response: refundResponse({ ...refund, status: 'processed' }), pspReference: refund.payment_id, entityId: refund.id };
    case 'refund.failed':
      return refund ? { response: refundResponse({ ...refund, status: 'failed' }), pspReference: refund.payment_id, entityId: refund.id } : null;
    default:
      return null;
  }
}

type Verified = { type: string; createdAt: number; body: RazorpayEventBody };

/** A delivery acknowledged (200, so Razorpay neither retries it nor counts it against the webhook) but not applied. */
function ignored(reason: string): WebhookResponse {
  return { status: 200, body: { received: true, applied: 0, ignored: reason }, events: [] };
}

/**
 * Checks method, secret, signature and body; the refusal, or the verified
 * event. The age is checked by the caller: an old event is authentic, only
 * not applied (see handleWebhook).
 */
function verifyDelivery(settings: RazorpaySettings, request: WebhookRequest): Verified | WebhookResponse {
  if (request.method.toUpperCase() !== 'POST') return { ...reply(405, 'method_not_allowed', 'Razorpay webhooks are POST requests'), headers: { allow: 'POST' } };
  if (settings.webhookSecret === '') return reply(503, 'webhook_not_configured', 'No webhook secret is configured for Razorpay');
  const signature = header(request.headers, 'x-razorpay-signature');
  const rawBody = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(String(request.rawBody ?? ''), 'utf8');
  // The previous secret too, while a secret change is under way: Razorpay's retries keep the signature they were sent with.
  // An empty secret is never tried (anyone can compute HMAC('', body)): verifyWebhookSignature refuses one too.
  const signed = (secret: string) => secret !== '' && signature !== null && signature !== '' && verifyWebhookSignature(rawBody, signature, secret);
  if (!signed(settings.webhookSecret) && !signed(settings.previousWebhookSecret)) {
    return reply(401, 'invalid_signature', 'X-Razorpay-Signature is missing or does not match the body');
  }
  let body: RazorpayEventBody;
  try {
    body = JSON.parse(rawBody.toString('utf8')) as RazorpayEventBody;
  } catch {
    return reply(400, 'invalid_body', 'The webhook body is not JSON');
  }
  const type = body && typeof body.event === 'string' ? body.event : null;
  const createdAt = typeof body?.created_at === 'number' ? body.created_at : null;
  if (!type || createdAt === null) return reply(400, 'invalid_body', 'The webhook body is not a Razorpay event');
  return { type, createdAt, body };
}

/** Razorpay refused to give the order (e.g. "Order older than 180 days"): asking again will not help. */
const UNREADABLE = Symbol('unreadable order');

/**
 * The payment's order: from the payload (order.paid carries it), else
 * fetched, since only order.paid has it. Null for a payment without an
 * order; UNREADABLE when Razorpay refuses it for good (a 4xx with its error
 * body); undefined when Razorpay could not be asked (worth a retry).
 */
async function orderOf(ctx: RazorpayContext, body: RazorpayEventBody): Promise<RzpOrder | null | typeof UNREADABLE | undefined> {
  const inPayload = body.payload?.order?.entity;
  if (inPayload) return inPayload;
  const orderId = body.payload?.payment?.entity?.order_id;
  if (!isRazorpayId(orderId, 'order')) return null;
  try {
    return await ctx.api.orders.fetch(orderId);
  } catch (err) {
    const definite = !mayHaveActed(err);
    ctx.logger.warn({ gateway: 'payhost.razorpay', razorpayOrderId: orderId, err, definite }, 'could not fetch the Razorpay order of a webhook event');
    return definite ? UNREADABLE : undefined;
  }
}

/**
 * The host payment an event names: the order's `payhost_payment_id` note
 * (the server's); else the payment's, only when the plugin signed it
 * (its claim, binding.ts: Checkout lets the customer write any payment
 * note); else the refund's note (set by refundPayment). Null otherwise: the
 * event then goes by its PSP reference alone.
 */
function hostPaymentId(ctx: RazorpayContext, body: RazorpayEventBody, order: RzpOrder | null): string | null {
  const payment = body.payload?.payment?.entity;
  warnIfNotesContradict(ctx.logger, order, payment);
  const fromOrder = noteOwner(order);
  if (fromOrder !== null) return fromOrder;
  const signed = signedNoteOwner(ctx.settings.keySecret, payment);
  if (signed !== null) return signed;
  const unsigned = noteOwner(payment);
  if (unsigned !== null) {
    // A customer's note, or a claim made before signatures (or under a rolled key_secret): not believed.
    ctx.logger.info({ gateway: 'payhost.razorpay', razorpayPaymentId: payment?.id, ignoredPaymentNote: unsigned }, 'Razorpay payment note without a valid payhost signature: ignored');
  }
  return noteOwner(body.payload?.refund?.entity);
}

/**
 * Verifies and normalizes one Razorpay webhook delivery:
 * - 405 for anything but POST; 503 when no webhook secret is configured;
 * - 401 unless X-Razorpay-Signature is the HMAC-SHA256 of the raw body with
 *   the webhook secret (timing-safe);
 * - 400 for a body that is not a Razorpay event;
 * - 200 without events for an authentic event created further from now than
 *   the tolerance (48 h by default, twice Razorpay's 24 h of retries): only a
 *   dashboard resend or a replay is that old. Not applied, so a replayed
 *   signed body cannot change the ledger (its x-razorpay-event-id header is
 *   not signed, so the inbox's dedupe alone would not stop it); a lost
 *   update that old is recovered by reconciliation (getTransactionStatus).
 *   Not refused either: Razorpay retries a non-2xx for 24 h and then
 *   disables the webhook;
 * - 200 without events for a payment.failed no host payment can be told for
 *   (an order without the host's note, or one Razorpay no longer serves, and
 *   no payment note the plugin signed): a
 *   failed attempt the host never processed changes nothing in the ledger,
 *   and one it did process was recorded by that call. Emitted with only its
 *   PSP reference, the host would answer 404 payment_not_found (it waits for
 *   references it may not have recorded yet), for Razorpay to retry and then
 *   disable the webhook;
 * - 503 when the payment's order, needed to tell which host payment the
 *   event is for, cannot be fetched now (Razorpay retries); when Razorpay
 *   refuses it for good (orders older than 180 days), the event names the
 *   payment of the plugin's refund note, else none (the PSP reference does);
 * - otherwise 200 with the normalized events (none for event types it does
 *   not apply). The event id is the x-razorpay-event-id header, else
 *   `<event>:<entity id>:<created_at>`; the host's inbox applies each once.
 */
export async function handleWebhook(ctx: RazorpayContext, request: WebhookRequest, now: Date = new Date()): Promise<WebhookResponse> {
  const verified = verifyDelivery(ctx.settings, request);
  if ('status' in verified) return verified;
  const { type, createdAt, body } = verified;
  const eventHeader = header(request.headers, 'x-razorpay-event-id');
  if (Math.abs(now.getTime() / 1000 - createdAt) > ctx.settings.webhookToleranceSeconds) {
    ctx.logger.warn(
      { gateway: 'payhost.razorpay', type, eventId: eventHeader, createdAt, toleranceSeconds: ctx.settings.webhookToleranceSeconds },
      'Razorpay webhook event older than the tolerance (a resend or a replay): acknowledged, not applied',
    );
    return ignored('stale_event');
  }
  const normalized = normalize(type, body);
  if (!normalized) return { status: 200, body: { received: true, applied: 0 }, events: [] };
  const order = await orderOf(ctx, body);
  if (order === undefined) return reply(503, 'order_unavailable', 'Could not fetch the Razorpay order this event belongs to; retry later');
  const eventId = eventHeader ?? `${type}:${normalized.entityId}:${createdAt}`;
  // An order Razorpay no longer serves: a 503 would be retried for a day and then disable the webhook. Only the
  // plugin's own refund note, else the PSP reference (the ledger knows which payment holds it), tells the payment.
  const paymentId = order === UNREADABLE ? noteOwner(body.payload?.refund?.entity) : hostPaymentId(ctx, body, order);
  if (paymentId === null && type === 'payment.failed') {
    ctx.logger.info({ gateway: 'payhost.razorpay', eventId, razorpayPaymentId: normalized.pspReference }, 'Razorpay payment.failed for no known host payment: acknowledged, not applied');
    return ignored('payment_not_matched');
  }
  // created_at is in the signed body: the host's window for unmatched events counts from it.
  const event: GatewayEvent = { eventId, type, paymentId, pspReference: normalized.pspReference, response: normalized.response, occurredAt: new Date(createdAt * 1000) };
  return { status: 200, body: { received: true, applied: 1 }, events: [event] };
}
