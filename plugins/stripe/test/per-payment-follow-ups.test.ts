import { expect } from 'chai';
import { GatewayDeclinedError, MemoryLedgerStore, PaymentService } from '@payhost/core';
import { CHANNEL, call, dec, expectFailure, expectSuccess, key, makeLedger, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

/** The channel's configured connected account. */
const PROVIDER = 'acct_provider123';
/** The connected account a payment names itself (data.connectedAccountId): a marketplace seller. */
const SELLER = 'acct_seller42';
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER };

// Follow-ups came through the ledger with the stored acct_…:pi_… reference and no data, and were refused (account_mismatch).
describe("stripe: follow-ups of a payment on its own connected account (REMOTE, data.connectedAccountId)", () => {
  const env = useFakeStripe();
  const accounts = () => [...new Set(env.fake.requests.map((r) => r.account))];

  it('through the ledger: authorize, capture, refund and void run on the payment\'s account, not the configured one', async () => {
    const { manager, service } = makeLedger(env.fake, { ...REMOTE, auto_capture: false });
    try {
      const data = { connectedAccountId: SELLER };
      const auth = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '50.00', currency: 'USD', token: 'pm_card_visa', action: 'authorize', data });
      expect(auth.transaction.gatewayTransactionId).to.match(new RegExp(`^${SELLER}:pi_`));
      const captured = await service.capture({ paymentId: auth.payment.id, idempotencyKey: key(), amount: '50.00' });
      expect(captured.payment.chargeStatus).to.equal('fully-charged');
      const refunded = await service.refund({ paymentId: auth.payment.id, idempotencyKey: key(), amount: '20.00' });
      expect(refunded.transaction.gatewayTransactionId).to.match(new RegExp(`^${SELLER}:re_`));
      expect(refunded.payment.chargeStatus).to.equal('partially-refunded');

      const other = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'USD', token: 'pm_card_visa', action: 'authorize', data });
      const voided = await service.void({ paymentId: other.payment.id, idempotencyKey: key() });
      expect(voided.transaction).to.deep.include({ kind: 'void', isSuccess: true });
      expect(voided.payment.authorizedAmount.eq(0)).to.equal(true);
      expect(accounts()).to.deep.equal([SELLER]);
      expect(env.fake.state.account(PROVIDER).paymentIntents.size).to.equal(0);
    } finally {
      await manager.close();
    }
  });

  it('through the ledger: 3-D Secure confirm runs on the payment\'s account; a contradicting data.connectedAccountId is refused', async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const processed = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '30.00', currency: 'USD', token: 'pm_card_threeDSecure2Required', data: { connectedAccountId: SELLER } });
      expect(processed.transaction).to.deep.include({ kind: 'action_to_confirm', isSuccess: true });
      expect(processed.transaction.actionRequiredData).to.deep.include({ stripeAccount: SELLER });
      const [intentId] = [...env.fake.state.account(SELLER).paymentIntents.keys()];
      env.fake.completeThreeDSecure(intentId ?? '');
      env.fake.clearLog();

      const refused = await service.confirm({ paymentId: processed.payment.id, idempotencyKey: key(), data: { connectedAccountId: 'acct_other9' } }).then(
        () => expect.fail('a confirm naming another account must be refused'),
        (err: Error) => err,
      );
      expect(refused).to.be.instanceOf(GatewayDeclinedError);
      expect(env.fake.requests).to.deep.equal([]);

      const confirmed = await service.confirm({ paymentId: processed.payment.id, idempotencyKey: key() });
      expect(confirmed.payment.chargeStatus).to.equal('fully-charged');
      const agreeing = await service.refund({ paymentId: processed.payment.id, idempotencyKey: key(), amount: '1.00' });
      expect(agreeing.transaction.isSuccess).to.equal(true);
      expect(accounts()).to.deep.equal([SELLER]);
    } finally {
      await manager.close();
    }
  });

  it("the plugin's follow-ups: the reference's account, and data.connectedAccountId may only agree with it", async () => {
    const plugin = makePlugin(env.fake, { ...REMOTE, auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ data: { connectedAccountId: SELLER } }), null));
    env.fake.clearLog();
    const mismatch = await call(plugin.capturePayment(payment({ token: auth.transactionId, idempotencyKey: key(), data: { connectedAccountId: PROVIDER } }), null));
    expectFailure(mismatch, 'processing_error', new RegExp(`${SELLER}.*${PROVIDER}`));
    expect(mismatch.rawResponse).to.deep.include({ code: 'account_mismatch' });
    expect(env.fake.requests).to.deep.equal([]);
    // Without data (as the ledger calls it) and with data that agrees: the reference's account.
    expectSuccess(await call(plugin.capturePayment(payment({ token: auth.transactionId, idempotencyKey: key() }), null)), 'capture', '10');
    expectSuccess(await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: dec('3.00'), idempotencyKey: key(), data: { connectedAccountId: SELLER } }), null)), 'refund', '3');
    expect(accounts()).to.deep.equal([SELLER]);
  });

  it('a capture whose answer was lost is reconciled on the payment\'s account', async () => {
    const manager = makeManager(env.fake, { ...REMOTE, auto_capture: false });
    const store = new MemoryLedgerStore();
    let crash = false;
    const crashing = new PaymentService({
      manager,
      store,
      faults: {
        'after-gateway': () => {
          if (crash) throw new Error('simulated crash');
        },
      },
    });
    try {
      const auth = await crashing.pay({ idempotencyKey: key(), channel: CHANNEL, total: '25.00', currency: 'USD', token: 'pm_card_visa', action: 'authorize', data: { connectedAccountId: SELLER } });
      crash = true;
      await crashing.capture({ paymentId: auth.payment.id, idempotencyKey: key() }).then(
        () => expect.fail('the simulated crash should reject'),
        (err: Error) => expect(err.message).to.equal('simulated crash'),
      );
      env.fake.clearLog();
      const report = await new PaymentService({ manager, store }).reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(1);
      expect((await store.getPayment(auth.payment.id))?.chargeStatus).to.equal('fully-charged');
      expect(accounts()).to.deep.equal([SELLER]);
    } finally {
      await manager.close();
    }
  });
});
