/**
 * `jsonCopy(v)` equals `JSON.parse(JSON.stringify(v))` — what a jsonb column
 * gives back: Dates become ISO strings, `undefined` and functions disappear
 * from objects (null in arrays), non-finite numbers become null — without
 * printing and parsing text. The ledger copies small JSON values (metadata,
 * raw gateway responses, recorded outcomes) several times per operation;
 * this is several times cheaper. Anything it does not know how to copy
 * exactly (toJSON methods other than Date's, class instances, boxed
 * primitives, bigints, very deep or cyclic values) goes through the real
 * JSON round trip, so the result, and the errors, are the same.
 */
export function jsonCopy<T>(value: T): T {
  const copied = copy(value, 0);
  return (copied === OMIT ? undefined : copied) as T;
}

const OMIT = Symbol('omit');
/** Deeper than this, the real round trip (which also reports cycles as JSON.stringify does). */
const MAX_DEPTH = 64;

function roundTrip(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? OMIT : JSON.parse(text);
}

function copy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 prints as 0.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return OMIT;
    case 'object':
      break;
    default:
      return roundTrip(value); // bigint: throws like JSON.stringify
  }
  if (value === null) return null;
  if (depth > MAX_DEPTH) return roundTrip(value);
  if (Array.isArray(value)) {
    // An own (or polluted) toJSON on an array is called by JSON.stringify too.
    if (Object.getPrototypeOf(value) !== Array.prototype || typeof (value as { toJSON?: unknown }).toJSON === 'function') return roundTrip(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = copy(value[i], depth + 1);
      out[i] = item === OMIT ? null : item;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Date.prototype) return roundTrip(value);
  if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return roundTrip(value);
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const item = copy((value as Record<string, unknown>)[key], depth + 1);
    if (item === OMIT) continue;
    // A "__proto__" key is data in JSON.parse's output, not the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
