import { invalidInput } from './ledger-errors.js';

/**
 * Card numbers (PANs) in text. A card number must never be stored: one in the
 * database puts the operator in PCI DSS scope. The input checks refuse what
 * this finds (checkNoCardNumber); the redaction of gateway answers masks it.
 *
 * Found: a run of 14 to 19 digits bounded by non-digits, whole or in the groups
 * a card is written in (fours, or Amex's 4-6-5), apart by one or two spaces,
 * dots or dashes ("4242 4242 4242 4242", "4242-4242-..."), in any Unicode
 * decimal digits ("４２４２..." full-width, "٤٢٤٢..."), with a prefix and length
 * a card network issues (RANGES) and passing the Luhn check. Inside a longer
 * run of groups, any stretch of whole groups counts ("card 4242 4242 4242 4242 12 30").
 *
 * Not taken for one, as refusing them would refuse payments: UUIDs, hex ids of
 * 24 characters or more and shorter ones with a letter (nonces, HMACs), a phone
 * number (a run after "+"), the decimals of a number ("51.507351123456786"), a
 * run of more than 19 digits, and numbers outside the networks' ranges (a
 * 13-digit millisecond timestamp, an EAN-13 barcode, a 12-digit bank reference).
 */

/**
 * The card networks' number ranges: [first prefix, last prefix, shortest, longest], from their published
 * IIN ranges. Lengths hardly issued are left out (Visa's retired 13 digits, Maestro's 12-15, UATP's 15
 * under 1), as each one takes in merchants' numbers that pass Luhn one time in ten: 12-digit bank
 * reference numbers, EAN-13 barcodes, 13-digit order numbers.
 */
const RANGES: ReadonlyArray<readonly [string, string, number, number]> = [
  ['4', '4', 16, 19], // Visa
  ['51', '55', 16, 16], // Mastercard
  ['2221', '2720', 16, 16], // Mastercard 2-series
  ['2200', '2204', 16, 19], // Mir
  ['34', '34', 15, 15], // American Express
  ['37', '37', 15, 15], // American Express
  ['300', '305', 14, 19], // Diners Club
  ['36', '36', 14, 19], // Diners Club International
  ['38', '39', 16, 19], // Diners Club
  ['3528', '3589', 16, 19], // JCB
  ['50', '50', 16, 19], // Maestro, Verve
  ['56', '69', 16, 19], // Discover, UnionPay, Maestro, RuPay, Verve, national cards
  ['81', '82', 16, 19], // UnionPay, RuPay
];

/** The `details.reason` of the invalid_input refusing a card number. */
export const CARD_NUMBER_REASON = 'card_number';

function luhnValid(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
}

/** ASCII digits (no separators) that make a card number: a network's prefix and length, and Luhn. */
function isCardDigits(digits: string): boolean {
  const issued = RANGES.some(([from, to, min, max]) => {
    const prefix = digits.slice(0, from.length);
    return digits.length >= min && digits.length <= max && prefix >= from && prefix <= to;
  });
  return issued && luhnValid(digits);
}

/** Cheap first look: 14 digits (the shortest card, Diners Club), at most two other characters apart (separators are at most two). */
const CANDIDATE = /\p{Nd}(?:[^\p{Nd}]{0,2}\p{Nd}){13}/u;
const ASCII = /^[\x00-\x7f]*$/;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const LETTER = /^\p{L}$/u;
const SPACE = /^\s$/u;
const DASH = /^[\p{Pd}\u2212]$/u;

const digitValues = new Map<number, string>();

/** The ASCII digit of a Unicode decimal digit: they come in runs of ten, 0 to 9. */
function asciiDigit(codePoint: number): string {
  let known = digitValues.get(codePoint);
  if (known === undefined) {
    let zero = codePoint;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
    known = String((codePoint - zero) % 10);
    if (digitValues.size < 1024) digitValues.set(codePoint, known);
  }
  return known;
}

/** One ASCII character for a non-ASCII one: a decimal digit's value, else its NFKC form when ASCII (full-width "＋"), else its class. */
function foldChar(char: string, codePoint: number): string {
  if (DECIMAL_DIGIT.test(char)) return asciiDigit(codePoint);
  const compat = char.normalize('NFKC');
  // Only decimal digits are digits: a superscript or circled one is not.
  if (compat.length === 1 && compat.charCodeAt(0) < 0x80) return compat >= '0' && compat <= '9' ? '~' : compat;
  if (SPACE.test(char)) return ' ';
  if (DASH.test(char)) return '-';
  return LETTER.test(char) ? 'z' : '~';
}

/** The text with one ASCII character per code point, and where each one starts in the original. */
function fold(value: string): { text: string; offsets: number[] | null } {
  if (ASCII.test(value)) return { text: value, offsets: null };
  let text = '';
  const offsets: number[] = [];
  for (let i = 0; i < value.length; ) {
    const codePoint = value.codePointAt(i) as number;
    const char = String.fromCodePoint(codePoint);
    offsets.push(i);
    text += codePoint < 0x80 ? char : foldChar(char, codePoint);
    i += char.length;
  }
  offsets.push(value.length);
  return { text, offsets };
}

