import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import Stripe from 'stripe';
import type { FakeStripe, Json } from '@payhost/testkit/stripe';
import { RETURN_URL, SECRET_KEY, call, dec, makePlugin, payment, useFakeStripe } from './helpers.js';

// Review finding: a pi_ token of this channel refused for its amount, currency or Connect terms (the cart changed after
// getClientToken) was a definite failure with the intent left open: the customer could still finish 3-D Secure, or
// confirm with a card, and Stripe took the money with no payment recorded. Now such an intent is canceled first (as
// for a failed binding, ef5bba5); one naming another payment is never canceled.
describe('stripe: a pi_ token refused while the customer can still pay it', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;
  const API_ERROR: Json = { error: { type: 'api_error', message: 'An unknown error occurred' } };

  /** A client-token intent for 10.00 USD (naming `paymentId` when given), left where `confirmWith` puts it. */
  async function openIntent(fake: FakeStripe, options: { paymentId?: string; confirmWith?: string } = {}): Promise<string> {
    const data = options.paymentId ? { paymentId: options.paymentId } : undefined;
    const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD', ...(data ? { data } : {}) }, null));
    const id = secret.split('_secret_')[0] ?? '';
    if (options.confirmWith) await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: options.confirmWith, return_url: RETURN_URL });
    return id;
  }

  it('another amount, 3-D Secure pending: a definite failure, the intent canceled so 3-D Secure cannot finish it', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
    const p = payment({ token: id, amount: new Decimal('12.00') });
    const res = await call(makePlugin(env.fake).processPayment(p, null));
    expect(res).to.deep.include({ isSuccess: false, errorCode: 'processing_error', transactionId: id, pspReference: id });
    expect(res.rawResponse?.['outcome_unknown']).to.not.equal(true);
    expect(res.error).to.match(new RegExp(`PaymentIntent ${id} is for 1000 usd, not 1200 usd .*canceled`));
    expect(env.fake.paymentIntent(id)).to.deep.include({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST').map((r) => r.idempotencyKey)).to.deep.equal([`${p.idempotencyKey}#unbound`]);
    expect(() => env.fake.completeThreeDSecure(id)).to.throw(/canceled, not requires_action/);
  });

  it('another currency, bound to this payment from the start, not yet confirmed: canceled', async () => {
    const id = await openIntent(env.fake, { paymentId: 'pay-own' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_payment_method');
    const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId: 'pay-own', token: id, currency: 'EUR' }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id });
    expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
  });

  it('another amount, the cancel failing: outcome_unknown with the intent as reference', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
    env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id, amount: new Decimal('12.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
    expect(res.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(res.rawResponse?.['cancel_error']).to.deep.include({ http_status: 500 });
    expect(res.error).to.match(/may still take the money/);
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
  });

  it('an intent bound to another payment (another amount too) is refused and never canceled', async () => {
    const id = await openIntent(env.fake, { paymentId: 'pay-other', confirmWith: 'pm_card_threeDSecure2Required' });
    const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId: 'pay-mine', token: id, amount: new Decimal('12.00') }), null));
    expect(res.isSuccess).to.equal(false);
    expect(res.error).to.match(/belongs to another payment/);
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
    // The other payment can still have it: its 3-D Secure finishes.
    env.fake.completeThreeDSecure(id);
    expect(env.fake.paymentIntent(id)['status']).to.not.equal('canceled');
  });

  it('a succeeded intent for another amount is refused as before, with no cancel (it cannot take more money)', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_visa' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id, amount: new Decimal('12.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: '' });
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
  });
});
