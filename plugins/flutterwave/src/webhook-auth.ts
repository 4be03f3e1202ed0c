import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from '@payhost/core';

/*
 * How a Flutterwave webhook proves it comes from Flutterwave. v3 sends the
 * dashboard's "secret hash" itself in `verif-hash`: a fixed secret, the same
 * in every delivery, tied to no body. Newer deliveries carry
 * `flutterwave-signature`: the base64 HMAC-SHA256 of the raw body keyed by the
 * secret hash (Flutterwave's webhook docs and its v4 SDK's validator). Only
 * that HMAC is taken in that header: the secret itself there (as some copied
 * examples compare it) is not what Flutterwave sends, and would make the
 * header no more than a second verif-hash.
 * Nothing in a delivery is trusted but the ids: the events are re-verified
 * with the API before anything is recorded (webhooks.ts).
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

/** Whether a `flutterwave-signature` header is the base64 HMAC-SHA256 of the raw body keyed by the secret hash. */
export function signatureMatches(received: string, rawBody: Uint8Array, secretHash: string): boolean {
  if (secretHash === '') return false;
  return sameText(received, createHmac('sha256', secretHash).update(rawBody).digest('base64'));
}

function header(headers: WebhookRequest['headers'], name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : null;
  }
  return null;
}

/** Whether the delivery carries the secret hash (`verif-hash`) or a `flutterwave-signature` (HMAC of the body) made with it. */
export function authenticWebhook(request: Pick<WebhookRequest, 'headers' | 'rawBody'>, secretHash: string): boolean {
  const verifHash = header(request.headers, 'verif-hash');
  if (verifHash !== null && verifHashMatches(verifHash, secretHash)) return true;
  const signature = header(request.headers, 'flutterwave-signature');
  return signature !== null && signatureMatches(signature, request.rawBody, secretHash);
}
