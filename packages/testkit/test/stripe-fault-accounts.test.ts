import { expect } from 'chai';
import Stripe from 'stripe';
import { FakeStripe } from '@payhost/testkit/stripe';

describe('testkit: a fault of the fake Stripe can be aimed at one account', () => {
  let fake: FakeStripe;
  const sdk = (): Stripe => new Stripe('sk_test_testkitFaults', fake.sdkOptions());
  const ACCOUNT = 'acct_testkitSeller';

  before(async () => {
    fake = await FakeStripe.start();
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  it('`account` hits only requests with that Stripe-Account (null: the platform); left out, any account', async () => {
    fake.failNext({ status: 500, path: '/v1/customers', account: null });
    fake.failNext({ status: 503, path: '/v1/customers', account: ACCOUNT });
    fake.failNext({ status: 502, path: '/v1/customers' });
    const status = (options: Stripe.RequestOptions) => sdk().customers.list({}, options).then(() => 200, (e: Stripe.errors.StripeError) => e.statusCode);
    expect(await status({ stripeAccount: ACCOUNT })).to.equal(503);
    expect(await status({ stripeAccount: ACCOUNT })).to.equal(502);
    expect(await status({})).to.equal(500);
    expect(await status({})).to.equal(200);
  });
});
