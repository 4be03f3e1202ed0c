import { expect } from 'chai';
import Stripe from 'stripe';
import { GatewayDeclinedError, type GatewayResponse } from '@payhost/core';
import { CHANNEL, SECRET_KEY, call, dec, expectFailure, expectSuccess, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
/** A connected account of the platform that a customer controls (any Connect user can be one). */
const ATTACKER = 'acct_attacker666';

function expectAccountRefused(res: GatewayResponse, account: RegExp = /acct_attacker666/): void {
  expectFailure(res, 'processing_error', account);
  expect(res.rawResponse).to.deep.include({ code: 'account_mismatch' });
  expect(res.pspReference).to.equal(null);
}

// Audit: a token `acct_x:pi_y` chose the account the intent was read on (stripe-trusted-account-prefix).
describe('stripe: the account in a reference is checked, never trusted', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());
  /** An intent the attacker paid on their own account, with the payhost metadata they can write there. */
  const attackerIntent = async (account = ATTACKER, metadata: Record<string, string> = { payhost_channel: CHANNEL }) =>
    sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata }, { stripeAccount: account });
  const onAccount = (account: string) => env.fake.requests.filter((r) => r.account === account);

  for (const mode of ['LOCAL', 'FORWARD'] as const) {
    it(`${mode}: a pi_ token naming a connected account is refused (account_mismatch) without reading that account`, async () => {
      const paid = await attackerIntent();
      env.fake.clearLog();
      const plugin = makePlugin(env.fake, { mode, connected_account_id: PROVIDER });
      expectAccountRefused(await call(plugin.processPayment(payment({ token: `${ATTACKER}:${paid.id}` }), null)));
      expectAccountRefused(await call(plugin.authorizePayment(payment({ token: `${PROVIDER}:${paid.id}` }), null)), /acct_provider123/);
      expect(env.fake.requests).to.deep.equal([]);
      expect(env.fake.paymentIntent(paid.id)['metadata']).to.not.have.property('payhost_payment_id');
    });
  }

  it("REMOTE: a pi_ token must name the payment's connected account (data.connectedAccountId, else the configured one)", async () => {
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    const foreign = await attackerIntent();
    env.fake.clearLog();
    expectAccountRefused(await call(plugin.processPayment(payment({ token: `${ATTACKER}:${foreign.id}` }), null)));
    const other = await attackerIntent('acct_other9');
    env.fake.clearLog();
    expectAccountRefused(await call(plugin.processPayment(payment({ token: `acct_other9:${other.id}` }), null)), /acct_other9/);
    expect(env.fake.requests).to.deep.equal([]);
    // The payment's own account, in the token or not: adopted.
    const own = await attackerIntent(PROVIDER);
    expectSuccess(await call(plugin.processPayment(payment({ token: `${PROVIDER}:${own.id}` }), null)), 'capture', '10');
    const perPayment = await call(plugin.processPayment(payment({ token: `acct_other9:${other.id}`, data: { connectedAccountId: 'acct_other9' } }), null));
    expectSuccess(perPayment, 'capture', '10');
    expect(perPayment.transactionId).to.equal(`acct_other9:${other.id}`);
    expect(onAccount(ATTACKER)).to.deep.equal([]);
  });

  it("through the ledger: a customer's own intent on their connected account does not pay a REMOTE payment of the provider", async () => {
    const { manager, service } = makeLedger(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    try {
      const paid = await attackerIntent();
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: `${ATTACKER}:${paid.id}` });
      const err = await service.process({ paymentId: created.id, idempotencyKey: key() }).then(
        () => expect.fail('the foreign intent must not pay the payment'),
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      const after = await service.getPayment(created.id);
      expect(after.chargeStatus).to.equal('not-charged');
      expect(after.pspReference).to.equal(null);
      expect(onAccount(ATTACKER).filter((r) => r.path !== '/v1/payment_intents' || r.method !== 'POST')).to.deep.equal([]);
    } finally {
      await manager.close();
    }
  });

  it("follow-ups (capture, refund, void, confirm) refuse a reference on a connected account that the payment's data.connectedAccountId contradicts (REMOTE)", async () => {
    const paid = await attackerIntent(ATTACKER, {});
    env.fake.clearLog();
    const token = `${ATTACKER}:${paid.id}`;
    // The ledger's reference names the payment's account (per-payment-follow-ups.test.ts); a caller's data must agree.
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    const follow = payment({ token, idempotencyKey: key(), data: { connectedAccountId: PROVIDER } });
    expectAccountRefused(await call(plugin.capturePayment(follow, null)));
    expectAccountRefused(await call(plugin.refundPayment(follow, null)));
    expectAccountRefused(await call(plugin.voidPayment(follow, null)));
    expectAccountRefused(await call(plugin.confirmPayment(follow, null)));
    expect(env.fake.requests).to.deep.equal([]);
  });

  for (const mode of ['LOCAL', 'FORWARD'] as const) {
    it(`${mode}: a follow-up's reference on a connected account (a REMOTE charge's, before a mode change) runs on that account only`, async () => {
      // Follow-up tokens are the ledger's (the plugin's own answers), never a client's: connect-mode-change.test.ts.
      const paid = await attackerIntent(PROVIDER, {});
      env.fake.clearLog();
      const plugin = makePlugin(env.fake, { mode, connected_account_id: PROVIDER });
      expectSuccess(await call(plugin.refundPayment(payment({ token: `${PROVIDER}:${paid.id}`, idempotencyKey: key() }), null)), 'refund', '10');
      expect([...new Set(env.fake.requests.map((r) => r.account))]).to.deep.equal([PROVIDER]);
    });
  }

  it('reconciliation reads a charge only on the payment\'s account: a pi_ token on another account is refused', async () => {
    const paid = await attackerIntent(ATTACKER, { payhost_channel: CHANNEL, payhost_payment_id: 'pay-V' });
    env.fake.clearLog();
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
    const transaction = { id: 't1', paymentId: 'pay-V', kind: 'capture' as const, amount: dec('10'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-V:t1', gatewayTransactionId: null, pspReference: null, createdAt: new Date() };
    const status = await call(plugin.getTransactionStatus({ transaction, payment: payment({ paymentId: 'pay-V', token: `${ATTACKER}:${paid.id}` }) }, null));
    expect(status).to.deep.include({ isSuccess: false, pspReference: null });
    expect(status?.rawResponse).to.deep.include({ code: 'account_mismatch' });
    expect(env.fake.requests).to.deep.equal([]);
  });
});
