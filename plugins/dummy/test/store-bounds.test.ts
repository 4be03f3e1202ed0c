import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal } from '@payhost/core';
import { DummyStore, type DummyCharge } from '@payhost/plugin-dummy';
import { BoundedMap } from '../src/bounded-map.js';

function charge(store: DummyStore): DummyCharge {
  const zero = new Decimal(0);
  return {
    pspReference: store.nextId('ch'),
    channel: 'us',
    currency: 'USD',
    amount: new Decimal(10),
    authorized: zero,
    captured: zero,
    refunded: zero,
    status: 'succeeded',
    captureOnConfirm: true,
    card: { tokenName: 'success', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, nameOnCard: null },
    storeFor: null,
    gatewayCustomerId: null,
  };
}

describe('dummy: its processor-side state is bounded', () => {
  it('keeps the newest charges up to its limit, dropping the oldest first', () => {
    const store = new DummyStore(3);
    const charges = Array.from({ length: 5 }, () => charge(store));
    for (const c of charges) store.addCharge(c);
    expect(charges.map((c) => store.findCharge('us', c.pspReference) !== undefined)).to.deep.equal([false, false, true, true, true]);
  });

  it('BoundedMap behaves like a first-in first-out cache of `limit` keys over any sequence of sets (model check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 300 }), (limit, keys) => {
        const map = new BoundedMap<number, number>(limit);
        // The model: keys in first-insertion order; setting a held key again keeps its place.
        const order: number[] = [];
        const values = new Map<number, number>();
        keys.forEach((key, step) => {
          if (!values.has(key)) {
            if (order.length === limit) values.delete(order.shift() as number);
            order.push(key);
          }
          values.set(key, step);
          map.set(key, step);
          expect(map.size).to.equal(values.size);
        });
        for (let key = 0; key <= 12; key++) expect(map.get(key)).to.equal(values.get(key));
      }),
    );
  });

  it('BoundedMap stays at its limit over many evictions, and clear() empties it', () => {
    const map = new BoundedMap<string, number>(100);
    for (let i = 0; i < 10_000; i++) map.set(`k${i}`, i);
    expect(map.size).to.equal(100);
    expect(map.get('k9899')).to.equal(undefined);
    expect(map.get('k9900')).to.equal(9900);
    map.clear();
    expect(map.size).to.equal(0);
    map.set('a', 1);
    expect(map.get('a')).to.equal(1);
  });

  it('rejects a limit below one', () => {
    expect(() => new DummyStore(0)).to.throw(RangeError);
    expect(() => new BoundedMap(1.5)).to.throw(RangeError);
  });
});
