import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';

/** Plain data: an array, or an object whose prototype is Object.prototype or null. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of plain data (arrays, plain objects), frozen: it can be handed
 * to every caller, none can change what the next one sees, and the plugin's
 * own objects are neither shared nor frozen. Other objects are kept as they
 * are. Plain data that refers to itself has no copy: `invalid_input`, with
 * the cycle's path in `details.path` (a value shared by two fields is copied twice).
 */
export function frozenCopy(value: unknown): unknown {
  return copyPlain(value, new Set(), []);
}

function copyPlain(value: unknown, ancestors: Set<object>, path: string[]): unknown {
  const list = Array.isArray(value);
  if (!list && !isPlainObject(value)) return value;
  const node = value as Record<string, unknown> | unknown[];
  if (ancestors.has(node)) throw cyclicValue(path);
  ancestors.add(node);
  let copy: unknown;
  if (Array.isArray(node)) {
    const items: unknown[] = [];
    for (let i = 0; i < node.length; i++) {
      path.push(`[${i}]`);
      items.push(copyPlain(node[i], ancestors, path));
      path.pop();
    }
    copy = items;
  } else {
    const fields: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) {
      path.push(`.${key}`);
      fields[key] = copyPlain(item, ancestors, path);
      path.pop();
    }
    copy = fields;
  }
  ancestors.delete(node);
  return Object.freeze(copy);
}

/**
 * Where plain data (arrays, plain objects) refers to one of its own
 * containers, as a path (`[0].config`, `.self`; `` for the value itself), or
 * null when it does not: such a value has no JSON form and no copy.
 */
export function plainDataCycle(value: unknown): string | null {
  try {
    copyPlain(value, new Set(), []);
    return null;
  } catch (err) {
    if (isPayhostError(err, ERROR_CODES.invalidInput) && typeof err.details?.['path'] === 'string') return err.details['path'];
    throw err;
  }
}

function cyclicValue(path: readonly string[]): PayhostError {
  const at = path.join('');
  return new PayhostError(ERROR_CODES.invalidInput, `The value refers to itself${at === '' ? '' : ` at ${at}`}: plain data cannot hold a cycle`, { path: at });
}

/** Same plain data (same keys in the same order, same primitives); other objects only if identical. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameData(item, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  const other = Object.keys(b);
  return keys.length === other.length && keys.every((key, i) => key === other[i] && sameData(a[key], b[key]));
}
