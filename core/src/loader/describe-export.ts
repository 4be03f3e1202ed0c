/** What an export is, for a message: `a class Foo`, `a function foo`, `an object with keys a, b`, `number 1`. */
export function describeExport(value: unknown): string {
  if (typeof value === 'function') return /^class\b/.test(Function.prototype.toString.call(value)) ? `a class ${value.name || '(anonymous)'}` : `a function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}`;
  }
  return value === null ? 'null' : `${typeof value} ${JSON.stringify(value)}`;
}