/** Ids and numbers whose digits are not card numbers (see the top), blanked before looking. */
const NOT_CARDS: readonly RegExp[] = [
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
  /(?<![0-9a-z])[0-9a-f]{24,}(?![0-9a-z])/gi,
  // A shorter hex id with a letter in it (a nonce, a truncated HMAC: "ph-7804ce504525-..."): its digits are chance.
  /(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}(?![0-9a-z])/gi,
];
/** A number with decimals, standing alone: its decimals are blanked. */
const DECIMALS = /(?<![a-z\d.])(\d+\.)(\d+)(?![a-z\d.])/gi;
const RUN = /\d+(?:[\s.-]{1,2}\d+)*/g;
const GROUP = /\d+/g;
const MIN_DIGITS = 14;
const MAX_DIGITS = 19;

/** [start, end) of each card number in `value` (UTF-16 offsets, overlaps merged), in order. */
export function findCardNumbers(value: string): Array<[number, number]> {
  if (value.length < MIN_DIGITS || !CANDIDATE.test(value)) return [];
  const { text: folded, offsets } = fold(value);
  let text = folded;
  for (const pattern of NOT_CARDS) text = text.replace(pattern, (match) => '~'.repeat(match.length));
  text = text.replace(DECIMALS, (_match, whole: string, decimals: string) => whole + '~'.repeat(decimals.length));
  const found: Array<[number, number]> = [];
  for (const run of text.matchAll(RUN)) {
    const at = run.index;
    if (text[at - 1] === '+') continue;
    const groups = [...run[0].matchAll(GROUP)].map((g) => ({ start: at + g.index, digits: g[0] }));
    for (let i = 0; i < groups.length; i++) {
      let digits = '';
      for (let j = i; j < groups.length; j++) {
        const group = groups[j] as { start: number; digits: string };
        digits += group.digits;
        if (digits.length > MAX_DIGITS) break;
        if (digits.length >= MIN_DIGITS && isCardLayout(groups, i, j) && isCardDigits(digits)) addRange(found, (groups[i] as { start: number }).start, group.start + group.digits.length);
      }
    }
  }
  return offsets ? found.map(([start, end]) => [offsets[start] as number, offsets[end] as number]) : found;
}

/**
 * Whether groups i..j are written as a card number is: one run of digits, groups of four (the last
 * one to four: "4242 4242 4242 4242 424"), or American Express / Diners Club's 4-6-5 / 4-6-4. Any
 * other grouping is numbers that happen to sit side by side ("504525-31161.15NGN" in an id, a date and
 * an amount), which joined would pass Luhn one time in ten.
 */
function isCardLayout(groups: readonly { digits: string }[], i: number, j: number): boolean {
  if (i === j) return true;
  const lengths = groups.slice(i, j + 1).map((g) => g.digits.length);
  if (lengths.length === 3 && lengths[0] === 4 && lengths[1] === 6 && (lengths[2] === 5 || lengths[2] === 4)) return true;
  const last = lengths[lengths.length - 1] as number;
  return last <= 4 && lengths.slice(0, -1).every((length) => length === 4);
}

/** Adds [start, end) to ranges found in order of start, merged with the last one when they overlap. */
function addRange(ranges: Array<[number, number]>, start: number, end: number): void {
  const last = ranges[ranges.length - 1];
  if (last && start <= last[1]) last[1] = Math.max(last[1], end);
  else ranges.push([start, end]);
}

/** Whether a card number appears anywhere in the text. */
export function containsCardNumber(value: string): boolean {
  return findCardNumbers(value).length > 0;
}

/** Whether the whole text (around blanks) is one card number, e.g. "4242 4242 4242 4242". */
export function looksLikeCardNumber(value: string): boolean {
  if (typeof value !== 'string') return false;
  const start = value.length - value.trimStart().length;
  const end = value.trimEnd().length;
  return findCardNumbers(value).some(([from, to]) => from <= start && to >= end);
}

/** The text with each card number in it replaced by `mask`. */
export function maskCardNumbers(value: string, mask = '[redacted]'): string {
  const ranges = findCardNumbers(value);
  if (ranges.length === 0) return value;
  let out = '';
  let from = 0;
  for (const [start, end] of ranges) {
    out += value.slice(from, start) + mask;
    from = end;
  }
  return out + value.slice(from);
}

/** An integer that is a card number (a JSON body's 4242424242424242 is one). */
function isCardInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0 && containsCardNumber(value.toFixed(0));
}

/** Where in `value` a card number is (a string, a key, an integer), as a path from `field`; null when none. */
function cardNumberPath(field: string, value: unknown, depth: number): string | null {
  if (typeof value === 'string') return containsCardNumber(value) ? field : null;
  if (typeof value === 'number') return isCardInteger(value) ? field : null;
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  // As it would be stored: what toJSON gives (a Decimal's string).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = (toJSON as (key: string) => unknown).call(value, '');
    if (json !== value) return cardNumberPath(field, json, depth + 1);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = cardNumberPath(`${field}[${i}]`, value[i], depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    // The path names keys, never the one that holds the number.
    if (containsCardNumber(key)) return `${field} (a key)`;
    const found = cardNumberPath(`${field}.${key}`, (value as Record<string, unknown>)[key], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses (invalid_input, `details.reason` "card_number", `details.field` the
 * path) caller input holding a card number anywhere: in a string, a key or an
 * integer, nested. Neither the message nor the details repeat the number.
 * `what` says what belongs there instead.
 */
export function checkNoCardNumber(field: string, value: unknown, what: string): void {
  const found = cardNumberPath(field, value, 0);
  if (found === null) return;
  const path = found.length > 200 ? `${found.slice(0, 200)}…` : found;
  throw invalidInput(`${path} holds what looks like a card number: ${what}`, { field: path, reason: CARD_NUMBER_REASON });
}
