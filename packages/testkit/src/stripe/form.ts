/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with
 * bracketed keys for nesting (`metadata[order]=1`, `expand[0]=customer`).
 * Parses it back into nested objects; objects whose keys are all indexes
 * become arrays. Values stay strings, as on the wire.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(key.slice(first))) !== null) parts.push(match[1] ?? '');
  return parts;
}

function arrayify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const out: FormObject = {};
  for (const key of keys) out[key] = arrayify(value[key] as FormValue);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => out[k] as FormValue);
  }
  return out;
}

/** Parses a form body or query string into a nested object. */
export function parseForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = splitKey(rawKey);
    let node: FormObject = root;
    parts.forEach((part, i) => {
      const key = part === '' ? String(Object.keys(node).length) : part;
      if (i === parts.length - 1) {
        node[key] = value;
        return;
      }
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as FormObject;
    });
  }
  return arrayify(root) as FormObject;
}

/** Reads a string field. */
export function str(form: FormObject, key: string): string | undefined {
  const value = form[key];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a nested object field (an empty object when absent). */
export function obj(form: FormObject, key: string): FormObject {
  const value = form[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** Reads a boolean field ("true"/"false"). */
export function bool(form: FormObject, key: string): boolean | undefined {
  const value = str(form, key);
  return value === undefined ? undefined : value === 'true';
}

/** Reads an integer field; NaN when present but not an integer. */
export function int(form: FormObject, key: string): number | undefined {
  const value = str(form, key);
  if (value === undefined) return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** Reads a list of strings (`expand[0]=a&expand[1]=b`). */
export function list(form: FormObject, key: string): string[] {
  const value = form[key];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** Reads a flat string map (metadata). */
export function stringMap(form: FormObject, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(form, key))) if (typeof v === 'string') out[k] = v;
  return out;
}
