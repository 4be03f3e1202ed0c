import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { fromFlutterwaveAmount, toFlutterwaveAmount } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, clientToken, expectFailure, expectSuccess, inlinePayment, makeManager, makePlugin, payment } from './helpers.js';

describe('flutterwave: amounts (major units on the wire, ISO 4217 exponents, Decimal, never floats)', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  const cases: Array<[string, string, number]> = [
    ['NGN', '1500.50', 1500.5],
    ['NGN', '0.10', 0.1],
    ['NGN', '123456789.99', 123456789.99],
    ['KES', '2499.95', 2499.95],
    ['GHS', '10', 10],
    ['UGX', '50000', 50000],
  ];

  for (const [currency, amount, wire] of cases) {
    it(`${amount} ${currency} is ${wire} on the wire: client token, verification and a partial refund`, async () => {
      expect(toFlutterwaveAmount(new Decimal(amount), currency)).to.equal(wire);
      expect(fromFlutterwaveAmount(wire).eq(new Decimal(amount))).to.equal(true);
      const plugin = makePlugin(fake);
      const { token, clientToken: ct, transaction } = await inlinePayment(fake, plugin, amount, currency);
      expect(ct.amount).to.equal(wire);
      expectSuccess(await call(plugin.processPayment(payment({ token, amount: new Decimal(amount), currency }), null)), 'capture', amount);
      const part = currency === 'UGX' ? '1' : '0.05';
      const refund = await call(plugin.refundPayment(payment({ token: String(transaction.id), amount: new Decimal(part), currency }), null));
      expectSuccess(refund, 'refund', part);
      expect(fake.requests.at(-1)?.body).to.deep.include({ amount: Number(part) });
    });
  }

  it('UGX is a zero-decimal currency: 50000.5 UGX is refused, never rounded', async () => {
    expect(() => toFlutterwaveAmount(new Decimal('50000.5'), 'UGX')).to.throw(/more than 0 decimal places/);
    const plugin = makePlugin(fake);
    await plugin.getClientToken({ amount: new Decimal('50000.5'), currency: 'UGX' }, null).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_amount'),
    );
    const manager = makeManager(fake);
    await manager.refundPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment({ amount: new Decimal('1.5'), currency: 'UGX', token: '123' }) }).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_amount'),
    );
    await manager.close();
    expect(fake.requests).to.deep.equal([]);
  });

  it('NGN and KES take two decimals: 10.005 is refused by the plugin before any call', async () => {
    const plugin = makePlugin(fake);
    for (const currency of ['NGN', 'KES']) {
      const response = await call(plugin.refundPayment(payment({ amount: new Decimal('10.005'), currency, token: '123' }), null));
      expectFailure(response, 'processing_error', new RegExp(`more than 2 decimal places allowed for ${currency}`));
    }
    expect(fake.requests).to.deep.equal([]);
  });

  it('an amount off by the smallest unit is a mismatch (exact Decimal comparison)', async () => {
    const plugin = makePlugin(fake);
    const { token } = await inlinePayment(fake, plugin, '2499.95', 'KES', { paid: '2499.94' });
    expectFailure(await call(plugin.processPayment(payment({ token, amount: new Decimal('2499.95'), currency: 'KES' }), null)), 'processing_error', /2499.94 KES/, 'amount_mismatch');
    const ngn = await clientToken(plugin, '0.30', 'NGN');
    expect(ngn.amount).to.equal(0.3);
    expect(fromFlutterwaveAmount(0.1).plus(fromFlutterwaveAmount(0.2)).eq(fromFlutterwaveAmount(0.3))).to.equal(true);
  });
});
