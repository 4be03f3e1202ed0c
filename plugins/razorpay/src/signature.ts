import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `payload` with `secret`. */
export function hmacSha256Hex(secret: string, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/**
 * Constant-time string comparison. Both sides are hashed first so neither the
 * content nor the length of the expected value leaks through timing
 * (`Razorpay.validateWebhookSignature` compares with `===`; not used here).
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Checkout signature check: HMAC-SHA256(`order_id|payment_id`, key secret), compared in constant time. */
export function verifyCheckoutSignature(orderId: string, paymentId: string, signature: string, keySecret: string): boolean {
  if (keySecret === '') return false;
  return timingSafeEqualString(hmacSha256Hex(keySecret, `${orderId}|${paymentId}`), signature.trim().toLowerCase());
}

/** Webhook signature check: HMAC-SHA256(raw body, webhook secret) against X-Razorpay-Signature. */
export function verifyWebhookSignature(rawBody: Buffer, signature: string, webhookSecret: string): boolean {
  if (webhookSecret === '') return false;
  return timingSafeEqualString(hmacSha256Hex(webhookSecret, rawBody), signature.trim().toLowerCase());
}
