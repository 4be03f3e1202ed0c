import { expect } from 'chai';
import { CHANNEL, call, key, makeLedger, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { INTENT_PATH, REFUSALS, expectHeldThenReconciled, paidInBrowser, succeededWebhook, withLedger } from './paid-intents.js';

// Review finding: a pi_ token the customer had paid in the browser (a client token without data.paymentId, as the
// server's client-token route makes them) whose read answered 429 (or 401/403) was recorded as a definite failure:
// the payment not-charged with the money taken, and no reference for the later payment_intent.succeeded to find.
describe('stripe: the read of a pi_ token the customer already paid fails', () => {
  const env = useFakeStripe();

  for (const status of [429, 401, 403] as const) {
    it(`HTTP ${status} on the read: outcome_unknown with the intent as reference, not a decline`, async () => {
      const id = await paidInBrowser(env.fake);
      env.fake.failNext({ method: 'GET', path: INTENT_PATH, status, body: REFUSALS[status] });
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
      expect(res).to.deep.include({ isSuccess: false, kind: 'capture', errorCode: 'processing_error', transactionId: id, pspReference: id });
      expect(res.rawResponse).to.deep.include({ http_status: status, outcome_unknown: true });
    });
  }

  for (const status of [429, 401] as const) {
    it(`through the ledger, HTTP ${status} on every read: held for review, not failed; reconciliation then records the charge, and the webhook finds it applied`, async () => {
      await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
        const id = await paidInBrowser(env.fake);
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
        // The charge's read, and the ledger's status check right after it.
        env.fake.failNext({ method: 'GET', path: INTENT_PATH, status, body: REFUSALS[status], times: 2 });
        await expectHeldThenReconciled(env.fake, { manager, service }, created.id, id);
        expect((await service.getPayment(created.id)).capturedAmount.eq('10')).to.equal(true);
      });
    });
  }

  it('a 429 on the read alone: the ledger\'s status check right after it records the charge', async () => {
    await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
      const id = await paidInBrowser(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      env.fake.failNext({ method: 'GET', path: INTENT_PATH, status: 429, body: REFUSALS[429] });
      const paid = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(paid.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: id });
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
    });
  });

  it('two payments held for review with the same unbound intent: reconciliation charges exactly one (the ledger\'s reference claim)', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const id = await paidInBrowser(env.fake);
      const created = [];
      for (let i = 0; i < 2; i += 1) {
        const one = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
        env.fake.failNext({ method: 'GET', path: INTENT_PATH, status: 429, body: REFUSALS[429], times: 2 });
        expect((await rejection(service.process({ paymentId: one.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
        created.push(one);
      }
      expect((await service.reconcile({ minAgeMs: 0 })).applied).to.have.length(2);
      const payments = await Promise.all(created.map((p) => service.getPayment(p.id)));
      expect(payments.map((p) => p.chargeStatus).sort()).to.deep.equal(['fully-charged', 'not-charged']);
      expect(payments.filter((p) => p.pspReference === id)).to.have.length(1);
    });
  });

  it('no such intent (404 resource_missing) stays a definite failure', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: 'pi_doesNotExist' }), null));
      expect(res).to.deep.include({ isSuccess: false, errorCode: 'processing_error', pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 404, code: 'resource_missing', outcome_unknown: false });

      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pi_doesNotExist' });
      const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      expect(err.code).to.equal('gateway_declined');
      const [failed] = await service.listTransactions(created.id);
      expect(failed).to.deep.include({ state: 'applied', isSuccess: false });
    });
  });

  it('a 429 on creating an intent (a pm_ token) stays definite: Stripe did nothing', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      env.fake.failNext({ method: 'POST', path: '/v1/payment_intents', status: 429, body: REFUSALS[429] });
      const res = await call(makePlugin(env.fake).processPayment(payment(), null));
      expect(res).to.deep.include({ isSuccess: false, errorCode: 'processing_error', pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 429, outcome_unknown: false });

      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa' });
      env.fake.failNext({ method: 'POST', path: '/v1/payment_intents', status: 429, body: REFUSALS[429] });
      const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      expect(err.code).to.equal('gateway_declined');
      const [failed] = await service.listTransactions(created.id);
      expect(failed).to.deep.include({ state: 'applied', isSuccess: false });
    });
  });
});
