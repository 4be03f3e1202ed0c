import { expect } from 'chai';
import { Decimal, TRANSACTION_ERROR_CODES } from '@payhost/core';
import { DUMMY_TOKENS, THREE_D_SECURE_URL, tokenizeCard } from '@payhost/plugin-dummy';
import { call, expectFailure, expectSuccess, makePlugin, payment, resetDummy } from './helpers.js';

describe('dummy: outcome per magic token (processPayment)', () => {
  beforeEach(resetDummy);

  it('success: captures with card info (auto_capture on)', async () => {
    const plugin = makePlugin();
    const token = tokenizeCard('4242424242424242', 4, 2032, '123');
    const res = await call(plugin.processPayment(payment({ token, data: { nameOnCard: 'Ada Lovelace' } }), null));
    expectSuccess(res, 'capture', '10');
    expect(res.currency).to.equal('USD');
    expect(res.cardInfo).to.deep.equal({ last4: '4242', brand: 'visa', expMonth: 4, expYear: 2032, nameOnCard: 'Ada Lovelace' });
  });

  it('success: bare token works and takes the name from the billing address', async () => {
    const billing = {
      firstName: 'Grace', lastName: 'Hopper', companyName: '', streetAddress1: '', streetAddress2: '',
      city: '', cityArea: '', postalCode: '', country: 'US', countryArea: '', phone: '',
    };
    const res = await call(makePlugin().processPayment(payment({ billing }), null));
    expectSuccess(res, 'capture', '10');
    expect(res.cardInfo?.nameOnCard).to.equal('Grace Hopper');
    expect(res.cardInfo?.last4).to.equal('4242');
  });

  const declines: Array<[keyof typeof DUMMY_TOKENS, string, RegExp]> = [
    ['declined', 'declined', /declined/],
    ['expired', 'expired', /expired/],
    ['incorrectCvv', 'incorrect_cvv', /security code/],
    ['insufficientFunds', 'declined', /insufficient funds/],
    ['processingError', 'processing_error', /error/],
    ['invalidNumber', 'invalid_number', /number/],
    ['invalidCvv', 'invalid_cvv', /security code/],
    ['invalidExpiryDate', 'invalid_expiry_date', /expiration/],
  ];
  for (const [name, code, message] of declines) {
    it(`${name}: fails with ${code}, no card info, never throws`, async () => {
      const res = await call(makePlugin().processPayment(payment({ token: DUMMY_TOKENS[name] }), null));
      expectFailure(res, code, message);
      expect(TRANSACTION_ERROR_CODES).to.include(res.errorCode);
      expect(res.kind).to.equal('auth');
      expect(res.amount.toString()).to.equal('10');
      expect(res.currency).to.equal('USD');
      expect(res.cardInfo ?? null).to.equal(null);
      expect(res.pspReference).to.match(/^dummy_ch_/);
    });
  }

  it('threeDSecure: asks for action, then confirm captures', async () => {
    const plugin = makePlugin();
    const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecure }), null));
    expect(res.isSuccess).to.equal(true);
    expect(res.actionRequired).to.equal(true);
    expect(res.kind).to.equal('action_to_confirm');
    expect(res.actionRequiredData).to.deep.equal({
      type: 'three_d_secure', challengeId: res.pspReference, redirectUrl: `${THREE_D_SECURE_URL}${res.pspReference}`,
    });
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId }), null));
    expectSuccess(confirmed, 'capture', '10');
    expect(confirmed.pspReference).to.equal(res.pspReference);
    expect(confirmed.cardInfo?.last4).to.equal('3220');
  });

  it('threeDSecure with auto_capture off: confirm authorizes only', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecure }), null));
    expect(res.kind).to.equal('action_to_confirm');
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId }), null));
    expectSuccess(confirmed, 'auth', '10');
    const captured = await call(plugin.capturePayment(payment({ token: confirmed.transactionId }), null));
    expectSuccess(captured, 'capture', '10');
  });

  it('threeDSecureFail: asks for action, then confirm is declined', async () => {
    const plugin = makePlugin();
    const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecureFail }), null));
    expect(res.kind).to.equal('action_to_confirm');
    expect(res.actionRequired).to.equal(true);
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId }), null));
    expectFailure(confirmed, 'declined', /3-D Secure/);
    expect(confirmed.kind).to.equal('capture');
    expect(confirmed.pspReference).to.equal(res.pspReference);
    // The charge waits for another card (Stripe's requires_payment_method): the same card fails again, saying so.
    const again = await call(plugin.confirmPayment(payment({ token: res.transactionId }), null));
    expectFailure(again, 'declined', /failed 3-D Secure authentication: confirm again with another card \(data\.token\), or void/);
    expect(again.kind).to.equal('capture');
  });

  it('rejects a token it did not issue without echoing it', async () => {
    const res = await call(makePlugin().processPayment(payment({ token: 'tok_from_elsewhere_secret' }), null));
    expectFailure(res, 'processing_error', /not issued by the Dummy gateway/);
    expect(JSON.stringify(res)).to.not.include('tok_from_elsewhere_secret');
  });

  it('fails (does not throw) with no token, an unsupported currency or a bad amount', async () => {
    const plugin = makePlugin();
    expectFailure(await call(plugin.processPayment(payment({ token: null }), null)), 'processing_error', /No token/);
    expectFailure(await call(plugin.processPayment(payment({ currency: 'EUR' }), null)), 'processing_error', /EUR is not supported/);
    expectFailure(await call(plugin.processPayment(payment({ amount: new Decimal('10.001') }), null)), 'processing_error', /decimal places/);
    expectFailure(await call(plugin.processPayment(payment({ amount: new Decimal(0) }), null)), 'processing_error', /greater than zero/);
    expectFailure(await call(plugin.processPayment(payment({ amount: new Decimal(-5) }), null)), 'processing_error', /negative/);
    expectFailure(await call(plugin.processPayment(payment({ amount: 'abc' as unknown as Decimal }), null)), 'processing_error');
  });

  it('fails every payment when supported_currencies is invalid', async () => {
    const plugin = makePlugin({ supported_currencies: 'USD, NOPE' });
    expectFailure(await call(plugin.processPayment(payment(), null)), 'processing_error', /supported_currencies/);
  });
});
