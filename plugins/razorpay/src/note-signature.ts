import { createHmac } from 'node:crypto';
import { PAYMENT_ID_NOTE } from './checkout.js';
import { notesOf, type RzpPayment } from './client.js';
import { timingSafeEqualString } from './signature.js';

/*
 * A Razorpay payment's notes take Checkout's `notes` option, which the
 * customer sets in the browser: a `payhost_payment_id` note there may name
 * any host payment. So when the plugin claims a payment (binding.ts) it
 * writes next to it `payhost_payment_sig`, a MAC of (that Razorpay payment,
 * that host payment) under a key derived from the channel's key_secret, and
 * a payment's note is believed only with it (webhooks.ts, list-payments.ts). The customer
 * cannot make one, and one made for another Razorpay payment does not
 * verify on theirs.
 *
 * Orders and refunds are created only through the API with the key secret
 * (their notes are the server's), and their ids exist only once created:
 * their notes are not signed.
 *
 * Rolling key_secret makes earlier signatures fail: those payments' events,
 * like those of payments claimed before signatures existed, then name no
 * host payment and go by their `pay_` reference, which the ledger recorded
 * when the payment was processed.
 */

/** Payment note holding the plugin's signature of its `payhost_payment_id` note. */
export const PAYMENT_SIG_NOTE = 'payhost_payment_sig';

/** Domain separation: the derived key signs payment notes and nothing else (Checkout signatures use key_secret itself). */
const KEY_LABEL = 'payhost razorpay payment note v1';

function signingKey(keySecret: string): Buffer {
  return createHmac('sha256', keySecret).update(KEY_LABEL).digest();
}

/**
 * The signature binding `razorpayPaymentId` to `hostPaymentId`. A `pay_` id
 * holds no ':', so `payment:<pay_ id>:<host id>` reads one way only. 43
 * characters (base64url of SHA-256), within Razorpay's 256 per note.
 */
export function paymentNoteSignature(keySecret: string, razorpayPaymentId: string, hostPaymentId: string): string {
  return createHmac('sha256', signingKey(keySecret)).update(`payment:${razorpayPaymentId}:${hostPaymentId}`).digest('base64url');
}

/** The notes that claim a Razorpay payment for a host payment: the id and its signature. */
export function signedPaymentNotes(keySecret: string, razorpayPaymentId: string, hostPaymentId: string): Record<string, string> {
  return { [PAYMENT_ID_NOTE]: hostPaymentId, [PAYMENT_SIG_NOTE]: paymentNoteSignature(keySecret, razorpayPaymentId, hostPaymentId) };
}

/** The host payment a Razorpay payment's notes name, only when the plugin signed that note with this key secret (constant time); else null. */
export function signedNoteOwner(keySecret: string, rzp: RzpPayment | null | undefined): string | null {
  const notes = notesOf(rzp);
  const owner = notes[PAYMENT_ID_NOTE];
  const given = notes[PAYMENT_SIG_NOTE];
  if (!rzp || keySecret === '' || typeof owner !== 'string' || owner === '' || typeof given !== 'string') return null;
  return timingSafeEqualString(paymentNoteSignature(keySecret, rzp.id, owner), given) ? owner : null;
}
