import { expect } from 'chai';
import Stripe from 'stripe';
import { PluginManager } from '@payhost/core';
import { StripeGatewayPlugin, type StripeHooks } from '@payhost/plugin-stripe';
import { CHANNEL, CURRENCIES, GATEWAY, SECRET_KEY, call, config, expectFailure, expectSuccess, intentCreations, key, makeLedger, makePlugin, payment, useFakeStripe, RETURN_URL } from './helpers.js';

describe('stripe: saved cards', () => {
  const env = useFakeStripe();
  const customers = () => [...env.fake.state.account(null).customers.values()];

  it('store_customer: creates a Customer (keyed on the host customer), names it, and saves the card with setup_future_usage', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const p = payment({ customerId: 'user-1', billing: { firstName: 'Ada', lastName: 'Lovelace' } as never });
    const res = await call(plugin.processPayment(p, null));
    expectSuccess(res, 'capture', '10');
    expect(res.customerId).to.match(/^cus_/);
    const created = env.fake.requestsTo('/v1/customers', 'POST')[0];
    // One key per host customer, and a body that depends on nothing else: Stripe replays it to any other creation.
    expect(created?.idempotencyKey).to.equal('payhost:customer:platform:user-1');
    expect(created?.params).to.deep.equal({ metadata: { payhost_customer_id: 'user-1' } });
    const named = env.fake.requestsTo(`/v1/customers/${res.customerId}`, 'POST')[0];
    expect(named?.idempotencyKey).to.equal(`${p.idempotencyKey}#customer`);
    expect(named?.params).to.deep.equal({ email: 'buyer@example.com', name: 'Ada Lovelace' });
    expect(env.fake.state.account(null).customers.get(res.customerId ?? '')).to.deep.include({ email: 'buyer@example.com', name: 'Ada Lovelace' });
    expect(intentCreations(env.fake)[0]?.params).to.deep.include({ customer: res.customerId, setup_future_usage: 'off_session' });
    const saved = [...env.fake.state.account(null).paymentMethods.values()].filter((pm) => pm['customer'] === res.customerId);
    expect(saved).to.have.length(1);
  });

  it('reuses the Customer for the next payment (one Customer per host customer)', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const first = await call(plugin.processPayment(payment({ customerId: 'user-2' }), null));
    const fresh = makePlugin(env.fake, { store_customer: true }); // empty cache: found by searching the metadata
    const second = await call(fresh.processPayment(payment({ customerId: 'user-2', token: 'pm_card_mastercard' }), null));
    expect(second.customerId).to.equal(first.customerId);
    expect(customers()).to.have.length(1);
    expect(env.fake.requestsTo('/v1/customers/search', 'GET')[0]?.params).to.deep.include({ query: "metadata['payhost_customer_id']:'user-2'" });
  });

  it('two payments of one new customer while Stripe\'s search lags (two processes): one Customer, both cards on it', async () => {
    env.fake.setSearchIndexDelay(60 * 60 * 1000); // an outage: the index is an hour behind
    const first = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-lag' }), null));
    const second = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-lag', token: 'pm_card_mastercard', customerEmail: 'other@example.com' }), null));
    expect(second.customerId).to.equal(first.customerId);
    expect(customers()).to.have.length(1);
    const creations = env.fake.requestsTo('/v1/customers', 'POST');
    expect(creations.map((r) => [r.idempotencyKey, r.replayed])).to.deep.equal([
      ['payhost:customer:platform:user-lag', false],
      ['payhost:customer:platform:user-lag', true],
    ]);
    const cards = [...env.fake.state.account(null).paymentMethods.values()].filter((pm) => pm['customer'] === first.customerId);
    expect(cards).to.have.length(2);
    expect(await call(makePlugin(env.fake, { store_customer: true }).listPaymentSources({ channel: CHANNEL, customerId: 'user-lag' }, []))).to.have.length(0); // search still lags

    // A day later the key may be gone, but the search has long caught up: found, not created again.
    env.fake.advanceClock(25 * 60 * 60 * 1000);
    const later = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-lag' }), null));
    expect(later.customerId).to.equal(first.customerId);
    expect(env.fake.requestsTo('/v1/customers', 'POST')).to.have.length(2);
  });

  it('a creation Stripe refuses with idempotency_error (the key was used with another body): the Customer is searched for again', async () => {
    const sdk = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    const other = await sdk.customers.create({ email: 'x@example.com', metadata: { payhost_customer_id: 'user-conflict' } }, { idempotencyKey: 'payhost:customer:platform:user-conflict' });
    // The first search misses (the index lags), the second finds it.
    env.fake.failNext({ status: 200, path: '/v1/customers/search', body: { object: 'search_result', data: [], has_more: false, next_page: null, url: '/v1/customers/search' } });
    const res = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-conflict' }), null));
    expectSuccess(res, 'capture', '10');
    expect(res.customerId).to.equal(other.id);
    expect(env.fake.requestsTo('/v1/customers', 'POST').at(-1)?.status).to.equal(400);
    expect(env.fake.requestsTo('/v1/customers/search')).to.have.length(2);
    expect(customers()).to.have.length(1);

    // Still not searchable: the payment fails before any charge, rather than charge without the card being saved.
    env.fake.setSearchIndexDelay(60 * 60 * 1000);
    await sdk.customers.create({ email: 'y@example.com', metadata: { payhost_customer_id: 'user-hidden' } }, { idempotencyKey: 'payhost:customer:platform:user-hidden' });
    const refused = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-hidden' }), null));
    expectFailure(refused, 'processing_error', /idempotency key was used with other parameters/);
    expect(intentCreations(env.fake)).to.have.length(1);
  });

  it('a payment asks to store the card with data.storePaymentMethod even when store_customer is off', async () => {
    const res = await call(makePlugin(env.fake).processPayment(payment({ customerId: 'user-3', data: { storePaymentMethod: true } }), null));
    expect(res.customerId).to.match(/^cus_/);
    expect(intentCreations(env.fake)[0]?.params['setup_future_usage']).to.equal('off_session');
  });

  it('listPaymentSources returns the saved cards as CreditCardInfo; deletePaymentSource detaches one', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    await call(plugin.processPayment(payment({ customerId: 'user-4' }), null));
    await call(plugin.processPayment(payment({ customerId: 'user-4', token: 'pm_card_mastercard' }), null));
    const sources = await call(plugin.listPaymentSources({ channel: CHANNEL, customerId: 'user-4' }, []));
    expect(sources).to.have.length(2);
    expect(sources.map((s) => s.creditCardInfo?.last4).sort()).to.deep.equal(['4242', '4444']);
    expect(sources[0]).to.deep.include({ gateway: GATEWAY });
    expect(sources[0]?.creditCardInfo).to.have.keys(['last4', 'expMonth', 'expYear', 'brand', 'nameOnCard']);
    expect(await call(plugin.listPaymentSources({ channel: CHANNEL, customerId: 'nobody' }, []))).to.deep.equal([]);

    const manager = new PluginManager<StripeHooks>({
      plugins: [StripeGatewayPlugin],
      config: { channels: [{ slug: CHANNEL, currencies: CURRENCIES, plugins: { [GATEWAY]: { active: true, configuration: config(env.fake) } } }] },
    });
    try {
      const target = sources[0]?.id ?? '';
      expect(await manager.runHook(CHANNEL, 'deletePaymentSource', { channel: CHANNEL, customerId: 'someone-else', paymentSourceId: target }, false)).to.equal(false);
      expect(await manager.runHook(CHANNEL, 'deletePaymentSource', { channel: CHANNEL, customerId: 'user-4', paymentSourceId: target }, false)).to.equal(true);
      const left = await manager.listPaymentSources({ channel: CHANNEL, customerId: 'user-4', gateway: GATEWAY });
      expect(left.map((s) => s.id)).to.deep.equal([sources[1]?.id]);
    } finally {
      await manager.close();
    }
  });

  it('reuseSource charges the saved card off-session', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true, require_3d_secure: true });
    const saved = await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'user-5' }), null));
    env.fake.clearLog();
    const res = await call(plugin.processPayment(payment({ customerId: 'user-5', token: null, reuseSource: true, data: { gatewayCustomerId: saved.customerId } }), null));
    expectSuccess(res, 'capture', '10');
    const last = intentCreations(env.fake).at(-1);
    expect(last?.params).to.deep.include({ customer: saved.customerId, off_session: 'true', confirm: 'true' });
    expect(last?.params['payment_method']).to.match(/^pm_/).and.not.equal('pm_card_visa');
    expect(last?.params).to.not.have.property('payment_method_options'); // no 3DS off-session: nobody is there to authenticate
    expect(env.fake.requestsTo('/v1/customers/search')).to.have.length(0); // the ledger's data.gatewayCustomerId named it
  });

  it('reuse without a saved card fails with the seed\'s message; a saved card that needs 3DS is declined off-session', async () => {
    const plugin = makePlugin(env.fake, { store_customer: true });
    const none = await call(plugin.processPayment(payment({ customerId: 'user-6', token: null, reuseSource: true }), null));
    expectFailure(none, 'processing_error', /^user-6 is not associated to an account on the processor and no token was passed\.$/);
    const first = await call(plugin.processPayment(payment({ customerId: 'user-7', token: 'pm_card_authenticationRequired' }), null));
    env.fake.completeThreeDSecure(first.pspReference ?? '');
    const off = await call(plugin.processPayment(payment({ customerId: 'user-7', token: null, reuseSource: true }), null));
    expectFailure(off, 'declined', /requires authentication/);
    expect((off.rawResponse?.['error'] as Record<string, unknown>)['decline_code']).to.equal('authentication_required');
  });

  it('getClientToken without an amount: a SetupIntent client secret for saving a card; with one, a PaymentIntent', async () => {
    const plugin = makePlugin(env.fake, { auto_capture: false });
    const setupSecret = await call(plugin.getClientToken({ customerId: 'user-8' }, null));
    expect(setupSecret).to.match(/^seti_.+_secret_/);
    const setup = env.fake.requestsTo('/v1/setup_intents', 'POST')[0];
    expect(setup?.params).to.deep.include({ usage: 'off_session', customer: customers()[0]?.['id'] });

    const secret = await call(plugin.getClientToken({ amount: payment().amount, currency: 'USD', data: { idempotencyKey: 'token-1' } }, null));
    expect(secret).to.match(/^pi_.+_secret_/);
    const created = intentCreations(env.fake)[0];
    expect(created?.params).to.deep.include({ amount: '1000', currency: 'usd', capture_method: 'manual' });
    expect(created?.params).to.not.have.property('confirm');
    expect(created?.idempotencyKey).to.equal('token-1');

    // The browser (Stripe.js) confirms it with the card; the host then processes the intent id.
    const intentId = secret.split('_secret_')[0] ?? '';
    const browser = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    await browser.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
    const adopting = payment({ token: intentId });
    const res = await call(plugin.processPayment(adopting, null));
    expectSuccess(res, 'auth', '10');
    expect(res.transactionAlreadyProcessed).to.equal(true);
    const wrongAmount = await call(plugin.processPayment({ ...adopting, amount: adopting.amount.plus(1), idempotencyKey: key() }, null));
    expectFailure(wrongAmount, 'processing_error', /is for 1000 usd/);
  });

  it('a card saved through a SetupIntent (3DS on setup) is charged off-session without authentication', async () => {
    const plugin = makePlugin(env.fake);
    const secret = await call(plugin.getClientToken({ customerId: 'user-9' }, null));
    const setupId = secret.split('_secret_')[0] ?? '';
    const browser = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    const confirmed = await browser.setupIntents.confirm(setupId, { payment_method: 'pm_card_authenticationRequiredOnSetup' });
    expect(confirmed.status).to.equal('requires_action');
    env.fake.completeThreeDSecure(setupId);
    const sources = await call(plugin.listPaymentSources({ channel: CHANNEL, customerId: 'user-9' }, []));
    expect(sources.map((s) => s.creditCardInfo?.last4)).to.deep.equal(['3155']);
    const res = await call(plugin.processPayment(payment({ customerId: 'user-9', token: null, reuseSource: true }), null));
    expectSuccess(res, 'capture', '10');
  });

  it('through the ledger: the first payment saves the card and the account; the next one reuses it off-session', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const first = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '20.00', currency: 'USD', token: 'pm_card_visa', customerId: 'user-10', customerEmail: 'u10@example.com', storePaymentMethod: true });
      const paid = await service.process({ paymentId: first.id, idempotencyKey: key() });
      expect(paid.transaction.customerId).to.match(/^cus_/);
      const second = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'USD', customerId: 'user-10' });
      const reused = await service.process({ paymentId: second.id, idempotencyKey: key() });
      expect(reused.payment.chargeStatus).to.equal('fully-charged');
      expect(intentCreations(env.fake).at(-1)?.params).to.deep.include({ customer: paid.transaction.customerId, off_session: 'true' });
    } finally {
      await manager.close();
    }
  });
});
