import { expect } from 'chai';
import { CHANNEL, call, expectFailure, expectSuccess, makePlugin, payment, useFakeStripe } from './helpers.js';

// Audit: a host customer id shaped like `cus_…` was used as a Stripe Customer id (stripe-host-customer-id).
describe('stripe: a host customer id is never a Stripe customer id', () => {
  const env = useFakeStripe();

  it("a host customer whose id is another customer's Stripe id gets neither that Customer nor its saved cards", async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const alice = await call(plugin.processPayment(payment({ customerId: 'alice' }), null));
    const alicesStripeId = String(alice.customerId);
    expect(alicesStripeId).to.match(/^cus_/);

    // A host whose own customer ids look like Stripe's (e.g. "cus_42") happens to have one equal to Alice's.
    const mallory = payment({ customerId: alicesStripeId, token: null, reuseSource: true });
    expectFailure(await call(plugin.processPayment(mallory, null)), 'processing_error', /not associated to an account on the processor/);
    expect(env.fake.requestsTo('/v1/payment_intents', 'POST')).to.have.length(1); // Alice's only
    expect(await call(plugin.listPaymentSources({ channel: CHANNEL, customerId: alicesStripeId }, []))).to.deep.equal([]);

    // Storing a card for that host customer makes a Customer of its own, linked by metadata.
    const own = await call(plugin.processPayment(payment({ customerId: alicesStripeId }), null));
    expectSuccess(own, 'capture', '10');
    expect(own.customerId).to.match(/^cus_/).and.not.equal(alicesStripeId);
    expect(env.fake.state.account(null).customers.get(String(own.customerId))?.['metadata']).to.deep.equal({ payhost_customer_id: alicesStripeId });
  });

  it('the stored gateway customer id (data.gatewayCustomerId, as the ledger sends for a card on file) still names the Customer', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const first = await call(plugin.processPayment(payment({ customerId: 'bob' }), null));
    const again = await call(plugin.processPayment(payment({ customerId: 'bob', token: null, reuseSource: true, data: { gatewayCustomerId: first.customerId } }), null));
    expectSuccess(again, 'capture', '10');
    expect(env.fake.requestsTo('/v1/payment_intents', 'POST').at(-1)?.params).to.deep.include({ customer: first.customerId, off_session: 'true' });
  });
});
