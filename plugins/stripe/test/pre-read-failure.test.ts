import { expect } from 'chai';
import type { GatewayResponse } from '@payhost/core';
import { CHANNEL, call, dec, expectSuccess, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

// Review finding: a capture or refund on the platform first reads the intent (its Connect terms, LOCAL mode
// included). When that read failed (5xx, lost connection) the call was answered outcome_unknown and held for
// review, though nothing had been sent: it is a plain failure.
describe('stripe: a failed read before a capture or refund is a plain failure (nothing was sent)', () => {
  const env = useFakeStripe();
  const intentRead = /^\/v1\/payment_intents\/pi_\w+$/;

  function expectNothingSent(res: GatewayResponse, kind: string): void {
    expect(res).to.deep.include({ isSuccess: false, kind, errorCode: 'processing_error' });
    expect(res.error).to.match(/nothing was sent/);
    expect(res.rawResponse?.['outcome_unknown']).to.equal(false);
  }

  for (const fault of ['HTTP 500', 'dropped connection'] as const) {
    // A dropped connection: the SDK tries twice (as errors.test.ts shows), so both attempts drop.
    it(`LOCAL: capture and refund whose intent read fails (${fault}) send nothing and are not outcome_unknown`, async () => {
      const inject = () => (fault === 'HTTP 500' ? env.fake.failNext({ status: 500, method: 'GET', path: intentRead }) : env.fake.dropNext({ method: 'GET', path: intentRead, times: 2 }));
      const plugin = makePlugin(env.fake, { auto_capture: false });
      const auth = await call(plugin.processPayment(payment({ amount: dec('50.00') }), null));
      env.fake.clearLog();
      inject();
      expectNothingSent(await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('50.00'), idempotencyKey: key() }), null)), 'capture');
      expect(env.fake.requestsTo(/\/capture$/)).to.have.length(0);
      expectSuccess(await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('50.00'), idempotencyKey: key() }), null)), 'capture', '50');
      inject();
      expectNothingSent(await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: dec('20.00'), idempotencyKey: key() }), null)), 'refund');
      expect(env.fake.requestsTo('/v1/refunds', 'POST')).to.have.length(0);
    });
  }

  it('through the ledger: the refund is recorded failed, not held for review, and its amount is free again', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '50.00', currency: 'USD', token: 'pm_card_visa' });
      env.fake.failNext({ status: 500, method: 'GET', path: intentRead });
      const failed = await service.refund({ paymentId: paid.payment.id, idempotencyKey: key(), amount: '50.00' }).then(() => null, (e: Error & { code?: string }) => e.code);
      expect(failed).to.not.equal('outcome_unknown');
      const [refund] = (await service.listTransactions(paid.payment.id)).filter((t) => t.kind === 'refund');
      expect(refund).to.deep.include({ state: 'applied', isSuccess: false });
      const refunded = await service.refund({ paymentId: paid.payment.id, idempotencyKey: key(), amount: '50.00' });
      expect(refunded.payment.chargeStatus).to.equal('fully-refunded');
    } finally {
      await manager.close();
    }
  });

  // Review finding: the customer lookups a charge makes before its PaymentIntent request (store_customer's search or
  // creation, a saved card's list and customer read for reuseSource) ran inside the charge's error handling, so a 5xx
  // or lost connection there made the charge outcome_unknown: held for review about two hours (SEARCH_LAG_MS),
  // though no intent request was sent. Nothing was charged: a plain failure.
  describe('a charge whose lookup before the intent request fails', () => {
    function expectNothingCharged(res: GatewayResponse, kind: string): void {
      expect(res).to.deep.include({ isSuccess: false, kind, errorCode: 'processing_error', pspReference: null });
      expect(res.error).to.match(/nothing was charged/);
      expect(res.rawResponse?.['outcome_unknown']).to.equal(false);
      expect(env.fake.requestsTo('/v1/payment_intents', 'POST')).to.have.length(0);
    }

    it('store_customer: the Customer search fails (HTTP 500): not outcome_unknown, no intent request; the next try charges', async () => {
      const plugin = makePlugin(env.fake, { store_customer: true });
      env.fake.failNext({ status: 500, method: 'GET', path: '/v1/customers/search' });
      expectNothingCharged(await call(plugin.processPayment(payment({ customerId: 'user-1' }), null)), 'capture');
      expectSuccess(await call(plugin.processPayment(payment({ customerId: 'user-1' }), null)), 'capture', '10');
    });

    it('store_customer: the Customer creation loses its connection (both tries): an authorization, not outcome_unknown', async () => {
      const plugin = makePlugin(env.fake, { store_customer: true, auto_capture: false });
      env.fake.dropNext({ method: 'POST', path: '/v1/customers', times: 2 });
      expectNothingCharged(await call(plugin.processPayment(payment({ customerId: 'user-2' }), null)), 'auth');
    });

    it('reuseSource: the saved cards\' list fails (HTTP 500)', async () => {
      const plugin = makePlugin(env.fake, { store_customer: true });
      const saved = await call(plugin.processPayment(payment({ customerId: 'user-3' }), null));
      env.fake.clearLog();
      env.fake.failNext({ status: 500, method: 'GET', path: '/v1/payment_methods' });
      expectNothingCharged(await call(plugin.processPayment(payment({ customerId: 'user-3', token: null, reuseSource: true, data: { gatewayCustomerId: saved.customerId } }), null)), 'capture');
    });

    it('through the ledger: the charge is recorded failed, not held for review, and a second process charges', async () => {
      const { manager, service } = makeLedger(env.fake, { store_customer: true });
      try {
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa', customerId: 'user-4' });
        env.fake.failNext({ status: 500, method: 'GET', path: '/v1/customers/search' });
        const failed = await service.process({ paymentId: created.id, idempotencyKey: key() }).then(() => null, (e: Error & { code?: string }) => e.code);
        expect(failed).to.not.equal(null).and.not.equal('outcome_unknown');
        const [charge] = await service.listTransactions(created.id);
        expect(charge).to.deep.include({ state: 'applied', isSuccess: false });
        expect(env.fake.requestsTo('/v1/payment_intents', 'POST')).to.have.length(0);
        const charged = await service.process({ paymentId: created.id, idempotencyKey: key() });
        expect(charged.payment.chargeStatus).to.equal('fully-charged');
      } finally {
        await manager.close();
      }
    });
  });
});
