import { expect } from 'chai';
import { GatewayDeclinedError, PluginManager, isPayhostError, silentLogger } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { CHANNEL, GATEWAY, call, config, expectFailure, expectSuccess, intentCreations, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
const SELLER_A = 'acct_sellerA1';
const SELLER_B = 'acct_sellerB2';
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER, store_customer: true };

// Core keeps one gateway customer per customer, channel and gateway: a card saved on seller A came back for seller B ("No such customer").
describe('stripe: saved customers with per-payment connected accounts (REMOTE)', () => {
  const env = useFakeStripe();

  it('the customer id handed to the ledger names its account (acct_…:cus_…); a reuse on that account charges it', async () => {
    const plugin = makePlugin(env.fake, REMOTE);
    const saved = await call(plugin.processPayment(payment({ customerId: 'user-1', data: { connectedAccountId: SELLER_A } }), null));
    expect(saved.customerId).to.match(new RegExp(`^${SELLER_A}:cus_`));
    const stripeId = String(saved.customerId).split(':')[1];
    expect(env.fake.state.account(SELLER_A).customers.has(stripeId ?? '')).to.equal(true);
    const onConfigured = await call(plugin.processPayment(payment({ customerId: 'user-2' }), null));
    expect(onConfigured.customerId).to.match(new RegExp(`^${PROVIDER}:cus_`));

    env.fake.clearLog();
    const reused = await call(plugin.processPayment(payment({ customerId: 'user-1', token: null, reuseSource: true, data: { connectedAccountId: SELLER_A, gatewayCustomerId: saved.customerId } }), null));
    expectSuccess(reused, 'capture', '10');
    expect(intentCreations(env.fake).at(-1)?.params).to.deep.include({ customer: stripeId, off_session: 'true' });
    expect(new Set(env.fake.requests.map((r) => r.account))).to.deep.equal(new Set([SELLER_A]));
  });

  it('a reuse on another account fails with customer_account_mismatch before any Stripe call', async () => {
    const plugin = makePlugin(env.fake, REMOTE);
    const saved = await call(plugin.processPayment(payment({ customerId: 'user-3', data: { connectedAccountId: SELLER_A } }), null));
    env.fake.clearLog();
    const reuse = payment({ customerId: 'user-3', token: null, reuseSource: true, data: { connectedAccountId: SELLER_B, gatewayCustomerId: saved.customerId } });
    const refused = await call(plugin.processPayment(reuse, null));
    expectFailure(refused, 'processing_error', new RegExp(`saved card belongs to another connected account \\(${SELLER_A}\\).*${SELLER_B}`));
    expect(refused.rawResponse).to.deep.include({ code: 'customer_account_mismatch' });
    // The configured account is "another account" too, and so is the platform (LOCAL, FORWARD).
    const { connectedAccountId: _b, ...onConfigured } = reuse.data ?? {};
    expect((await call(plugin.processPayment({ ...reuse, data: onConfigured }, null))).rawResponse).to.deep.include({ code: 'customer_account_mismatch' });
    for (const mode of ['LOCAL', 'FORWARD']) {
      const res = await call(makePlugin(env.fake, { ...REMOTE, mode }).processPayment(reuse, null));
      expectFailure(res, 'processing_error', /another connected account/);
      expect(res.rawResponse).to.deep.include({ code: 'customer_account_mismatch' });
    }
    expect(env.fake.requests).to.deep.equal([]);
  });

  it('a plain cus_ id stored before still works on whichever account the payment is', async () => {
    const plugin = makePlugin(env.fake, REMOTE);
    const saved = await call(plugin.processPayment(payment({ customerId: 'user-4', data: { connectedAccountId: SELLER_A } }), null));
    const plain = String(saved.customerId).split(':')[1];
    const reused = await call(plugin.processPayment(payment({ customerId: 'user-4', token: null, reuseSource: true, data: { connectedAccountId: SELLER_A, gatewayCustomerId: plain } }), null));
    expectSuccess(reused, 'capture', '10');
    expect(intentCreations(env.fake).at(-1)?.params).to.deep.include({ customer: plain, off_session: 'true' });
  });

  it('through the ledger: the stored card of seller A is refused for a payment on seller B, with the typed code', async () => {
    const { manager, service, store } = makeLedger(env.fake, REMOTE);
    try {
      const first = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '20.00', currency: 'USD', token: 'pm_card_visa', customerId: 'user-5', data: { connectedAccountId: SELLER_A } });
      const account = await store.transaction((tx) => tx.getCustomerAccount('user-5', CHANNEL, GATEWAY));
      expect(account?.gatewayCustomerId).to.equal(first.transaction.customerId).and.match(new RegExp(`^${SELLER_A}:cus_`));
      env.fake.clearLog();

      const err = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'USD', customerId: 'user-5', data: { connectedAccountId: SELLER_B } }).then(
        () => expect.fail('a card saved on seller A must not be charged for seller B'),
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      expect(err.message).to.match(/saved card belongs to another connected account/);
      const { paymentId } = (err as GatewayDeclinedError).details as { paymentId: string };
      const [failed] = await service.listTransactions(paymentId);
      expect(failed).to.deep.include({ isSuccess: false, errorCode: 'processing_error' });
      expect(failed?.rawResponse).to.deep.include({ code: 'customer_account_mismatch' });
      expect(env.fake.requests).to.deep.equal([]);

      const again = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'USD', customerId: 'user-5', data: { connectedAccountId: SELLER_A } });
      expect(again.payment.chargeStatus).to.equal('fully-charged');
    } finally {
      await manager.close();
    }
  });

  it('getClientToken for a customer saved on another account throws customer_account_mismatch before any Stripe call', async () => {
    // The manager logs a plugin's refusal at error level: kept out of the test output.
    const manager = new PluginManager({ plugins: [StripeGatewayPlugin], logger: silentLogger(), config: { channels: [{ slug: CHANNEL, currencies: ['USD'], plugins: { [GATEWAY]: { active: true, configuration: config(env.fake, REMOTE) } } }] } });
    try {
      const err = await manager
        .getClientToken({ channel: CHANNEL, gateway: GATEWAY, customerId: 'user-6', data: { connectedAccountId: SELLER_B, gatewayCustomerId: `${SELLER_A}:cus_abc` } })
        .then(() => expect.fail('expected a refusal'), (e: unknown) => e);
      expect(isPayhostError(err) && err.code === 'customer_account_mismatch', String(err)).to.equal(true);
      expect((err as Error).message).to.match(/another connected account/);
      expect(env.fake.requests).to.deep.equal([]);
    } finally {
      await manager.close();
    }
  });
});
