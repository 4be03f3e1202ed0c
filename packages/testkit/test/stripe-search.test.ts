import { expect } from 'chai';
import Stripe from 'stripe';
import { FakeStripe } from '@payhost/testkit/stripe';

/**
 * Stripe's search (https://docs.stripe.com/search): "Don't use
 * search for read-after-write flows ... under normal operating conditions,
 * data is searchable in less than a minute. Occasionally, propagation of new
 * or updated data can be up to an hour behind during outages."
 */
describe('testkit: the fake Stripe\'s search index can lag writes', () => {
  let fake: FakeStripe;
  const sdk = (): Stripe => new Stripe('sk_test_testkitSearch', fake.sdkOptions());
  const byMetadata = (value: string) => `metadata['host_id']:'${value}'`;

  before(async () => {
    fake = await FakeStripe.start({ searchIndexDelayMs: 60_000 });
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  it('customers and payment intents younger than the delay are not found by search, then are', async () => {
    const customer = await sdk().customers.create({ metadata: { host_id: 'c1' } });
    const intent = await sdk().paymentIntents.create({ amount: 100, currency: 'usd', metadata: { host_id: 'c1' } });
    expect((await sdk().customers.search({ query: byMetadata('c1') })).data).to.deep.equal([]);
    expect((await sdk().paymentIntents.search({ query: byMetadata('c1') })).data).to.deep.equal([]);
    // Read after write by id is immediate, as at Stripe.
    expect((await sdk().customers.retrieve(customer.id)).id).to.equal(customer.id);
    fake.advanceClock(59_000);
    expect((await sdk().customers.search({ query: byMetadata('c1') })).data).to.have.length(0);
    fake.advanceClock(1_000);
    expect((await sdk().customers.search({ query: byMetadata('c1') })).data.map((c) => c.id)).to.deep.equal([customer.id]);
    expect((await sdk().paymentIntents.search({ query: byMetadata('c1') })).data.map((i) => i.id)).to.deep.equal([intent.id]);
  });

  it('the delay can be changed per test (setSearchIndexDelay), and reset() restores the start option', async () => {
    fake.setSearchIndexDelay(0);
    await sdk().customers.create({ metadata: { host_id: 'c2' } });
    expect((await sdk().customers.search({ query: byMetadata('c2') })).data).to.have.length(1);
    fake.reset();
    await sdk().customers.create({ metadata: { host_id: 'c3' } });
    expect((await sdk().customers.search({ query: byMetadata('c3') })).data).to.have.length(0);
  });
});
