import { Decimal } from 'decimal.js';
import { looksLikeCardNumber, maskCardNumbers } from './card-number.js';
import { storableText } from './storable-text.js';

/**
 * Key names never stored: secrets, credentials, client secrets, tokens, and
 * card data (number, CVV). Matched case-insensitively anywhere in the key,
 * with separators ignored ("client_secret", "clientSecret", "card-number").
 * Values that are card numbers are dropped; card numbers inside a text are masked
 * (card-number.ts finds them, as the input checks do).
 */
const SECRET_KEY = /secret|password|passwd|apikey|privatekey|token|authorization|cvv|cvc|securitycode|cardnumber|accountnumber|^number$|^pan$|^iban$/;

/** Values that are secrets whatever their key: Stripe client secrets and API keys. */
const SECRET_VALUE = /_secret_|^(sk|rk)_(live|test)_|^whsec_/;

/** Card data keys, dropped everywhere. */
const CARD_KEY = /cvv|cvc|securitycode|cardnumber|^number$|^pan$/;

const MAX_DEPTH = 12;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

interface Rules {
  /** Drop secret-looking keys and values (raw responses); card numbers always go. */
  secrets: boolean;
}

function isDropped(value: string, rules: Rules): boolean {
  return looksLikeCardNumber(value) || (rules.secrets && SECRET_VALUE.test(value));
}

/** Masks card numbers embedded in free text (error messages, descriptions). */
export function maskEmbedded(value: string): string {
  return maskCardNumbers(value);
}

const DROP = Symbol('drop');

/** What a key's name says about its value: kept, a secret (dropped from raw responses), card data (always dropped). */
type KeyClass = 'kept' | 'secret' | 'card';

/**
 * Key names repeat from one response to the next: classify each once. The
 * cache is cleared when full, so odd keys (ids used as keys) cannot grow it.
 */
const keyClasses = new Map<string, KeyClass>();
const KEY_CACHE_LIMIT = 4096;

function classifyKey(key: string): KeyClass {
  let known = keyClasses.get(key);
  if (known === undefined) {
    const name = normalizeKey(key);
    known = CARD_KEY.test(name) ? 'card' : SECRET_KEY.test(name) ? 'secret' : 'kept';
    if (keyClasses.size >= KEY_CACHE_LIMIT) keyClasses.clear();
    keyClasses.set(key, known);
  }
  return known;
}

function clean(value: unknown, depth: number, rules: Rules): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return isDropped(value, rules) ? DROP : storableText(maskEmbedded(value));
    case 'number':
      if (!Number.isFinite(value)) return String(value);
      return Number.isInteger(value) && value > 0 && looksLikeCardNumber(value.toFixed(0)) ? DROP : value;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return DROP;
  }
  if (Decimal.isDecimal(value)) return (value as Decimal).toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) {
    return value.map((item) => clean(item, depth + 1, rules)).filter((item) => item !== DROP);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const kind = classifyKey(key);
    if (kind === 'card' || (rules.secrets && kind === 'secret')) continue;
    const cleaned = clean(item, depth + 1, rules);
    if (cleaned !== DROP && cleaned !== undefined) out[storableText(maskCardNumbers(key))] = cleaned;
  }
  return out;
}

/**
 * The gateway's raw response as the ledger stores it: JSON-safe (Decimals as
 * strings, Dates as ISO strings), without keys that look like secrets,
 * client secrets, tokens or card data, and without values that look like
 * card numbers or API keys. Never throws; returns null for nothing.
 */
export function redactRawResponse(raw: unknown): Record<string, unknown> | null {
  return cleanObject(raw, { secrets: true });
}

/**
 * Action-required data as stored: JSON-safe and without card data, but
 * otherwise intact — the browser needs it to finish the payment (e.g. a
 * 3-D Secure redirect, or a client secret the gateway chose to hand out).
 */
export function sanitizeActionData(data: unknown): Record<string, unknown> | null {
  return cleanObject(data, { secrets: false });
}

function cleanObject(value: unknown, rules: Rules): Record<string, unknown> | null {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return null;
  try {
    return clean(value, 0, rules) as Record<string, unknown>;
  } catch {
    return { redactionFailed: true };
  }
}
