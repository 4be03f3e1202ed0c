import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from '@payhost/core';

/*
 * How a Flutterwave webhook proves it comes from Flutterwave. v3 sends the
 * dashboard's "secret hash" itself in `verif-hash`. Newer deliveries carry a
 * `flutterwave-signature` header instead: the secret hash again, as some of
 * Flutterwave's pages show, or the base64 HMAC-SHA256 of the raw body keyed by
 * it, as v4's do. Every form is taken: none is weaker than `verif-hash` (a
 * shared secret in a header), and an account moved to the newer header must
 * not see every webhook refused. The events are re-verified with the API
 * before anything is recorded anyway (webhooks.ts).
 */

/** Constant-time equality of two texts (hashed first: no length leak). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Constant-time comparison of the verif-hash header with the configured secret hash. */
export function verifHashMatches(received: string, secretHash: string): boolean {
  if (secretHash === '') return false;
  return sameText(received, secretHash);
}

/** Whether a `flutterwave-signature` header is the secret hash, or the base64 HMAC-SHA256 of the body keyed by it. */
export function signatureMatches(received: string, rawBody: Uint8Array, secretHash: string): boolean {
  if (secretHash === '') return false;
  const hmac = createHmac('sha256', secretHash).update(rawBody).digest('base64');
  // Both compared, so the time taken does not tell which form was sent.
  const isHmac = sameText(received, hmac);
  const isHash = sameText(received, secretHash);
  return isHmac || isHash;
}

function header(headers: WebhookRequest['headers'], name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : null;
  }
  return null;
}

/** Whether the delivery carries the secret hash (`verif-hash`) or a `flutterwave-signature` made with it. */
export function authenticWebhook(request: Pick<WebhookRequest, 'headers' | 'rawBody'>, secretHash: string): boolean {
  const verifHash = header(request.headers, 'verif-hash');
  if (verifHash !== null && verifHashMatches(verifHash, secretHash)) return true;
  const signature = header(request.headers, 'flutterwave-signature');
  return signature !== null && signatureMatches(signature, request.rawBody, secretHash);
}
