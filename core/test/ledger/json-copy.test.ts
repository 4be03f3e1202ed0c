import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal, jsonCopy } from '@payhost/core';

/** What jsonCopy must equal: the JSON round trip a jsonb column makes. */
function roundTrip(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

describe('jsonCopy (the JSON round trip without the text)', () => {
  it('equals JSON.parse(JSON.stringify(v)) for arbitrary JSON-like values, keys in the same order', () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withNullPrototype: true, withBoxedValues: true, withSparseArray: true, withObjectString: true }), (value) => {
        const copied = jsonCopy(value);
        expect(copied).to.deep.equal(roundTrip(value));
        expect(JSON.stringify(copied)).to.equal(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('shares nothing with its input', () => {
    const input = { a: { b: [1, { c: 'x' }] }, d: [] as unknown[] };
    const copied = jsonCopy(input);
    copied.a.b.push(2);
    (copied.a.b[1] as { c: string }).c = 'y';
    copied.d.push(1);
    expect(input).to.deep.equal({ a: { b: [1, { c: 'x' }] }, d: [] });
  });

  it('handles what JSON handles specially: Dates, toJSON, undefined, functions, non-finite numbers, __proto__ keys', () => {
    const when = new Date('2026-11-22T01:00:00.000Z');
    const input = {
      when,
      invalid: new Date(Number.NaN),
      amount: new Decimal('10.50'),
      gone: undefined,
      fn: () => 1,
      list: [undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY, -0],
      custom: { toJSON: () => ({ replaced: true }) },
      customList: Object.assign([1, 2], { toJSON: () => 'replaced' }),
      ...JSON.parse('{"__proto__": {"polluted": true}}'),
    };
    const copied = jsonCopy(input) as Record<string, unknown>;
    expect(copied).to.deep.equal(roundTrip(input));
    expect(copied['when']).to.equal('2026-11-22T01:00:00.000Z');
    expect(copied['amount']).to.equal('10.5');
    expect(copied['customList']).to.equal('replaced');
    expect(Object.getPrototypeOf(copied)).to.equal(Object.prototype);
    expect(Object.keys(copied)).to.include('__proto__');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('throws as JSON.stringify does on cycles and bigints', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(() => jsonCopy(cyclic)).to.throw(TypeError);
    expect(() => jsonCopy({ big: 1n })).to.throw(TypeError);
  });
});
