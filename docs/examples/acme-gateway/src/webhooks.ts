import { createHmac, timingSafeEqual } from 'node:crypto';
import { fromMinorUnits } from '@payhost/core';
import type { GatewayEvent, WebhookRequest, WebhookResponse } from '@payhost/core';

/** How old a delivery's signature may be: an older one is a replay. */
const TOLERANCE_SECONDS = 300;

/** An Acme event as it arrives (amounts in minor units). */
interface AcmeEvent {
  id: string;
  type: string;
  /** When Acme created the event, in unix seconds. */
  created: number;
  /** For a charge or refund event: the charge's or the refund's own id, and its own amount. */
  data: { id: string; charge: string; amount: number; currency: string; metadata?: Record<string, string> };
  /** The Idempotency-Key of the API call that caused the event; absent for one made in Acme's dashboard. */
  request?: { idempotency_key?: string | null };
}

/** Checks the `acme-signature` header over the raw body, as sent: re-serialized JSON would not match. */
export function verifyAcmeSignature(rawBody: Buffer, header: unknown, secret: string, nowSeconds: number): boolean {
  if (typeof header !== 'string') return false;
  const parts = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]));
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS || !/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  // Constant time: comparing byte by byte would tell an attacker how much of a forged signature is right.
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

/** What a verified event means for the host's ledger; null for events it does not act on. */
function toGatewayEvent(event: AcmeEvent): GatewayEvent | null {
  const kind = event.type === 'charge.succeeded' ? 'capture' : event.type === 'refund.succeeded' ? 'refund' : null;
  if (kind === null) return null;
  return {
    eventId: event.id, // the host applies each (gateway, eventId) once: Acme retries deliveries
    type: event.type,
    paymentId: event.data.metadata?.['payment_id'] ?? null, // sent with the charge, echoed back
    pspReference: event.data.charge, // finds the payment when no id came back
    occurredAt: new Date(event.created * 1000),
    // The key refundPayment sent (payment.idempotencyKey), echoed: pins the refund the host asked for.
    gatewayIdempotencyKey: event.request?.idempotency_key ?? null,
    response: {
      isSuccess: true,
      actionRequired: false,
      kind,
      // A refund's own amount, not the charge's refunded total: the ledger counts it as one refund.
      amount: fromMinorUnits(event.data.amount, event.data.currency),
      currency: event.data.currency,
      // A refund's own id (re_...), as refundPayment answered, not the charge's: it settles that refund.
      transactionId: event.data.id,
      error: null,
      errorCode: null,
      pspReference: event.data.charge,
    },
  };
}

function isAcmeEvent(value: unknown): value is AcmeEvent {
  const event = value as AcmeEvent | null;
  return typeof event?.id === 'string' && typeof event.type === 'string' && Number.isInteger(event.created) && typeof event.data?.charge === 'string';
}

/**
 * A delivery to `POST /plugins/channel/<channel>/acme.gateway/webhook`: refused
 * (4xx, no events) unless Acme signed it; its JSON is read only then.
 */
export function handleAcmeWebhook(request: WebhookRequest, secret: string, now: number): WebhookResponse {
  if (request.method !== 'POST') return { status: 405, body: { code: 'method_not_allowed', message: 'Acme webhooks are POST requests' } };
  if (!verifyAcmeSignature(request.rawBody, request.headers['acme-signature'], secret, Math.floor(now / 1000))) {
    return { status: 401, body: { code: 'invalid_signature', message: 'acme-signature is missing, stale or wrong' } };
  }
  let event: unknown;
  try {
    event = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { status: 400, body: { code: 'invalid_body', message: 'The body is not JSON' } };
  }
  if (!isAcmeEvent(event)) return { status: 400, body: { code: 'invalid_body', message: 'The body is not an Acme event' } };
  const gatewayEvent = toGatewayEvent(event);
  // 200 for every authentic event, applied or not: anything else makes Acme deliver it again.
  return { status: 200, body: { received: true }, events: gatewayEvent ? [gatewayEvent] : [] };
}
