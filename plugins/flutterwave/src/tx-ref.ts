import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Decimal, ERROR_CODES, PayhostError, minorUnits } from '@payhost/core';

/**
 * Transaction references (tx_ref) the plugin issues for Flutterwave Inline, at most 100 characters, signed
 * with an HMAC-SHA256 (tx_ref_secret, else the secret key: config.ts) over the channel, the payment id, the
 * nonce and, when issued with one (getClientToken), the amount and currency. A verified transaction's tx_ref
 * therefore proves the plugin issued it, for this channel, (when bound) for this payment and (when it has
 * one) for this amount — whatever the browser says — so a webhook can check what was paid without the
 * ledger. Unique per checkout attempt. Two spellings, the payment id always recoverable from the text:
 * - `ph-[<paymentId>-]<nonce>[-<amount><CUR>]-<sig>` (nonce 12 hex, sig 16 hex): unbound ones, and ids of
 *   [A-Za-z0-9_-]{1,60} when the whole, amount included, fits;
 * - `pr-<paymentId>[-<amount><CUR>]-<nonce><sig>` (id of [A-Za-z0-9_-] as is) or `pb-<base64url of the
 *   id>[-<amount><CUR>]-<nonce><sig>` (any other id), nonce and sig in base64url (8 + 11 characters): the
 *   compact form, for the ids the first leaves out (or leaves no room for the amount beside). It signs its own
 *   input (signCompact): with the classic one, `id|nonce12|50000XAF` also reads as id `id|nonce12`, nonce
 *   `50000XAF`, no amount, so a ph- ref could be respelt as a pb- one bound to another id without its amount.
 * An id no spelling fits in 100 characters is refused (invalid_input), never left out of the text: a webhook,
 * which has only the tx_ref, could not tell the payment (before, such ids were signed but not written,
 * `ph-<nonce>[-<amount><CUR>]-<sig>`; those still verify when the caller names the payment).
 */
const PATTERN = /^ph-(?:([A-Za-z0-9_-]{1,60})-)?([0-9a-f]{12})(?:-(\d{1,18}(?:\.\d{1,4})?)([A-Z]{3}))?-([0-9a-f]{16})$/;
const COMPACT_WITH_TAG = /^p([rb])-([A-Za-z0-9_-]+)-(\d{1,18}(?:\.\d{1,4})?)([A-Z]{3})-([A-Za-z0-9_-]{8})([A-Za-z0-9_-]{11})$/;
const COMPACT = /^p([rb])-([A-Za-z0-9_-]+)()()-([A-Za-z0-9_-]{8})([A-Za-z0-9_-]{11})$/;
const SAFE_ID = /^[A-Za-z0-9_-]{1,60}$/;
const SAFE_CHARS = /^[A-Za-z0-9_-]+$/;
export const MAX_TX_REF_LENGTH = 100;

/** The amount and currency a tx_ref was issued for. */
export interface IssuedAmount {
  amount: Decimal;
  currency: string;
}

const mac = (secret: string, signed: string): Buffer => createHmac('sha256', secret).update(signed).digest().subarray(0, 8);

/** ph- refs only, unchanged so that those already issued still verify: its fields have no boundaries. */
const sign = (secret: string, channel: string, paymentId: string, nonce: string, amount: string | null): string =>
  mac(secret, `payhost.flutterwave.tx_ref|${channel}|${paymentId}|${nonce}${amount === null ? '' : `|${amount}`}`).toString('hex');
/** pr-/pb- refs: a form marker (no classic input starts so) and a JSON array, one reading per input. */
const signCompact = (secret: string, channel: string, paymentId: string, nonce: string, amount: string | null): string =>
  mac(secret, `payhost.flutterwave.tx_ref.c|${JSON.stringify([channel, paymentId, nonce, amount])}`).toString('base64url');

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** `1500.50NGN`: the amount with the currency's ISO 4217 decimals, so one amount has one spelling. */
function amountTag(issued: IssuedAmount): string {
  return `${issued.amount.toFixed(minorUnits(issued.currency))}${issued.currency}`;
}

/** The id as the compact form writes it: as is when tx_ref-safe, else base64url of its UTF-8 (null: a lone surrogate, no UTF-8 spelling). */
function compactId(id: string): { kind: 'r' | 'b'; text: string } | null {
  if (SAFE_CHARS.test(id)) return { kind: 'r', text: id };
  const text = Buffer.from(id, 'utf8').toString('base64url');
  return decodeId('b', text) === id ? { kind: 'b', text } : null;
}

function decodeId(kind: string, text: string): string | null {
  if (kind === 'r') return text;
  const id = Buffer.from(text, 'base64url').toString('utf8');
  // One spelling per id: a text that does not re-encode to itself is not one the plugin wrote.
  return id !== '' && Buffer.from(id, 'utf8').toString('base64url') === text ? id : null;
}

/** Only decimal digits: a host's card-number check could take such a part for a card number (core's card-number.ts). */
const DIGITS_ONLY = /^\d+$/;
const DIGIT_RUN = /\d{12}/;

/**
 * A fresh nonce (and so a new signature) when a part came out digits only (about 1 in 250 for hex): the
 * ledger refuses a token holding a Luhn-valid run of 12-19 digits, which such a part is one time in ten.
 */
function nonceFor(fresh: () => string, unsafe: (nonce: string) => boolean): string {
  for (;;) {
    const nonce = fresh();
    if (!unsafe(nonce)) return nonce;
  }
}

/** Characters the compact form leaves the id: `pX-`, `-<tag>` if any, `-`, nonce and sig. */
const idRoom = (tag: string | null): number => MAX_TX_REF_LENGTH - 3 - (tag === null ? 0 : tag.length + 1) - 1 - 19;

