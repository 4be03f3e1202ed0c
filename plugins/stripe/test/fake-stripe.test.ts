import { expect } from 'chai';
import Stripe from 'stripe';
import { MAGIC_PAYMENT_METHODS, parseForm, signPayload } from '@payhost/testkit/stripe';
import { SECRET_KEY, WEBHOOK_SECRET, useFakeStripe } from './helpers.js';

describe('testkit: the fake Stripe, seen through the real SDK', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());

  it('parses Stripe\'s form encoding (nested objects and indexed arrays)', () => {
    expect(parseForm('amount=100&metadata[a]=1&expand[0]=x&expand[1]=y&payment_method_options[card][request_three_d_secure]=any')).to.deep.equal({
      amount: '100',
      metadata: { a: '1' },
      expand: ['x', 'y'],
      payment_method_options: { card: { request_three_d_secure: 'any' } },
    });
  });

  it('answers an idempotency key reused with other parameters with Stripe\'s idempotency_error', async () => {
    await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-1' });
    let error: { type?: string; message?: string } = {};
    await sdk().paymentIntents.create({ amount: 200, currency: 'usd' }, { idempotencyKey: 'k-1' }).catch((err: typeof error) => (error = err));
    expect(error.type).to.equal('StripeIdempotencyError');
    expect(error.message).to.match(/same parameters/);
  });

  it('keeps each connected account\'s objects apart (Stripe-Account header)', async () => {
    const pi = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { stripeAccount: 'acct_one1' });
    expect((await sdk().paymentIntents.retrieve(pi.id, {}, { stripeAccount: 'acct_one1' })).id).to.equal(pi.id);
    let error: { statusCode?: number; code?: string } = {};
    await sdk().paymentIntents.retrieve(pi.id).catch((err: typeof error) => (error = err));
    expect(error).to.include({ statusCode: 404, code: 'resource_missing' });
  });

  it('refuses an application fee without a direct or destination charge, as Stripe does', async () => {
    let error: { message?: string } = {};
    await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', application_fee_amount: 10 }).catch((err: typeof error) => (error = err));
    expect(error.message).to.match(/Can only apply an application_fee_amount/);
  });

  it('refuses amounts Stripe does not take: ISK and UGX not divisible by 100, three-decimal ones not ending in 0', async () => {
    const refused = async (params: Stripe.PaymentIntentCreateParams): Promise<{ type?: string; param?: string; message?: string }> => {
      let error: { type?: string; param?: string; message?: string } = {};
      await sdk().paymentIntents.create(params).catch((err: typeof error) => (error = err));
      return error;
    };
    expect(await refused({ amount: 5, currency: 'ugx' })).to.include({ type: 'StripeInvalidRequestError', param: 'amount' });
    expect((await refused({ amount: 550, currency: 'isk' })).message).to.match(/evenly divisible by 100/);
    expect((await refused({ amount: 5125, currency: 'kwd' })).message).to.match(/must end in 0/);
    expect((await sdk().paymentIntents.create({ amount: 500, currency: 'ugx' })).amount).to.equal(500);
    expect((await sdk().paymentIntents.create({ amount: 5120, currency: 'kwd' })).amount).to.equal(5120);
    expect((await sdk().paymentIntents.create({ amount: 5, currency: 'jpy' })).amount).to.equal(5);
  });

  it('materializes a magic payment method into a new one on each use, and records events per request', async () => {
    const a = await sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: 'k-ev' });
    const b = await sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    expect(a.payment_method).to.not.equal(b.payment_method);
    expect(env.fake.events('payment_intent.succeeded')[0]?.['request']).to.deep.include({ idempotency_key: 'k-ev' });
    expect(MAGIC_PAYMENT_METHODS).to.include.members(['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_threeDSecure2Required']);
  });

  it('signs webhook payloads so that Stripe.webhooks.constructEvent accepts them', () => {
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'ping', data: { object: {} } });
    const header = signPayload(payload, WEBHOOK_SECRET);
    expect(Stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET).id).to.equal('evt_1');
    expect(() => Stripe.webhooks.constructEvent(payload, header, 'whsec_other')).to.throw(/No signatures found/);
  });

  it('answers a malformed API key with 401', async () => {
    const bad = new Stripe('not-a-key', env.fake.sdkOptions());
    let error: { statusCode?: number } = {};
    await bad.customers.create({}).catch((err: typeof error) => (error = err));
    expect(error.statusCode).to.equal(401);
  });
});
