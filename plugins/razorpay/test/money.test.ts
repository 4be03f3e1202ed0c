import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { fromRazorpayAmount, toRazorpayAmount } from '@payhost/plugin-razorpay';
import { CHANNEL, call, clientToken, expectFailure, expectSuccess, makeManager, makePlugin, payment, useFakeRazorpay } from './helpers.js';

describe('razorpay: amounts in currency subunits (Decimal, never floats)', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  const cases: Array<[string, string, number]> = [
    ['INR', '499.50', 49950],
    ['INR', '0.10', 10],
    ['INR', '1234567.89', 123456789],
    ['USD', '19.99', 1999],
    ['JPY', '500', 500],
    ['KWD', '295.990', 295990],
  ];

  for (const [currency, amount, subunits] of cases) {
    it(`${amount} ${currency} <-> ${subunits} subunits, through an order and a capture`, async () => {
      expect(toRazorpayAmount(new Decimal(amount), currency)).to.equal(subunits);
      expect(fromRazorpayAmount(subunits, currency).eq(new Decimal(amount))).to.equal(true);
      const plugin = makePlugin(fake);
      const token = await clientToken(plugin, amount, currency);
      expect(token.amount).to.equal(subunits);
      const result = fake.checkout(token.order_id);
      const response = await call(plugin.processPayment(payment({ amount: new Decimal(amount), currency, token: JSON.stringify(result) }), null));
      expectSuccess(response, 'capture', amount);
      expect(fake.requests.find((r) => r.path.endsWith('/capture'))?.body).to.deep.include({ amount: subunits, currency });
    });
  }

  it('JPY is a zero-decimal currency: 500.5 JPY is refused, never rounded', async () => {
    expect(() => toRazorpayAmount(new Decimal('500.5'), 'JPY')).to.throw(/more than 0 decimal places/);
    const plugin = makePlugin(fake);
    await plugin.getClientToken({ amount: new Decimal('500.5'), currency: 'JPY' }, null).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_amount'),
    );
    expect(fake.requests).to.deep.equal([]);
  });

  it('INR takes two decimals: the manager refuses 10.005 INR before the plugin runs', async () => {
    const manager = makeManager(fake);
    await manager.processPayment({ channel: CHANNEL, payment: payment({ amount: new Decimal('10.005') }) }).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_amount'),
    );
    await manager.close();
  });

  it('three-decimal currencies: Razorpay needs the last digit to be 0, so 295.991 KWD is refused with a clear message', async () => {
    expect(() => toRazorpayAmount(new Decimal('295.991'), 'KWD')).to.throw(/at most 2 decimal places/);
    const plugin = makePlugin(fake);
    const response = await call(plugin.refundPayment(payment({ amount: new Decimal('0.001'), currency: 'KWD', token: 'pay_Abc' }), null));
    expectFailure(response, 'processing_error', /KWD amounts with at most 2 decimal places/);
    expect(fake.requests).to.deep.equal([]);
  });

  it('the last-digit rule covers every currency Razorpay lists with exponent 3 (JOD, TND, IQD too); its other exponents are ISO\'s', () => {
    for (const currency of ['BHD', 'IQD', 'JOD', 'KWD', 'OMR', 'TND']) {
      expect(toRazorpayAmount(new Decimal('12.340'), currency), currency).to.equal(12340);
      expect(() => toRazorpayAmount(new Decimal('12.345'), currency), currency).to.throw(`Razorpay takes ${currency} amounts with at most 2 decimal places`);
    }
    // Zero-decimal in Razorpay's list (as in ISO 4217), and two decimals for HUF and IDR.
    for (const currency of ['CLP', 'ISK', 'KRW', 'UGX', 'VND', 'XAF']) expect(toRazorpayAmount(new Decimal('295'), currency), currency).to.equal(295);
    expect(toRazorpayAmount(new Decimal('295.50'), 'HUF')).to.equal(29550);
    expect(toRazorpayAmount(new Decimal('295.50'), 'IDR')).to.equal(29550);
  });

  it('subunit amounts from Razorpay become exact Decimals (no binary floating point)', () => {
    expect(fromRazorpayAmount(30, 'INR').toString()).to.equal('0.3');
    expect(fromRazorpayAmount(10, 'INR').plus(fromRazorpayAmount(20, 'INR')).eq(fromRazorpayAmount(30, 'INR'))).to.equal(true);
    expect(fromRazorpayAmount(900719925474099, 'INR').toString()).to.equal('9007199254740.99');
  });
});
