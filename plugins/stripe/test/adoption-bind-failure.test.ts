import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, call, key, makeLedger, makeManager, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { INTENT_PATH, REFUSALS, expectHeldThenReconciled, paidInBrowser, succeededWebhook, withLedger } from './paid-intents.js';

// Review finding: once the read of a pi_ token the customer had paid in the browser succeeded, the metadata update
// binding it to the payment (adoption.ts) answering 429, 401/403, 400, 5xx or a lost connection was a definite
// failure, or an unknown one without the intent as reference: the ledger recorded the payment failed (or held it with
// nothing for the intent's event to find) while Stripe held the money.
describe('stripe: binding a paid pi_ token to its payment fails', () => {
  const env = useFakeStripe();
  const errors: Record<number, Json> = {
    ...REFUSALS,
    500: { error: { type: 'api_error', message: 'An unknown error occurred' } },
    // Stripe's answer to a key reused with other parameters: the first request under it may have landed.
    400: { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } },
    404: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: "No such payment_intent: 'pi_x'" } },
  };

  function bindFails(status: number, times = 1): void {
    env.fake.failNext({ method: 'POST', path: INTENT_PATH, status, body: errors[status], times });
  }

  /**
   * A ledger whose status check right after an unknown outcome cannot read the intent either (the call's own
   * read went through): the charge stays held for review.
   */
  function ledgerWithFailingCheck(status: number): { manager: PluginManager; service: PaymentService } {
    const manager = makeManager(env.fake);
    const faults = { 'after-gateway': () => env.fake.failNext({ method: 'GET', path: INTENT_PATH, status, body: errors[status] }) };
    return { manager, service: new PaymentService({ manager, store: new MemoryLedgerStore(), faults }) };
  }

  for (const status of [429, 401, 403, 500, 400] as const) {
    it(`HTTP ${status} on the binding: outcome_unknown with the intent as reference, not a failure`, async () => {
      const id = await paidInBrowser(env.fake);
      bindFails(status);
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
      expect(res).to.deep.include({ isSuccess: false, kind: 'capture', transactionId: id, pspReference: id });
      expect(res.rawResponse).to.deep.include({ http_status: status, outcome_unknown: true });
      expect(env.fake.paymentIntent(id)['metadata']).to.not.have.property('payhost_payment_id');
    });
  }

  it('the connection lost on the binding: outcome_unknown with the intent as reference', async () => {
    const id = await paidInBrowser(env.fake);
    env.fake.dropNext({ method: 'POST', path: INTENT_PATH, times: 2 });
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
    expect(res.rawResponse).to.deep.include({ outcome_unknown: true });
  });

  for (const status of [429, 401, 403] as const) {
    it(`through the ledger, HTTP ${status} on the binding and on the status check: held for review, not failed; reconciliation records the charge once, the webhook finds it applied`, async () => {
      await withLedger(ledgerWithFailingCheck(status), async ({ manager, service }) => {
        const id = await paidInBrowser(env.fake);
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
        bindFails(status);
        await expectHeldThenReconciled(env.fake, { manager, service }, created.id, id);
        expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
        expect((await service.getPayment(created.id)).capturedAmount.eq('10'), 'counted once').to.equal(true);
      });
    });
  }

  it('through the ledger, a 400 on the binding alone: the status check right after it records the charge', async () => {
    await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
      const id = await paidInBrowser(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(400);
      const paid = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(paid.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: id });
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
      expect((await service.getPayment(created.id)).capturedAmount.eq('10'), 'counted once').to.equal(true);
    });
  });

  it('Stripe answering "no such payment_intent" (404) to the binding stays a definite failure', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const id = await paidInBrowser(env.fake);
      bindFails(404);
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
      expect(res).to.deep.include({ isSuccess: false, pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 404, code: 'resource_missing', outcome_unknown: false });

      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(404);
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('gateway_declined');
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'applied', isSuccess: false });
    });
  });
});
