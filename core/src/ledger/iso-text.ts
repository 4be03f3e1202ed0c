/**
 * `date.toISOString()`, read from the date's UTC fields: V8 formats toISOString through a C++
 * printf, some 8,000 instructions a call, and a payment's stored outcome prints four dates (two
 * of them usually the same millisecond, so the last one printed is kept). Years 0 to 9999 only;
 * anything else (an invalid date, which throws RangeError; the ±YYYYYY years; a Date subclass or
 * a non-Date) is left to toISOString itself, so the text and the errors are the same.
 */
const MIN_TIME = -62167219200000; // 0000-01-01T00:00:00.000Z
const MAX_TIME = 253402300799999; // 9999-12-31T23:59:59.999Z

let lastTime = Number.NaN;
let lastText = '';

export function isoText(date: Date): string {
  if (Object.getPrototypeOf(date) !== Date.prototype) return date.toISOString();
  const time = date.getTime();
  if (time === lastTime) return lastText;
  if (!(time >= MIN_TIME && time <= MAX_TIME)) return date.toISOString();
  const y = date.getUTCFullYear();
  const mo = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  const h = date.getUTCHours();
  const mi = date.getUTCMinutes();
  const s = date.getUTCSeconds();
  const ms = date.getUTCMilliseconds();
  // One flat string (no concatenation pieces to keep): 48 is "0".
  const text = String.fromCharCode(
    48 + ((y / 1000) | 0), 48 + (((y / 100) | 0) % 10), 48 + (((y / 10) | 0) % 10), 48 + (y % 10), 45, // YYYY-
    48 + ((mo / 10) | 0), 48 + (mo % 10), 45, // MM-
    48 + ((d / 10) | 0), 48 + (d % 10), 84, // DDT
    48 + ((h / 10) | 0), 48 + (h % 10), 58, // HH:
    48 + ((mi / 10) | 0), 48 + (mi % 10), 58, // mm:
    48 + ((s / 10) | 0), 48 + (s % 10), 46, // ss.
    48 + ((ms / 100) | 0), 48 + (((ms / 10) | 0) % 10), 48 + (ms % 10), 90, // sssZ
  );
  lastTime = time;
  lastText = text;
  return text;
}
