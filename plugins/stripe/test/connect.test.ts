import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService } from '@payhost/core';
import { readSettings, applicationFee, connectAuthorizeUrl, decodeRef, encodeRef, StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { CHANNEL, call, dec, expectFailure, expectSuccess, intentCreations, key, makeLedger, makeManager, makePlugin, payment, useFakeStripe, FIXED_FEES } from './helpers.js';

const PROVIDER = 'acct_provider123';
const FEES = { application_fee_percent: '2.5', application_fee_fixed: FIXED_FEES };

describe('stripe: Connect modes', () => {
  const env = useFakeStripe();

  it('LOCAL: everything on the platform account, no fee even when one is configured', async () => {
    const res = await call(makePlugin(env.fake, { mode: 'LOCAL', connected_account_id: PROVIDER, ...FEES }).processPayment(payment({ amount: dec('100.00') }), null));
    expectSuccess(res, 'capture', '100');
    const [req] = intentCreations(env.fake);
    expect(req?.account).to.equal(null);
    expect(req?.headers).to.not.have.property('stripe-account');
    expect(req?.params).to.not.have.any.keys('transfer_data', 'application_fee_amount');
  });

  it('FORWARD: charge on the platform, transfer_data.destination = the provider, platform fee; refunds reverse the transfer and the fee', async () => {
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, ...FEES, auto_capture: false });
    const auth = await call(plugin.processPayment(payment({ amount: dec('100.00') }), null));
    expectSuccess(auth, 'auth', '100');
    expect(auth.transactionId).to.match(/^pi_/);
    const [req] = intentCreations(env.fake);
    expect(req?.account).to.equal(null);
    expect(req?.params).to.deep.include({ transfer_data: { destination: PROVIDER }, application_fee_amount: '280' });
    const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('40.00'), idempotencyKey: key() }), null));
    expectSuccess(cap, 'capture', '40');
    // The intent's fee (280), scaled to the captured part: 280 x 40 / 100 = 112 (no longer recomputed from percent + fixed).
    expect(env.fake.requestsTo(/\/capture$/)[0]?.params).to.deep.include({ amount_to_capture: '4000', application_fee_amount: '112' });
    const ref = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('10.00'), idempotencyKey: key() }), null));
    expectSuccess(ref, 'refund', '10');
    const refund = env.fake.requestsTo('/v1/refunds', 'POST')[0];
    expect(refund?.account).to.equal(null);
    expect(refund?.params).to.deep.include({ refund_application_fee: 'true', reverse_transfer: 'true' });
  });

  it('REMOTE: direct charge on the connected account (Stripe-Account header) with the fee; follow-ups go to the same account', async () => {
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, ...FEES, auto_capture: false, store_customer: true });
    const auth = await call(plugin.processPayment(payment({ amount: dec('100.00'), customerId: 'user-r' }), null));
    expectSuccess(auth, 'auth', '100');
    expect(auth.transactionId).to.equal(`${PROVIDER}:${auth.pspReference}`);
    for (const req of env.fake.requests) expect(req.account, `${req.method} ${req.path}`).to.equal(PROVIDER);
    const [req] = intentCreations(env.fake);
    expect(req?.headers['stripe-account']).to.equal(PROVIDER);
    expect(req?.params).to.deep.include({ application_fee_amount: '280' });
    expect(req?.params).to.not.have.property('transfer_data');
    expect(env.fake.state.account(PROVIDER).customers.size).to.equal(1);
    expect(env.fake.state.account(null).paymentIntents.size).to.equal(0);

    env.fake.clearLog();
    const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('100.00'), idempotencyKey: key() }), null));
    expectSuccess(cap, 'capture', '100');
    const ref = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('30.00'), idempotencyKey: key() }), null));
    expectSuccess(ref, 'refund', '30');
    expect(ref.transactionId).to.match(new RegExp(`^${PROVIDER}:re_`));
    // The capture and the refund read the intent's fee first: every call goes to the connected account.
    expect(env.fake.requests.map((r) => `${r.method} ${r.account}`)).to.deep.equal([`GET ${PROVIDER}`, `POST ${PROVIDER}`, `GET ${PROVIDER}`, `POST ${PROVIDER}`]);
    expect(env.fake.requestsTo('/v1/refunds', 'POST')[0]?.params).to.deep.include({ refund_application_fee: 'true' });
    expect(env.fake.requestsTo('/v1/refunds', 'POST')[0]?.params).to.not.have.property('reverse_transfer');
    const sources = await call(plugin.listPaymentSources({ channel: CHANNEL, customerId: 'user-r' }, []));
    expect(sources).to.have.length(1);
  });

  it('the connected account may come with the payment (data.connectedAccountId), overriding the configuration', async () => {
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    const res = await call(plugin.processPayment(payment({ data: { connectedAccountId: 'acct_other9' } }), null));
    expect(res.transactionId).to.match(/^acct_other9:pi_/);
    expect(intentCreations(env.fake)[0]?.account).to.equal('acct_other9');
    const voided = await call(makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, auto_capture: false }).authorizePayment(payment({ data: { connectedAccountId: 'acct_other9' } }), null));
    // A follow-up runs on its reference's account (the plugin's own answer); data naming another is refused.
    expectFailure(await call(plugin.voidPayment(payment({ token: voided.transactionId, idempotencyKey: key(), data: { connectedAccountId: PROVIDER } }), null)), 'processing_error', /connected account acct_other9/);
    const cancel = await call(plugin.voidPayment(payment({ token: voided.transactionId, idempotencyKey: key() }), null));
    expectSuccess(cancel, 'void', '10');
    expect(env.fake.requestsTo(/\/cancel$/)[0]?.account).to.equal('acct_other9');
    const forward = await call(makePlugin(env.fake, { mode: 'FORWARD' }).processPayment(payment({ data: { connectedAccountId: 'acct_dest1' } }), null));
    expectSuccess(forward, 'capture', '10');
    expect(intentCreations(env.fake).at(-1)?.params['transfer_data']).to.deep.equal({ destination: 'acct_dest1' });
  });

  it('FORWARD and REMOTE without a connected account, or with a malformed one, fail before calling Stripe', async () => {
    expectFailure(await call(makePlugin(env.fake, { mode: 'FORWARD' }).processPayment(payment(), null)), 'processing_error', /needs a connected account/);
    expectFailure(await call(makePlugin(env.fake, { mode: 'REMOTE' }).processPayment(payment({ data: { connectedAccountId: 'bob' } }), null)), 'processing_error', /acct_/);
    expect(env.fake.requests).to.have.length(0);
  });

  it('getPaymentConfig gives Stripe.js the publishable key and, with Connect, the connected account (stripe_account in REMOTE)', async () => {
    const remote = await call(makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER }).getPaymentConfig({ channel: CHANNEL }, []));
    expect(remote).to.deep.include({ field: 'stripe_account', value: PROVIDER });
    expect(remote).to.deep.include({ field: 'api_key', value: 'pk_test_payhostFake' });
    expect(remote).to.deep.include({ field: 'connected_account_id', value: PROVIDER });
    const forward = await call(makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER }).getPaymentConfig({ channel: CHANNEL }, []));
    expect(forward).to.deep.include({ field: 'connect_mode', value: 'FORWARD' });
    expect(forward).to.deep.include({ field: 'connected_account_id', value: PROVIDER });
    expect(forward.map((f) => f.field)).to.not.include('stripe_account'); // FORWARD intents live on the platform
    const local = await call(makePlugin(env.fake).getPaymentConfig({ channel: CHANNEL }, []));
    expect(local.map((f) => f.field)).to.deep.equal(['api_key', 'store_customer_card']);
  });

  it('through the ledger in REMOTE mode: charge, capture and refund all on the connected account', async () => {
    const { manager, service } = makeLedger(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, auto_capture: false, ...FEES });
    try {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '50.00', currency: 'USD', token: 'pm_card_visa' });
      const auth = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(auth.transaction.gatewayTransactionId).to.match(new RegExp(`^${PROVIDER}:pi_`));
      expect(auth.payment.pspReference).to.match(/^pi_/);
      const cap = await service.capture({ paymentId: created.id, idempotencyKey: key() });
      expect(cap.payment.chargeStatus).to.equal('fully-charged');
      const ref = await service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '50.00' });
      expect(ref.payment.chargeStatus).to.equal('fully-refunded');
      expect(new Set(env.fake.requests.map((r) => r.account))).to.deep.equal(new Set([PROVIDER]));
    } finally {
      await manager.close();
    }
  });

  for (const mode of ['FORWARD', 'REMOTE'] as const) {
    it(`${mode}: a per-payment fee set at authorization survives the ledger's capture (which brings no data): kept whole, or scaled to a partial capture`, async () => {
      const { manager, service } = makeLedger(env.fake, { mode, connected_account_id: PROVIDER, ...FEES });
      try {
        const full = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'USD', token: 'pm_card_visa', action: 'authorize', data: { applicationFee: '1.00' } });
        expect(intentCreations(env.fake)[0]?.params).to.deep.include({ application_fee_amount: '100' });
        await service.capture({ paymentId: full.payment.id, idempotencyKey: key() });
        // Full capture: no fee sent, so Stripe keeps the intent's 1.00 (the configured 2.5% + 0.30 would be 2.80).
        expect(env.fake.requestsTo(/\/capture$/)[0]?.params).to.not.have.property('application_fee_amount');
        const account = mode === 'REMOTE' ? PROVIDER : null;
        const intentId = String(full.payment.pspReference);
        expect(env.fake.state.account(account).paymentIntents.get(intentId)?.['application_fee_amount']).to.equal(100);

        const part = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'USD', token: 'pm_card_visa', action: 'authorize', data: { applicationFee: '1.00' } });
        await service.capture({ paymentId: part.payment.id, idempotencyKey: key(), amount: '33.33' });
        // 100 x 3333 / 10000 = 33.33 -> 33 cents, rounded half up.
        expect(env.fake.requestsTo(/\/capture$/)[1]?.params).to.deep.include({ amount_to_capture: '3333', application_fee_amount: '33' });
      } finally {
        await manager.close();
      }
    });
  }

  it('a retried partial capture (same key, after Stripe captured) sends the same fee, so Stripe replays it instead of refusing the key', async () => {
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, ...FEES, auto_capture: false });
    const auth = await call(plugin.processPayment(payment({ amount: dec('100.00') }), null));
    const again = payment({ token: auth.transactionId, amount: dec('40.00'), idempotencyKey: key() });
    expectSuccess(await call(plugin.capturePayment(again, null)), 'capture', '40');
    expectSuccess(await call(plugin.capturePayment(again, null)), 'capture', '40');
    const captures = env.fake.requestsTo(/\/capture$/);
    expect(captures.map((r) => r.params['application_fee_amount'])).to.deep.equal(['112', '112']);
  });

  it("a crash after a charge on the payment's own connected account: a restarted service reconciles it on that account", async () => {
    const manager = makeManager(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    const store = new MemoryLedgerStore();
    const crashing = new PaymentService({
      manager,
      store,
      faults: {
        'after-gateway': () => {
          throw new Error('simulated crash');
        },
      },
    });
    try {
      const request = { idempotencyKey: key(), channel: CHANNEL, total: '30.00', currency: 'USD', token: 'pm_card_visa', data: { connectedAccountId: 'acct_other9' } };
      await crashing.pay(request).then(
        () => expect.fail('the simulated crash should reject'),
        (err: Error) => expect(err.message).to.equal('simulated crash'),
      );
      expect(intentCreations(env.fake).map((c) => c.account)).to.deep.equal(['acct_other9']);
      // A new process: only the ledger survived. The intent is not on the configured account (PROVIDER).
      const restarted = new PaymentService({ manager, store });
      const [pending] = await store.listPendingTransactions();
      const report = await restarted.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([pending?.id]);
      expect(env.fake.requestsTo('/v1/payment_intents/search').map((r) => r.account)).to.deep.equal(['acct_other9']);
      const paid = await restarted.getPayment(pending!.paymentId);
      expect(paid.chargeStatus).to.equal('fully-charged');
      expect(paid.pspReference).to.match(/^acct_other9:pi_/);
      expect(intentCreations(env.fake)).to.have.length(1);
      // The client's retry gets the reconciled outcome, without a second charge.
      expect((await restarted.pay(request)).payment.id).to.equal(paid.id);
      expect(intentCreations(env.fake)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });

  it('Connect OAuth: builds the authorize URL and exchanges the code for the account id', async () => {
    const plugin = makePlugin(env.fake, { connect_client_id: 'ca_platform1' });
    const url = new URL(plugin.connectAuthorizeUrl({ state: 'csrf-1', redirectUri: 'https://shop.example/stripe/oauth', stripeUser: { email: 'p@example.com' } }));
    expect(url.origin + url.pathname).to.equal('https://connect.stripe.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).to.deep.equal({
      response_type: 'code',
      client_id: 'ca_platform1',
      scope: 'read_write',
      state: 'csrf-1',
      redirect_uri: 'https://shop.example/stripe/oauth',
      'stripe_user[email]': 'p@example.com',
    });
    const { code, accountId } = env.fake.createOAuthCode('acct_fromOauth1');
    const connected = await plugin.connectOAuthCallback(code);
    expect(connected).to.deep.include({ accountId, livemode: false, scope: 'read_write' });
    expect(env.fake.requestsTo('/oauth/token')[0]?.params).to.deep.include({ grant_type: 'authorization_code', code });
    let error: Error | undefined;
    await plugin.connectOAuthCallback(code).catch((err: Error) => (error = err)); // codes are single-use
    expect(error?.message).to.match(/does not exist/);
    expect(() => makePlugin(env.fake).connectAuthorizeUrl({ state: 's' })).to.throw(/connect_client_id/);
  });
});

