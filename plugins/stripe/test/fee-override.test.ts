import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { applicationFee } from '@payhost/plugin-stripe';
import { call, dec, expectFailure, expectSuccess, intentCreations, key, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
const FORWARD = { mode: 'FORWARD', connected_account_id: PROVIDER };
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER };

// Money review: an override larger than the charge was capped to the whole charge (the provider got nothing), and
// a JavaScript number or "1e1" was taken as an amount.
describe('stripe: data.applicationFee is an amount the charge can carry, or refused', () => {
  const env = useFakeStripe();

  it('a fee above the charge is refused (invalid_amount) before any request, not capped to the whole charge', async () => {
    const plugin = makePlugin(env.fake, FORWARD);
    const above = await call(plugin.processPayment(payment({ amount: dec('10.00'), data: { applicationFee: '20' } }), null));
    expectFailure(above, 'processing_error', /data\.applicationFee 20 USD is more than the amount charged \(10 USD\)/);
    expect(above.rawResponse).to.deep.include({ code: 'invalid_amount' });
    const err = await rejection(plugin.getClientToken({ amount: dec('10.00'), currency: 'USD', data: { applicationFee: '10.01' } }, null));
    expect(err.code).to.equal('invalid_amount');
    expect(err.message).to.match(/more than the amount charged/);
    expect(env.fake.requests).to.deep.equal([]);
    // The whole charge is a fee the charge can carry.
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('10.00'), data: { applicationFee: '10.00' } }), null)), 'capture', '10');
    expect(intentCreations(env.fake).map((r) => r.params['application_fee_amount'])).to.deep.equal(['1000']);
  });

  it('only a Decimal or a plain decimal string: a JavaScript number, exponent notation and a signed zero are refused', async () => {
    const plugin = makePlugin(env.fake, FORWARD);
    const refused: Array<[unknown, RegExp]> = [
      [20, /data\.applicationFee 20 is a JavaScript number/],
      [0.1 + 0.2, /data\.applicationFee 0\.30000000000000004 is a JavaScript number/],
      ['1e1', /a plain decimal string such as "1\.50", no exponent.*got "1e1"/],
      ['-0', /data\.applicationFee must be a non-negative amount without a sign.*got "-0"/],
      [dec('-1'), /data\.applicationFee must be a finite, non-negative amount, got -1/],
    ];
    for (const [applicationFee, message] of refused) {
      const res = await call(plugin.processPayment(payment({ amount: dec('10.00'), data: { applicationFee } }), null));
      expectFailure(res, 'processing_error', message);
      expect(res.rawResponse, String(applicationFee)).to.deep.include({ code: 'invalid_amount' });
    }
    expect(env.fake.requests).to.deep.equal([]);
    const { settings } = plugin;
    expect(applicationFee(settings, { mode: 'FORWARD' }, 1000, 'USD', { data: { applicationFee: dec('1.5') } })).to.equal(150);
    expect(applicationFee(settings, { mode: 'FORWARD' }, 1000, 'USD', { data: { applicationFee: new Decimal('-0') } })).to.equal(null);
    expect(applicationFee(settings, { mode: 'FORWARD' }, 1000, 'USD', { data: { applicationFee: ' 0.50 ' } })).to.equal(50);
  });

  for (const [mode, settings] of [['FORWARD', FORWARD], ['REMOTE', REMOTE]] as const) {
    it(`${mode}: a capture's override above the captured amount is refused before the capture request`, async () => {
      const plugin = makePlugin(env.fake, { ...settings, auto_capture: false });
      const auth = await call(plugin.authorizePayment(payment({ amount: dec('100.00') }), null));
      expect(auth.kind).to.equal('auth');
      const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('40.00'), idempotencyKey: key(), data: { applicationFee: '40.01' } }), null));
      expectFailure(cap, 'processing_error', /data\.applicationFee 40\.01 USD is more than the amount charged \(40 USD\)/);
      expect(env.fake.requestsTo(/\/capture$/)).to.deep.equal([]);
    });
  }
});
