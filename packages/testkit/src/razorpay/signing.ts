import { createHmac } from 'node:crypto';

/** What Razorpay Checkout hands the browser's `handler` after a successful payment. */
export interface RazorpayCheckoutResult {
  razorpay_order_id: string;
  razorpay_payment_id: string;
  razorpay_signature: string;
}

/** Checkout signature: hex HMAC-SHA256 of `order_id|payment_id` with the key secret. */
export function razorpayCheckoutSignature(orderId: string, paymentId: string, keySecret: string): string {
  return createHmac('sha256', keySecret).update(`${orderId}|${paymentId}`).digest('hex');
}

/** A checkout result signed with `keySecret`, as Razorpay Checkout would return it. */
export function signedCheckoutResult(orderId: string, paymentId: string, keySecret: string): RazorpayCheckoutResult {
  return { razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: razorpayCheckoutSignature(orderId, paymentId, keySecret) };
}

/** Webhook signature (X-Razorpay-Signature): hex HMAC-SHA256 of the raw body with the webhook secret. */
export function razorpayWebhookSignature(rawBody: string | Buffer, webhookSecret: string): string {
  return createHmac('sha256', webhookSecret).update(rawBody).digest('hex');
}

/** A webhook delivery as the host's HTTP layer would receive it. */
export interface RazorpayWebhookDelivery {
  rawBody: Buffer;
  headers: Record<string, string>;
  /** The parsed payload, for assertions. */
  payload: Record<string, unknown>;
}

/**
 * Serializes and signs a webhook payload. `eventId` goes in the
 * `x-razorpay-event-id` header (omit it with `null` to test the fallback).
 */
export function signRazorpayWebhook(payload: Record<string, unknown>, webhookSecret: string, eventId: string | null): RazorpayWebhookDelivery {
  const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-razorpay-signature': razorpayWebhookSignature(rawBody, webhookSecret),
  };
  if (eventId !== null) headers['x-razorpay-event-id'] = eventId;
  return { rawBody, headers, payload };
}
