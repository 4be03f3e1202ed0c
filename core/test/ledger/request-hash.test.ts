import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal } from '@payhost/core';
import { requestHash } from '../../src/ledger/idempotency.js';

/**
 * The canonical form earlier versions hashed (kept here as the reference):
 * requestHash must give the same hash for every request, or keys recorded
 * in a durable store before an upgrade would read as reused. One deliberate
 * change: an object key whose value is `undefined` is left out, as JSON
 * leaves it out (earlier versions printed it null, so a retry of such a
 * request that went through JSON read as reused); only a request with one
 * inside `metadata` or `data` hashes otherwise than before.
 */
function referenceCanonical(value: unknown): unknown {
  if (value === undefined) return null;
  if (Decimal.isDecimal(value)) return `dec:${(value as Decimal).toString()}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(referenceCanonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) out[key] = referenceCanonical(field);
    }
    return out;
  }
  return value;
}

function referenceHash(operation: string, params: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(referenceCanonical({ operation, params }))).digest('hex');
}

describe('requestHash (what "the same request" means for an idempotency key)', () => {
  it('equals the reference canonical-JSON hash for arbitrary parameters', () => {
    const decimal = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => new Decimal(n));
    const date = fc.date({ noInvalidDate: true });
    const leaf = fc.oneof(fc.anything({ withBoxedValues: true, withSparseArray: true, withNullPrototype: true }), decimal, date);
    const params = fc.dictionary(fc.string(), fc.oneof(leaf, fc.array(leaf), fc.dictionary(fc.string(), leaf)));
    fc.assert(
      fc.property(fc.string(), params, (operation, value) => {
        expect(requestHash(operation, value)).to.equal(referenceHash(operation, value));
      }),
      { numRuns: 1000 },
    );
  });

  it('hashes values JSON treats specially as the reference does: functions, symbols, undefined, __proto__ keys', () => {
    const odd = { fn: () => 1, sym: Symbol('s'), gone: undefined, list: [() => 1, undefined, Number.NaN], ...JSON.parse('{"__proto__": {"a": 1}}') };
    expect(requestHash('refund', odd)).to.equal(referenceHash('refund', odd));
    expect(() => requestHash('refund', { big: 1n })).to.throw(TypeError);
  });

  it('hashes an object key set to undefined as JSON has it, left out (a retry that went through JSON is the same request)', () => {
    const direct = { paymentId: 'p1', data: { coupon: undefined, note: 'x', nested: { gone: undefined } } };
    const viaJson = JSON.parse(JSON.stringify(direct)) as Record<string, unknown>;
    expect(requestHash('process', direct)).to.equal(requestHash('process', viaJson));
    // An array's undefined item is null in JSON too.
    expect(requestHash('process', { list: [undefined] })).to.equal(requestHash('process', { list: [null] }));
  });

  it('hashes amounts and key order alike, and tells different requests apart', () => {
    const a = requestHash('capture', { paymentId: 'p1', amount: 'dec:10.5', data: null });
    expect(requestHash('capture', { data: null, amount: 'dec:10.5', paymentId: 'p1' })).to.equal(a);
    expect(requestHash('capture', { paymentId: 'p1', amount: 'dec:10.6', data: null })).to.not.equal(a);
    expect(requestHash('refund', { paymentId: 'p1', amount: 'dec:10.5', data: null })).to.not.equal(a);
  });
});
