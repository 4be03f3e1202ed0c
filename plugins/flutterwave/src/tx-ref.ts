import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Decimal, minorUnits } from '@payhost/core';

/**
 * Transaction references (tx_ref) the plugin issues for Flutterwave Inline:
 * `ph-[<paymentId>-]<nonce>[-<amount><CUR>]-<sig>`, where sig is an
 * HMAC-SHA256 (tx_ref_secret, else the secret key: config.ts) over the channel, the payment id, the nonce and,
 * when issued with one (getClientToken), the amount and currency. A verified
 * transaction's tx_ref therefore proves the plugin issued it, for this
 * channel, (when bound) for this payment and (when it has one) for this
 * amount — whatever the browser says — so a webhook can check what was paid
 * without the ledger. Unique per checkout attempt; at most 100 chars.
 */
const PATTERN = /^ph-(?:([A-Za-z0-9_-]{1,60})-)?([0-9a-f]{12})(?:-(\d{1,18}(?:\.\d{1,4})?)([A-Z]{3}))?-([0-9a-f]{16})$/;
const SAFE_ID = /^[A-Za-z0-9_-]{1,60}$/;
const MAX_LENGTH = 100;

/** The amount and currency a tx_ref was issued for. */
export interface IssuedAmount {
  amount: Decimal;
  currency: string;
}

function sign(secret: string, channel: string, paymentId: string, nonce: string, amount: string | null): string {
  const signed = `payhost.flutterwave.tx_ref|${channel}|${paymentId}|${nonce}${amount === null ? '' : `|${amount}`}`;
  return createHmac('sha256', secret).update(signed).digest('hex').slice(0, 16);
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** `1500.50NGN`: the amount with the currency's ISO 4217 decimals, so one amount has one spelling. */
function amountTag(issued: IssuedAmount): string {
  return `${issued.amount.toFixed(minorUnits(issued.currency))}${issued.currency}`;
}

/** Only decimal digits: a host's card-number check could take such a hex part for a card number (core's card-number.ts). */
const DIGITS_ONLY = /^\d+$/;

/**
 * A fresh nonce (and so a new signature) when the nonce or the signature came out all digits (about 1 in 250):
 * the ledger refuses a token holding a Luhn-valid run of 12-19 digits, which such a part is one time in ten.
 */
function nonceFor(sigOf: (nonce: string) => string): string {
  for (;;) {
    const nonce = randomBytes(6).toString('hex');
    if (!DIGITS_ONLY.test(nonce) && !DIGITS_ONLY.test(sigOf(nonce))) return nonce;
  }
}

export function issueTxRef(secret: string, channel: string, paymentId: string | null, issued: IssuedAmount | null = null): string {
  const id = paymentId ?? '';
  const prefixOf = (nonce: string) => (SAFE_ID.test(id) ? `ph-${id}-${nonce}` : `ph-${nonce}`);
  const tag = issued ? amountTag(issued) : null;
  // A very long payment id leaves no room for the amount: such a tx_ref is checked like one without it.
  const signedTag = tag !== null && `${prefixOf('0'.repeat(12))}-${tag}-${'0'.repeat(16)}`.length <= MAX_LENGTH ? tag : null;
  const nonce = nonceFor((n) => sign(secret, channel, id, n, signedTag));
  const sig = sign(secret, channel, id, nonce, signedTag);
  return signedTag === null ? `${prefixOf(nonce)}-${sig}` : `${prefixOf(nonce)}-${signedTag}-${sig}`;
}

export interface TxRefCheck {
  /** The plugin issued it for this channel. */
  issued: boolean;
  /** The payment id it was issued for; null when issued before the payment existed (unbound). */
  boundTo: string | null;
  /** The amount and currency it was issued for, when it carries them (signed). */
  issuedFor?: IssuedAmount;
}

/**
 * Checks a tx_ref against the secrets (any of them may have signed it: see
 * txRefSecrets in config.ts) and the channel. With `paymentId`, a ref
 * bound to another payment is not valid for it (issued: false); without, the
 * embedded payment id (if any) is trusted only when the signature covers it.
 */
export function checkTxRef(secrets: string | readonly string[], channel: string, txRef: string, paymentId?: string | null): TxRefCheck {
  const match = PATTERN.exec(txRef);
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).filter((s) => s !== '');
  if (!match || keys.length === 0) return { issued: false, boundTo: null };
  const [, embedded, nonce = '', amount, currency, sig = ''] = match;
  const tag = amount !== undefined && currency !== undefined ? `${amount}${currency}` : null;
  const candidates = new Set<string>(['']);
  if (embedded) candidates.add(embedded);
  if (paymentId && !SAFE_ID.test(paymentId)) candidates.add(paymentId);
  for (const id of candidates) {
    if (!keys.some((secret) => same(sign(secret, channel, id, nonce, tag), sig))) continue;
    if (id !== '' && paymentId && id !== paymentId) return { issued: false, boundTo: id };
    // The signature covers the tag, so it is the amount the plugin issued the tx_ref for.
    const issuedFor = tag !== null ? { amount: new Decimal(amount as string), currency: currency as string } : null;
    return { issued: true, boundTo: id === '' ? null : id, ...(issuedFor ? { issuedFor } : {}) };
  }
  return { issued: false, boundTo: null };
}