describe('stripe: application fee and references', () => {
  const settings = (values: Record<string, string>) => readSettings({ ...StripeGatewayPlugin.defaultConfiguration, ...values }, false);

  it('fee = percent (rounded half up) + fixed, in the currency\'s minor units, never above the charge', () => {
    const s = settings(FEES);
    expect(applicationFee(s, { mode: 'FORWARD' }, 10000, 'USD', { data: null })).to.equal(280);
    expect(applicationFee(s, { mode: 'REMOTE' }, 1234, 'USD', { data: null })).to.equal(61); // 30.85 -> 31, + 30
    expect(applicationFee(settings({ supported_currencies: 'JPY', application_fee_fixed: '31' }), { mode: 'REMOTE' }, 1000, 'JPY', { data: null })).to.equal(31);
    expect(applicationFee(settings({ supported_currencies: 'USD, JPY', ...FEES }), { mode: 'REMOTE' }, 1000, 'JPY', { data: null })).to.equal(55); // 25 + 30
    expect(applicationFee(settings({ application_fee_fixed: '5.00' }), { mode: 'REMOTE' }, 100, 'USD', { data: null })).to.equal(100);
    expect(applicationFee(s, { mode: 'LOCAL' }, 10000, 'USD', { data: null })).to.equal(null);
    expect(applicationFee(settings({}), { mode: 'FORWARD' }, 10000, 'USD', { data: null })).to.equal(null);
    expect(applicationFee(s, { mode: 'FORWARD' }, 10000, 'USD', { data: { applicationFee: '1.50' } })).to.equal(150);
  });

  it('a fixed fee the configuration does not give exactly for the charge\'s currency is refused (invalid_amount), never rounded nor left out', () => {
    // Only a charge outside supported_currencies can meet one: the configuration is checked against those (config.test.ts).
    const bare = settings({ application_fee_fixed: '0.30' });
    expect(() => applicationFee(bare, { mode: 'FORWARD' }, 1000, 'JPY', { data: null })).to.throw(/application_fee_fixed 0\.3 cannot be taken exactly in JPY \(Stripe takes JPY in whole units only\)/).with.property('code', 'invalid_amount');
    const listed = settings({ application_fee_fixed: 'USD 0.30' });
    expect(() => applicationFee(listed, { mode: 'REMOTE' }, 1000, 'EUR', { data: null })).to.throw(/application_fee_fixed has no amount for EUR/).with.property('code', 'invalid_amount');
    // A payment's own data.applicationFee replaces the configured fee, so it needs none.
    expect(applicationFee(listed, { mode: 'REMOTE' }, 1000, 'EUR', { data: { applicationFee: '0.50' } })).to.equal(50);
  });

  it('references carry the connected account of REMOTE objects', () => {
    expect(encodeRef(null, 'pi_1')).to.equal('pi_1');
    expect(encodeRef('acct_9', 'pi_1')).to.equal('acct_9:pi_1');
    expect(decodeRef('acct_9:pi_1')).to.deep.equal({ account: 'acct_9', id: 'pi_1' });
    expect(decodeRef('pi_1')).to.deep.equal({ account: null, id: 'pi_1' });
    expect(decodeRef('pi_1_secret_abc')).to.equal(null);
    expect(decodeRef('ch_1')).to.equal(null);
  });

  it('the authorize URL needs the Connect client id', () => {
    expect(() => connectAuthorizeUrl(settings({}), { state: 'x' })).to.throw(/connect_client_id/);
  });
});
