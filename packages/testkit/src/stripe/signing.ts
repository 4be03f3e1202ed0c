import Stripe from 'stripe';
import type { Json } from './fixtures.js';

export interface SignOptions {
  /** Unix seconds the signature claims; default now. Older than the receiver's tolerance = stale. */
  timestamp?: number;
  /** Sign with this secret instead (a wrong secret gives a bad signature). */
  secret?: string;
}

/** A webhook delivery as the plugin's `webhook` hook receives it. */
export interface SignedWebhook {
  path: string;
  method: string;
  headers: Record<string, string>;
  rawBody: Buffer;
}

/** The `Stripe-Signature` header Stripe would send for `payload` (t=..., v1=HMAC-SHA256). */
export function signPayload(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** Serializes an event and signs it as Stripe does; the result can be handed to a webhook hook as is. */
export function signedWebhook(event: Json, secret: string, options: SignOptions = {}): SignedWebhook {
  const payload = JSON.stringify(event, null, 2);
  const header = signPayload(payload, options.secret ?? secret, options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    path: '/webhook',
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
    rawBody: Buffer.from(payload, 'utf8'),
  };
}

/** A webhook secret that looks like Stripe's. */
export function testWebhookSecret(): string {
  return `whsec_${Buffer.from(String(Math.random())).toString('hex').slice(0, 32)}`;
}