/** Why no tx_ref can carry this payment id: the rule, for invalid_input. */
function tooLong(paymentId: string, tag: string | null): PayhostError {
  const room = idRoom(tag);
  return new PayhostError(
    ERROR_CODES.invalidInput,
    `Payment id too long for a Flutterwave tx_ref, which must carry it within ${MAX_TX_REF_LENGTH} characters${tag === null ? '' : ` beside the amount ${tag}`}: ` +
      `at most ${room} characters of letters, digits, "_" and "-", or ${Math.floor((room * 3) / 4)} bytes (UTF-8) of any other id`,
    { gateway: 'payhost.flutterwave', field: 'paymentId', length: paymentId.length, maxLength: room },
  );
}

/** An id with a lone UTF-16 surrogate has no UTF-8 spelling, so no tx_ref can carry it (whatever its length). */
function notText(paymentId: string): PayhostError {
  return new PayhostError(
    ERROR_CODES.invalidInput,
    'Payment id is not valid text for a Flutterwave tx_ref: it holds a lone UTF-16 surrogate (half of a character), which has no UTF-8 spelling',
    { gateway: 'payhost.flutterwave', field: 'paymentId', reason: 'invalid_text', length: paymentId.length },
  );
}

export function issueTxRef(secret: string, channel: string, paymentId: string | null, issued: IssuedAmount | null = null): string {
  const id = paymentId ?? '';
  const tag = issued ? amountTag(issued) : null;
  const tail = tag === null ? '' : `-${tag}`;
  const prefix = id === '' ? 'ph-' : `ph-${id}-`;
  if (id === '' || (SAFE_ID.test(id) && `${prefix}${'0'.repeat(12)}${tail}-${'0'.repeat(16)}`.length <= MAX_TX_REF_LENGTH)) {
    const nonce = nonceFor(() => randomBytes(6).toString('hex'), (n) => DIGITS_ONLY.test(n) || DIGITS_ONLY.test(sign(secret, channel, id, n, tag)));
    return `${prefix}${nonce}${tail}-${sign(secret, channel, id, nonce, tag)}`;
  }
  const written = compactId(id);
  if (written === null) throw notText(id);
  if (written.text.length > idRoom(tag)) throw tooLong(id, tag);
  const nonce = nonceFor(() => randomBytes(6).toString('base64url'), (n) => DIGIT_RUN.test(`${n}${signCompact(secret, channel, id, n, tag)}`));
  return `p${written.kind}-${written.text}${tail}-${nonce}${signCompact(secret, channel, id, nonce, tag)}`;
}

export interface TxRefCheck {
  /** The plugin issued it for this channel. */
  issued: boolean;
  /** The payment id it was issued for; null when issued before the payment existed (unbound). */
  boundTo: string | null;
  /** The amount and currency it was issued for, when it carries them (signed). */
  issuedFor?: IssuedAmount;
}

/** One way to read a tx_ref: the ids it may have been signed for, nonce, amount tag, signature and how it is spelt. */
interface Reading {
  ids: string[];
  nonce: string;
  amount: string | undefined;
  currency: string | undefined;
  sig: string;
  signer: typeof sign;
}

function readings(txRef: string, paymentId: string | null | undefined): Reading[] {
  const classic = PATTERN.exec(txRef);
  if (classic) {
    const [, embedded, nonce = '', amount, currency, sig = ''] = classic;
    // Refs issued before every id was written (non-safe or long ids were signed but left out) name no id.
    const ids = embedded ? [embedded] : ['', ...(paymentId && !SAFE_ID.test(paymentId) ? [paymentId] : [])];
    return [{ ids, nonce, amount, currency, sig, signer: sign }];
  }
  // With a tag and without: an id as is may end in what reads as one (`a-5NGN`); the signature tells.
  return [COMPACT_WITH_TAG.exec(txRef), COMPACT.exec(txRef)].flatMap((m) => {
    const id = m ? decodeId(m[1] ?? '', m[2] ?? '') : null;
    if (!m || id === null) return [];
    return [{ ids: [id], nonce: m[5] ?? '', amount: m[3] || undefined, currency: m[4] || undefined, sig: m[6] ?? '', signer: signCompact }];
  });
}

/**
 * Checks a tx_ref against the secrets (any of them may have signed it: see
 * txRefSecrets in config.ts) and the channel. With `paymentId`, a ref
 * bound to another payment is not valid for it (issued: false); without, the
 * embedded payment id (if any) is trusted only when the signature covers it.
 */
export function checkTxRef(secrets: string | readonly string[], channel: string, txRef: string, paymentId?: string | null): TxRefCheck {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).filter((s) => s !== '');
  if (keys.length === 0) return { issued: false, boundTo: null };
  for (const { ids, nonce, amount, currency, sig, signer } of readings(txRef, paymentId)) {
    const tag = amount !== undefined && currency !== undefined ? `${amount}${currency}` : null;
    for (const id of ids) {
      if (!keys.some((secret) => same(signer(secret, channel, id, nonce, tag), sig))) continue;
      if (id !== '' && paymentId && id !== paymentId) return { issued: false, boundTo: id };
      // The signature covers the tag, so it is the amount the plugin issued the tx_ref for.
      const issuedFor = tag !== null ? { amount: new Decimal(amount as string), currency: currency as string } : null;
      return { issued: true, boundTo: id === '' ? null : id, ...(issuedFor ? { issuedFor } : {}) };
    }
  }
  return { issued: false, boundTo: null };
}
