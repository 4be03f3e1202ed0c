import type { Logger, WebhookRequest, WebhookResponse } from '@payhost/core';
import Stripe from 'stripe';
import type { StripeSettings } from './config.js';
import { foreignAccount, normalizeEvent } from './events.js';

function header(headers: WebhookRequest['headers'], name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value[0] ?? null;
    return value ?? null;
  }
  return null;
}

function reject(status: number, code: string, message: string): WebhookResponse {
  return { status, body: { code, message }, events: [] };
}

/** Paths the plugin answers under /plugins/channel/<channel>/payhost.stripe/. */
const WEBHOOK_PATHS = new Set(['', 'webhook', 'webhooks']);

/**
 * The webhook hook: verifies the Stripe-Signature header on the raw body with
 * the channel's signing secret, refuses timestamps outside the tolerance
 * window, and returns the events for the host's ledger. Nothing changes here:
 * the host applies the events (each event id once). Events of an account
 * no payment can live on (events.ts foreignAccount) are acknowledged, logged
 * at warn and dropped; those of a connected account name a payment only
 * when its metadata is signed for that account, else go by reference
 * (events.ts). `settings` carries the secret key that signature needs.
 * The plugin's webhook hook then drops refund and dispute events of intents
 * payhost did not create (unmatchable.ts: that needs reading the intent).
 */
export function handleWebhook(request: WebhookRequest, settings: StripeSettings, nowMs: () => number = () => Date.now(), logger: Pick<Logger, 'warn'> | null = null): WebhookResponse {
  return readWebhook(request, settings, nowMs, logger).response;
}

/** handleWebhook's answer, with the verified Stripe event it is about (null when the delivery was refused). */
export function readWebhook(
  request: WebhookRequest,
  settings: StripeSettings,
  nowMs: () => number = () => Date.now(),
  logger: Pick<Logger, 'warn'> | null = null,
): { response: WebhookResponse; event: Stripe.Event | null } {
  const refused = (response: WebhookResponse) => ({ response, event: null });
  const path = (request.path ?? '').replace(/^\/+|\/+$/g, '');
  if (!WEBHOOK_PATHS.has(path)) return refused(reject(404, 'not_found', `No Stripe endpoint at "${request.path}"; use .../payhost.stripe/webhook`));
  if ((request.method ?? '').toUpperCase() !== 'POST') return refused({ ...reject(405, 'method_not_allowed', 'Stripe webhooks are POST requests'), headers: { allow: 'POST' } });
  if (!settings.webhookSecret) return refused(reject(500, 'webhook_not_configured', 'webhook_secret is not configured for this channel'));
  const signature = header(request.headers, 'stripe-signature');
  if (!signature) return refused(reject(400, 'invalid_signature', 'Missing Stripe-Signature header'));
  if (!Buffer.isBuffer(request.rawBody)) return refused(reject(400, 'invalid_payload', 'The raw request body is needed to verify the signature'));
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(request.rawBody, signature, settings.webhookSecret, settings.webhookToleranceSeconds, undefined, nowMs());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message === 'Timestamp outside the tolerance zone') return refused(reject(400, 'stale_timestamp', `Signature timestamp outside the ${settings.webhookToleranceSeconds} s tolerance window`));
    if ((err as { type?: string }).type === 'StripeSignatureVerificationError') return refused(reject(400, 'invalid_signature', 'The Stripe-Signature does not match the payload and the webhook secret'));
    return refused(reject(400, 'invalid_payload', `Unreadable webhook payload: ${message}`));
  }
  const events = normalizeEvent(event, settings);
  const foreign = events.length > 0 ? foreignAccount(event, settings) : null;
  if (foreign) {
    // Acknowledged (Stripe would retry anything else) but never applied.
    logger?.warn({ gateway: 'payhost.stripe', eventId: event.id, type: event.type, account: event.account ?? null, mode: settings.mode }, `stripe webhook event dropped: ${foreign}`);
    return { response: { status: 200, body: { received: true, id: event.id, type: event.type, handled: false, ignored: 'foreign_account' }, events: [] }, event };
  }
  return { response: { status: 200, body: { received: true, id: event.id, type: event.type, handled: events.length > 0 }, events }, event };
}
