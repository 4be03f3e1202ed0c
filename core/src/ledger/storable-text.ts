import { invalidInput } from './ledger-errors.js';

/**
 * Text PostgreSQL cannot keep: NUL (refused by text and jsonb columns) and
 * unpaired UTF-16 surrogates (no UTF-8 encoding). JSON can carry both
 * ("\u0000", "\ud800"), so a request or a gateway answer may.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** Deeper input than this is refused: hashing and copying it would exhaust the stack. */
export const MAX_INPUT_DEPTH = 32;

export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** A gateway's text made storable: each unstorable character becomes U+FFFD (the gateway already acted; its answer must be kept). */
export function storableText(value: string): string {
  return UNSTORABLE.test(value) ? value.replace(UNSTORABLE_ALL, '\uFFFD') : value;
}

/**
 * Refuses (invalid_input, before anything is written) caller input the ledger
 * could not store as given: NUL or unpaired surrogates in any string or key,
 * numbers JSON cannot hold (Infinity, NaN, bigint), or nesting deeper than
 * MAX_INPUT_DEPTH. An object with toJSON (a Decimal, a Date) is checked as
 * what toJSON gives, which is what JSON stores.
 */
export function checkStorableInput(field: string, value: unknown, depth = 0): void {
  if (field.length > 200) field = `${field.slice(0, 200)}…`;
  if (typeof value === 'string') {
    if (!isStorableText(value)) throw invalidInput(`${field} contains a NUL character or an unpaired surrogate`, { field });
    return;
  }
  // JSON (and so the ledger) has no Infinity or NaN: stored, they would silently become null. (A JSON body's 1e400 parses to Infinity.)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidInput(`${field} is not a finite number`, { field });
    return;
  }
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw invalidInput(`${field} is a ${typeof value}, which JSON cannot hold`, { field });
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_INPUT_DEPTH) throw invalidInput(`${field} is nested deeper than ${MAX_INPUT_DEPTH} levels`, { field });
  // What is stored is what JSON makes of it: a Decimal its string, a Date its ISO text (their own fields are not stored).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let json: unknown;
    try {
      json = (toJSON as (key: string) => unknown).call(value, '');
    } catch {
      throw invalidInput(`${field}: its toJSON() threw, so it cannot be stored`, { field });
    }
    if (json !== value) return checkStorableInput(field, json, depth + 1);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkStorableInput(`${field}[${i}]`, value[i], depth + 1);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!isStorableText(key)) throw invalidInput(`${field} has a key with a NUL character or an unpaired surrogate`, { field });
    checkStorableInput(`${field}.${key}`, (value as Record<string, unknown>)[key], depth + 1);
  }
}
