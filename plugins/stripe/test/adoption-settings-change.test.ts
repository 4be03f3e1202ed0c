import { expect } from 'chai';
import Stripe from 'stripe';
import { MemoryLedgerStore, PaymentService, type PluginManager } from '@payhost/core';
import { CHANNEL, SECRET_KEY, RETURN_URL, call, dec, expectSuccess, key, makeManager, makePlugin, payment, useFakeStripe, FIXED_FEES } from './helpers.js';

const PROVIDER_A = 'acct_providerA1';
const PROVIDER_B = 'acct_providerB2';
const BEFORE = { mode: 'FORWARD', connected_account_id: PROVIDER_A, application_fee_percent: '2.5', application_fee_fixed: FIXED_FEES };

// Money review: a client-token intent adopted by a charge whose answer was lost was recorded as a failed capture
// once the fee or the connected account was configured otherwise (its terms were checked against the new settings).
describe('stripe: an adopted intent after a Connect setting changed', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());

  /** A 100.00 USD client-token intent (terms of BEFORE: fee 280, to provider A) confirmed in the browser. */
  const confirmedIntent = async (data: Record<string, unknown> = {}): Promise<string> => {
    const secret = await call(makePlugin(env.fake, BEFORE).getClientToken({ amount: dec('100.00'), currency: 'USD', data }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await sdk().paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
    return id;
  };

  /** createPayment with the pi_ token, then process under BEFORE, crashing once the plugin answered (the answer is lost). */
  const processLost = async (ledger: MemoryLedgerStore, intentId: string): Promise<string> => {
    const before = makeManager(env.fake, BEFORE);
    try {
      const crashing = new PaymentService({ manager: before, store: ledger, faults: { 'after-gateway': () => Promise.reject(new Error('simulated crash')) } });
      const created = await crashing.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'USD', token: intentId });
      const lost = await crashing.process({ paymentId: created.id, idempotencyKey: key() }).then(
        () => null,
        (err: Error) => err.message,
      );
      expect(lost).to.equal('simulated crash');
      return created.id;
    } finally {
      await before.close();
    }
  };

  const reconcileWith = async (ledger: MemoryLedgerStore, manager: PluginManager) => {
    try {
      return await new PaymentService({ manager, store: ledger }).reconcile({ minAgeMs: 0 });
    } finally {
      await manager.close();
    }
  };

  const expectCaptured = async (ledger: MemoryLedgerStore, paymentId: string, intentId: string) => {
    const paid = await ledger.getPayment(paymentId);
    expect(paid?.chargeStatus).to.equal('fully-charged');
    expect(paid?.capturedAmount.eq('100')).to.equal(true);
    expect(paid?.pspReference).to.equal(intentId);
    const transactions = await ledger.listTransactions(paymentId);
    expect(transactions.map((t) => [t.kind, t.state, t.isSuccess, t.amount.toString()])).to.deep.equal([['capture', 'applied', true, '100']]);
  };

  for (const [change, after] of [
    ['application_fee_percent', { ...BEFORE, application_fee_percent: '3' }],
    ['connected_account_id', { ...BEFORE, connected_account_id: PROVIDER_B }],
  ] as const) {
    it(`reconciliation records the capture the lost process call made, after ${change} changed`, async () => {
      const ledger = new MemoryLedgerStore();
      const intentId = await confirmedIntent();
      const paymentId = await processLost(ledger, intentId);
      const [pending] = await ledger.listPendingTransactions();
      // Stripe holds the money for this payment: the intent succeeded and was bound to it by that call.
      expect(env.fake.paymentIntent(intentId)).to.deep.include({ status: 'succeeded', amount_received: 10000, application_fee_amount: 280 });
      expect(env.fake.paymentIntent(intentId)['metadata']).to.deep.include({ payhost_payment_id: paymentId, payhost_idempotency_key: pending?.gatewayIdempotencyKey });

      const report = await reconcileWith(ledger, makeManager(env.fake, after));
      expect(report.applied).to.deep.equal([pending?.id]);
      await expectCaptured(ledger, paymentId, intentId);
    });
  }

  /** The status reconciliation reads for process call `t1` of pay-A (answer lost), under `settings`. */
  const statusOfT1 = (settings: Record<string, string>, intentId: string) => {
    const transaction = { id: 't1', paymentId: 'pay-A', kind: 'capture' as const, amount: dec('100'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-A:t1', gatewayTransactionId: null, pspReference: null, createdAt: new Date(Date.now() - 3_600_000) };
    const paymentData = payment({ paymentId: 'pay-A', amount: dec('100.00'), token: intentId, idempotencyKey: transaction.gatewayIdempotencyKey });
    return call(makePlugin(env.fake, settings).getTransactionStatus({ transaction, payment: paymentData }, null));
  };

  it("an intent bound to the payment from the start (getClientToken with data.paymentId) gets the adopting call's key too, and is recorded after the fee changed", async () => {
    const intentId = await confirmedIntent({ paymentId: 'pay-A' });
    const adopting = payment({ paymentId: 'pay-A', amount: dec('100.00'), token: intentId, idempotencyKey: 'payhost:process:pay-A:t1' });
    expectSuccess(await call(makePlugin(env.fake, BEFORE).processPayment(adopting, null)), 'capture', '100');
    expect(env.fake.paymentIntent(intentId)['metadata']).to.deep.include({ payhost_payment_id: 'pay-A', payhost_idempotency_key: 'payhost:process:pay-A:t1' });
    const status = await statusOfT1({ ...BEFORE, application_fee_percent: '3' }, intentId);
    expect(status).to.deep.include({ isSuccess: true, kind: 'capture', pspReference: intentId });
    expect(status?.amount.eq('100')).to.equal(true);
  });

  it('a bound intent that moved money, whose terms no longer match and which carries no key of this call, is held for review ("cannot tell"), not failed', async () => {
    // Bound from the start and confirmed, but the process call never got to adopt it (no key of its own on it).
    const intentId = await confirmedIntent({ paymentId: 'pay-A' });
    for (const settings of [{ ...BEFORE, application_fee_percent: '3' }, { ...BEFORE, connected_account_id: PROVIDER_B }]) {
      const held = await statusOfT1(settings, intentId);
      expect(held).to.deep.include({ isSuccess: false, transactionId: intentId });
      expect(held?.rawResponse).to.deep.include({ outcome_unknown: true, intent_status: 'succeeded' });
    }
    // Terms that match are recorded as before.
    expect(await statusOfT1(BEFORE, intentId)).to.deep.include({ isSuccess: true, kind: 'capture', pspReference: intentId });
  });

  it('a retry of the adopting process call under its key answers the charge it made, after the fee changed', async () => {
    const intentId = await confirmedIntent();
    const first = payment({ paymentId: 'pay-retry', amount: dec('100.00'), token: intentId, idempotencyKey: key('payhost:process') });
    expectSuccess(await call(makePlugin(env.fake, BEFORE).processPayment(first, null)), 'capture', '100');
    const retried = await call(makePlugin(env.fake, { ...BEFORE, application_fee_percent: '3' }).processPayment(first, null));
    expectSuccess(retried, 'capture', '100');
    expect(retried.pspReference).to.equal(intentId);
    // Another call (another key) of the same payment is checked against the current terms, as any adoption.
    const other = await call(makePlugin(env.fake, { ...BEFORE, application_fee_percent: '3' }).processPayment({ ...first, idempotencyKey: key('payhost:process') }, null));
    expect(other.isSuccess).to.equal(false);
    expect(other.rawResponse).to.deep.include({ code: 'fee_mismatch' });
  });
});
