import { createHmac, timingSafeEqual } from 'node:crypto';
import type Stripe from 'stripe';

/*
 * `payhost_payment_id` metadata bound to the Stripe account it was written
 * on. A connected account's owner writes whatever metadata they like on
 * their own objects, so in REMOTE mode an event of a connected account may
 * name a payment only when it also carries `payhost_payment_sig`, a MAC of
 * (that account, that payment id) under a key only the platform holds. The
 * plugin writes it on every object it creates with a payment id: an account
 * ever sees signatures for its own payments only, and one shown on another
 * account does not verify there (events.ts).
 *
 * The key is derived from the channel's secret_key (never the key itself,
 * never logged): rolling the secret key, or switching to a restricted key,
 * makes earlier signatures fail, and those objects' events fall back to
 * matching by their reference alone, as unsigned ones (written before this
 * existed) do.
 */

export const PAYMENT_ID_KEY = 'payhost_payment_id';
export const PAYMENT_SIG_KEY = 'payhost_payment_sig';

/** The account part of the signed text for objects on the platform account (an acct_ id is never this). */
const PLATFORM = 'platform';
/** Domain separation: the derived key signs payhost metadata and nothing else. */
const KEY_LABEL = 'payhost metadata v1';

function signingKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update(KEY_LABEL).digest();
}

/**
 * The signature of `paymentId` on `account` (null: the platform). An acct_
 * id holds no ':', so `${account}:${paymentId}` reads one way only. 43
 * characters (base64url of SHA-256), well under Stripe's 500 per value.
 */
export function paymentSignature(secretKey: string, account: string | null, paymentId: string): string {
  return createHmac('sha256', signingKey(secretKey)).update(`${account ?? PLATFORM}:${paymentId}`).digest('base64url');
}

/** The metadata naming a payment, signed for the account the object is created on. */
export function signedPaymentId(secretKey: string | null, account: string | null, paymentId: string): Record<string, string> {
  const metadata: Record<string, string> = { [PAYMENT_ID_KEY]: paymentId };
  if (secretKey) metadata[PAYMENT_SIG_KEY] = paymentSignature(secretKey, account, paymentId);
  return metadata;
}

/** Whether the metadata's signature was made for `paymentId` on `account` with this secret key (constant time). */
export function signatureVerifies(secretKey: string | null | undefined, account: string | null, paymentId: string, metadata: Stripe.Metadata | null | undefined): boolean {
  const given = metadata?.[PAYMENT_SIG_KEY];
  if (!secretKey || typeof given !== 'string') return false;
  const expected = Buffer.from(paymentSignature(secretKey, account, paymentId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
