import { expect } from 'chai';
import Stripe from 'stripe';
import { FakeStripe } from '@payhost/testkit/stripe';

/**
 * GET /v1/refunds?payment_intent=… answers Stripe's 404 "No such
 * payment_intent" for an intent the account does not hold, as Stripe does: an
 * empty list would tell a reconciler "no refund" about an intent that lives on
 * another account (the platform, or a connected account).
 */
describe('testkit: the fake Stripe lists refunds only of an intent the account holds', () => {
  let fake: FakeStripe;
  const sdk = (): Stripe => new Stripe('sk_test_testkitRefunds', fake.sdkOptions());
  const ACCOUNT = 'acct_testkitSeller';

  before(async () => {
    fake = await FakeStripe.start();
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  async function refunded(options: Stripe.RequestOptions = {}): Promise<string> {
    const intent = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } }, options);
    await sdk().refunds.create({ payment_intent: intent.id, amount: 300 }, options);
    return intent.id;
  }

  it('lists the refunds of an intent on the same account (an intent without refunds: an empty list)', async () => {
    const intent = await refunded();
    expect((await sdk().refunds.list({ payment_intent: intent })).data.map((r) => r.amount)).to.deep.equal([300]);
    const bare = await sdk().paymentIntents.create({ amount: 500, currency: 'usd' });
    expect((await sdk().refunds.list({ payment_intent: bare.id })).data).to.deep.equal([]);
  });

  it('answers 404 resource_missing for an intent of another account, and for one that does not exist', async () => {
    const onPlatform = await refunded();
    const onAccount = await refunded({ stripeAccount: ACCOUNT });
    for (const [intent, options] of [[onPlatform, { stripeAccount: ACCOUNT }], [onAccount, {}], ['pi_missing123', {}]] as const) {
      const err = await sdk().refunds.list({ payment_intent: intent }, options).then(() => null, (e: Stripe.errors.StripeError) => e);
      expect(err, intent).to.include({ statusCode: 404, code: 'resource_missing', param: 'payment_intent', message: `No such payment_intent: '${intent}'` });
    }
  });
});
