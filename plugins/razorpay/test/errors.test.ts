import { expect } from 'chai';
import { Decimal, PayhostError } from '@payhost/core';
import { FakeRazorpay } from '@payhost/testkit/razorpay';
import { mapPaymentFailure, mapRazorpayError } from '@payhost/plugin-razorpay';
import { call, clientToken, expectFailure, makePlugin, payment, useFakeRazorpay } from './helpers.js';

/** Razorpay failure reasons and the unified code each must become. */
const REASONS: Array<[string, string]> = [
  ['insufficient_funds', 'declined'],
  ['card_declined', 'declined'],
  ['authentication_failed', 'declined'],
  ['card_expired', 'expired'],
  ['incorrect_cvv', 'incorrect_cvv'],
  ['invalid_cvv', 'invalid_cvv'],
  ['incorrect_card_details', 'incorrect_number'],
  ['invalid_card_number', 'invalid_number'],
  ['invalid_expiry_date', 'invalid_expiry_date'],
  ['incorrect_address', 'incorrect_address'],
  ['incorrect_zip', 'incorrect_zip'],
  ['gateway_technical_error', 'processing_error'],
];

describe('razorpay: error mapping (plain error objects, failed payments, network failures)', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  async function authorized(autoCapture = false) {
    const plugin = makePlugin(fake, { auto_capture: autoCapture });
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    return { plugin, result: fake.checkout(order_id) };
  }

  for (const [reason, code] of REASONS) {
    it(`an API error with reason ${reason} -> ${code}, Razorpay's description kept`, async () => {
      const { plugin, result } = await authorized();
      const description = `Razorpay says: ${reason.replace(/_/g, ' ')}`;
      fake.injectError({ method: 'POST', path: '/capture' }, 400, { description, reason, source: 'customer', step: 'payment_authorization' });
      const response = await call(plugin.capturePayment(payment({ token: result.razorpay_payment_id }), null));
      expectFailure(response, code);
      expect(response.error).to.equal(description);
      expect(response.rawResponse?.['razorpay']).to.deep.include({ statusCode: 400, reason, code: 'BAD_REQUEST_ERROR' });
    });

    it(`a failed payment with error_reason ${reason} -> ${code} (processPayment)`, async () => {
      const plugin = makePlugin(fake);
      const { order_id } = await clientToken(plugin, '499.50', 'INR');
      const code_ = code === 'processing_error' ? 'GATEWAY_ERROR' : 'BAD_REQUEST_ERROR';
      const result = fake.checkout(order_id, { status: 'failed', error: { code: code_, reason, description: `failed: ${reason}` } });
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
      expectFailure(response, code, new RegExp(`^failed: ${reason}$`));
      expect(response.pspReference).to.equal(result.razorpay_payment_id);
    });
  }

  it('falls back on code, source and step for unknown reasons', () => {
    const unknownCustomer = mapRazorpayError({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', description: 'x', reason: 'brand_new_reason', source: 'bank', step: 'payment_authorization' } });
    expect(unknownCustomer.errorCode).to.equal('declined');
    const business = mapRazorpayError({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', description: 'The amount must be atleast INR 1.00', source: 'business', step: 'payment_initiation', reason: 'input_validation_failed' } });
    expect(business).to.deep.include({ errorCode: 'processing_error', message: 'The amount must be atleast INR 1.00' });
    expect(mapRazorpayError({ statusCode: 502, error: { code: 'SERVER_ERROR' } }).message).to.equal('Razorpay error SERVER_ERROR (HTTP 502)');
    expect(mapPaymentFailure({ error_code: 'BAD_REQUEST_ERROR', error_description: null, error_reason: null, error_source: null, error_step: null })).to.deep.include({
      errorCode: 'declined',
      message: 'The payment failed',
    });
    expect(mapPaymentFailure({ error_code: 'SERVER_ERROR', error_description: 'down', error_reason: 'NA', error_source: 'NA', error_step: 'NA' }).errorCode).to.equal('processing_error');
  });

  it('maps the SDK TypeError, its own Errors and PayhostErrors to processing_error with their message', () => {
    expect(mapRazorpayError(new TypeError("Cannot read properties of undefined (reading 'status')"))).to.deep.include({
      errorCode: 'processing_error',
      message: "Razorpay request failed without a response: Cannot read properties of undefined (reading 'status')",
    });
    expect(mapRazorpayError(new Error('`payment_id` is mandatory')).message).to.equal('Razorpay request failed: `payment_id` is mandatory');
    expect(mapRazorpayError(new PayhostError('invalid_amount', 'bad amount')).message).to.equal('bad amount');
  });

  it('a network failure (connection dropped) is a processing_error that says Razorpay could not be reached', async () => {
    const { plugin, result } = await authorized();
    fake.injectNetworkError({ path: '/capture' });
    const response = await call(plugin.capturePayment(payment({ token: result.razorpay_payment_id }), null));
    expectFailure(response, 'processing_error', /^Could not reach Razorpay \(.*(ECONNRESET|socket hang up).*\)$/);
    expect(response.rawResponse?.['razorpay']).to.deep.include({ statusCode: 0, code: 'NETWORK_ERROR' });
  });

  it('a closed port (connection refused) is a network failure too, never an exception', async () => {
    const closed = await FakeRazorpay.start();
    await closed.close();
    const plugin = makePlugin(closed);
    const response = await call(plugin.refundPayment(payment({ token: 'pay_Abc123', amount: new Decimal('1') }), null));
    expectFailure(response, 'processing_error', /Could not reach Razorpay \(ECONNREFUSED/);
  });

  it('an authentication failure (wrong key secret) keeps Razorpay\'s message', async () => {
    const { result } = await authorized();
    const plugin = makePlugin(fake, { key_secret: 'wrong-secret' });
    const response = await call(plugin.capturePayment(payment({ token: result.razorpay_payment_id }), null));
    expectFailure(response, 'processing_error', /^Authentication failed$/);
    expect(response.rawResponse?.['razorpay']).to.deep.include({ statusCode: 401 });
  });

  it('if only the capture fails after a genuine checkout, processPayment records the authorization and says why', async () => {
    const { result } = await authorized(true);
    const plugin = makePlugin(fake, { auto_capture: true });
    fake.injectError({ path: '/capture' }, 500, { code: 'SERVER_ERROR', description: 'We are facing some trouble completing your request at the moment.' });
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expect(response).to.deep.include({ isSuccess: true, kind: 'auth' });
    expect(response.rawResponse?.['captureError']).to.match(/facing some trouble/);
  });

  it('an error while fetching the payment fails processPayment with the mapped code and nothing captured', async () => {
    const { result } = await authorized(true);
    const plugin = makePlugin(fake, { auto_capture: true });
    fake.injectError({ method: 'GET', path: '/v1/payments/' }, 400, { description: 'The id provided does not exist' });
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expectFailure(response, 'processing_error', /^The id provided does not exist$/);
    expect(fake.state.payment(result.razorpay_payment_id).status).to.equal('authorized');
  });
});
