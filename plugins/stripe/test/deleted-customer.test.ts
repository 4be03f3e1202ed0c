import { expect } from 'chai';
import Stripe from 'stripe';
import { SECRET_KEY, call, dec, expectFailure, expectSuccess, intentCreations, makePlugin, payment, useFakeStripe } from './helpers.js';

/**
 * A Stripe Customer the plugin cached (host customer -> cus_) deleted at
 * Stripe (Dashboard): Stripe answers "No such customer" (resource_missing,
 * param customer). The cache entry is dropped and the customer looked up
 * again once, when no PaymentIntent can have been created.
 */
describe('stripe: a cached Customer deleted at Stripe', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());

  it('store_customer: the refused intent (No such customer) is followed by a new Customer and the charge', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const first = await call(plugin.processPayment(payment({ customerId: 'user-del' }), null));
    expectSuccess(first, 'capture', '10');
    const gone = first.customerId as string;
    await sdk().customers.del(gone);
    env.fake.clearLog();

    const p = payment({ customerId: 'user-del', token: 'pm_card_mastercard' });
    const res = await call(plugin.processPayment(p, null));
    expectSuccess(res, 'capture', '10');
    expect(res.customerId).to.match(/^cus_/).and.not.equal(gone);
    const intents = intentCreations(env.fake);
    expect(intents.map((r) => r.params['customer'])).to.deep.equal([gone, res.customerId]);
    expect(intents[0]?.status).to.be.within(400, 404);
    // The retry carries another customer: a key derived from the ledger's, not the ledger's reused with other parameters.
    expect(intents[1]?.idempotencyKey).to.equal(`${p.idempotencyKey}#customer-gone`);
    // The creation key names the deleted Customer: the first creation's key would replay it for 24 hours.
    const created = env.fake.requestsTo('/v1/customers', 'POST');
    expect(created.map((r) => [r.idempotencyKey, r.replayed])).to.deep.equal([[`payhost:customer:platform:user-del:replacing:${gone}`, false]]);
    // Cached: the next payment goes straight to the new Customer.
    env.fake.clearLog();
    const next = await call(plugin.processPayment(payment({ customerId: 'user-del' }), null));
    expect(next.customerId).to.equal(res.customerId);
    expect(intentCreations(env.fake)).to.have.length(1);
  });

  it('another process, in the same minute: the same new Customer (the replacing creation is keyed, the search lags)', async () => {
    env.fake.setSearchIndexDelay(60 * 60 * 1000);
    const a = makePlugin(env.fake, { store_customer: true });
    const b = makePlugin(env.fake, { store_customer: true });
    const first = await call(a.processPayment(payment({ customerId: 'user-two' }), null));
    await call(b.processPayment(payment({ customerId: 'user-two' }), null)); // b caches it too (creation replayed)
    await sdk().customers.del(first.customerId as string);
    const ra = await call(a.processPayment(payment({ customerId: 'user-two' }), null));
    const rb = await call(b.processPayment(payment({ customerId: 'user-two' }), null));
    expectSuccess(ra, 'capture', '10');
    expectSuccess(rb, 'capture', '10');
    expect(rb.customerId).to.equal(ra.customerId).and.not.equal(first.customerId);
  });

  it('reuseSource: a saved-card list refused for the cached Customer finds the host customer\'s current Customer and charges its card', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const first = await call(plugin.processPayment(payment({ customerId: 'user-reuse' }), null));
    const gone = first.customerId as string;
    await sdk().customers.del(gone);
    const current = await sdk().customers.create({ metadata: { payhost_customer_id: 'user-reuse' }, payment_method: 'pm_card_mastercard' });
    env.fake.clearLog();

    const res = await call(plugin.processPayment(payment({ customerId: 'user-reuse', token: null, reuseSource: true }), null));
    expectSuccess(res, 'capture', '10');
    expect(res.customerId).to.equal(current.id);
    expect(intentCreations(env.fake).map((r) => [r.params['customer'], r.params['off_session']])).to.deep.equal([[current.id, 'true']]);
  });

  it('a token payment naming the host customer (no store_customer): charged without the deleted Customer', async () => {
    const plugin = makePlugin(env.fake);
    const first = await call(plugin.processPayment(payment({ customerId: 'user-plain', data: { storePaymentMethod: true } }), null));
    const gone = first.customerId as string;
    await sdk().customers.del(gone);
    env.fake.clearLog();
    // Same plugin (same cache); this payment does not store the card, so no Customer is created for it.
    const res = await call(plugin.processPayment(payment({ customerId: 'user-plain' }), null));
    expectSuccess(res, 'capture', '10');
    expect(intentCreations(env.fake).map((r) => r.params['customer'] ?? null)).to.deep.equal([gone, null]);
    expect(env.fake.requestsTo('/v1/customers', 'POST')).to.have.length(0);
  });

  it('no second lookup for a Customer the payment names itself (data.gatewayCustomerId): the refusal stands', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const first = await call(plugin.processPayment(payment({ customerId: 'user-explicit' }), null));
    const gone = first.customerId as string;
    await sdk().customers.del(gone);
    env.fake.clearLog();
    const res = await call(plugin.processPayment(payment({ customerId: 'user-explicit', data: { gatewayCustomerId: gone } }), null));
    expectFailure(res, 'processing_error', /No such customer/);
    expect(intentCreations(env.fake)).to.have.length(1);
    expect(env.fake.requestsTo('/v1/customers', 'POST')).to.have.length(0);
  });

  it('a 5xx on the intent request with the cached Customer is not retried with another one (the intent may exist)', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    await call(plugin.processPayment(payment({ customerId: 'user-5xx' }), null));
    env.fake.clearLog();
    env.fake.failNext({ method: 'POST', path: '/v1/payment_intents', status: 500, afterProcessing: true });
    const res = await call(plugin.processPayment(payment({ customerId: 'user-5xx' }), null));
    expect(res.isSuccess).to.equal(false);
    expect(res.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(intentCreations(env.fake)).to.have.length(1);
  });

  describe('getClientToken (the Stripe.js checkout)', () => {
    const withAmount = { amount: dec('10.00'), currency: 'USD' };

    /** The Customer the client secret's intent (PaymentIntent or SetupIntent) carries, checked live at Stripe. */
    async function liveCustomerOf(secret: string): Promise<string> {
      const id = secret.split('_secret_')[0] ?? '';
      const intent = id.startsWith('seti_') ? await sdk().setupIntents.retrieve(id) : await sdk().paymentIntents.retrieve(id);
      const customer = intent.customer as string;
      expect(customer).to.match(/^cus_/);
      expect(await sdk().customers.retrieve(customer)).to.not.have.property('deleted');
      return customer;
    }

    for (const [what, amount] of [['a PaymentIntent (an amount)', withAmount], ['a SetupIntent (no amount)', {}]] as const) {
      it(`same process: ${what} is issued for a new Customer, under <data.idempotencyKey>#customer-gone`, async () => {
        const plugin = makePlugin(env.fake, { store_customer: true });
        const first = await call(plugin.processPayment(payment({ customerId: 'user-gct' }), null));
        const gone = first.customerId as string;
        await sdk().customers.del(gone);
        env.fake.clearLog();

        const secret = await call(plugin.getClientToken({ ...amount, customerId: 'user-gct', data: { idempotencyKey: 'tok-1' } }, null));
        const customer = await liveCustomerOf(secret);
        expect(customer).to.not.equal(gone);
        const path = 'amount' in amount ? '/v1/payment_intents' : '/v1/setup_intents';
        expect(env.fake.requestsTo(path, 'POST').map((r) => [r.params['customer'], r.idempotencyKey])).to.deep.equal([
          [gone, 'tok-1'],
          [customer, 'tok-1#customer-gone'],
        ]);
        expect(env.fake.requestsTo('/v1/customers', 'POST').map((r) => r.idempotencyKey)).to.deep.equal([`payhost:customer:platform:user-gct:replacing:${gone}`]);
        // Cached: the next token goes straight to the new Customer.
        env.fake.clearLog();
        expect(await liveCustomerOf(await call(plugin.getClientToken({ ...amount, customerId: 'user-gct' }, null)))).to.equal(customer);
        expect(env.fake.requestsTo(path, 'POST')).to.have.length(1);
      });

      it(`a restarted process within 24 hours: ${what} is not issued for the deleted Customer the creation key replays`, async () => {
        const before = makePlugin(env.fake, { store_customer: true });
        const gone = await liveCustomerOf(await call(before.getClientToken({ ...amount, customerId: 'user-restart' }, null)));
        await sdk().customers.del(gone);
        env.fake.clearLog();

        const fresh = makePlugin(env.fake, { store_customer: true });
        const customer = await liveCustomerOf(await call(fresh.getClientToken({ ...amount, customerId: 'user-restart' }, null)));
        expect(customer).to.not.equal(gone);
        // The plain key replays the deleted Customer: read, found deleted, replaced under the key naming it.
        expect(env.fake.requestsTo('/v1/customers', 'POST').map((r) => [r.idempotencyKey, r.replayed])).to.deep.equal([
          ['payhost:customer:platform:user-restart', true],
          [`payhost:customer:platform:user-restart:replacing:${gone}`, false],
        ]);
        // The intent was asked for once, with the live Customer.
        const path = 'amount' in amount ? '/v1/payment_intents' : '/v1/setup_intents';
        expect(env.fake.requestsTo(path, 'POST').map((r) => r.params['customer'])).to.deep.equal([customer]);
      });
    }

    it('a restarted process, its read of the replayed Customer failing: the refused intent is asked for again with a new Customer', async () => {
      const before = makePlugin(env.fake, { store_customer: true });
      const gone = await liveCustomerOf(await call(before.getClientToken({ ...withAmount, customerId: 'user-read' }, null)));
      await sdk().customers.del(gone);
      env.fake.clearLog();
      env.fake.failNext({ method: 'GET', path: `/v1/customers/${gone}`, status: 500 });

      const fresh = makePlugin(env.fake, { store_customer: true });
      const customer = await liveCustomerOf(await call(fresh.getClientToken({ ...withAmount, customerId: 'user-read' }, null)));
      expect(customer).to.not.equal(gone);
      expect(env.fake.requestsTo('/v1/payment_intents', 'POST').map((r) => r.params['customer'])).to.deep.equal([gone, customer]);
    });

    it('a store_customer charge after a restart: its Customer is the live one, not the replayed deleted one', async () => {
      const before = makePlugin(env.fake, { store_customer: true });
      const gone = (await call(before.processPayment(payment({ customerId: 'user-charge' }), null))).customerId as string;
      await sdk().customers.del(gone);
      env.fake.clearLog();
      const res = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-charge' }), null));
      expectSuccess(res, 'capture', '10');
      expect(res.customerId).to.match(/^cus_/).and.not.equal(gone);
      expect(intentCreations(env.fake).map((r) => r.params['customer'])).to.deep.equal([res.customerId]);
    });
  });
});
