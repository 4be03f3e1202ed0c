import { expect } from 'chai';
import Stripe from 'stripe';
import { MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import type { FakeStripe, Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, RETURN_URL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, dec, key, makeManager, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';

// Review finding: once the read of a pi_ token the customer had paid in the browser succeeded, the metadata update
// binding it to the payment (adoption.ts) answering 429, 401/403, 400, 5xx or a lost connection was a definite
// failure, or an unknown one without the intent as reference: the ledger recorded the payment failed (or held it with
// nothing for the intent's event to find) while Stripe held the money.
describe('stripe: binding a paid pi_ token to its payment fails', () => {
  const env = useFakeStripe();
  const intentPath = /^\/v1\/payment_intents\/pi_\w+$/;
  const errors: Record<number, Json> = {
    429: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests made to the API too quickly' } },
    401: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } },
    403: { error: { type: 'invalid_request_error', message: 'The provided key does not have the required permissions' } },
    500: { error: { type: 'api_error', message: 'An unknown error occurred' } },
    // Stripe's answer to a key reused with other parameters: the first request under it may have landed.
    400: { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } },
    404: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: "No such payment_intent: 'pi_x'" } },
  };

  /** A client-token intent naming no payment, confirmed (paid) in the browser as Stripe.js does. */
  async function paidInBrowser(fake: FakeStripe): Promise<string> {
    const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
    expect(fake.paymentIntent(id)['status']).to.equal('succeeded');
    return id;
  }

  function bindFails(status: number, times = 1): void {
    env.fake.failNext({ method: 'POST', path: intentPath, status, body: errors[status], times });
  }

  /**
   * A ledger whose status check right after an unknown outcome cannot read the intent either (the call's own
   * read went through): the charge stays held for review.
   */
  function ledgerWithFailingCheck(status: number): { manager: PluginManager; service: PaymentService } {
    const manager = makeManager(env.fake);
    const faults = { 'after-gateway': () => env.fake.failNext({ method: 'GET', path: intentPath, status, body: errors[status] }) };
    return { manager, service: new PaymentService({ manager, store: new MemoryLedgerStore(), faults }) };
  }

  async function succeededWebhook(service: PaymentService, manager: PluginManager): Promise<string[]> {
    const answer = await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, ...env.fake.webhook(env.fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET) });
    expect(answer?.status).to.equal(200);
    return applyWebhookEvents(service, answer ?? {});
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
    env.fake.dropNext({ method: 'POST', path: intentPath, times: 2 });
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
    expect(res.rawResponse).to.deep.include({ outcome_unknown: true });
  });

  for (const status of [429, 401, 403] as const) {
    it(`through the ledger, HTTP ${status} on the binding and on the status check: held for review, not failed; reconciliation records the charge once, the webhook finds it applied`, async () => {
      const { manager, service } = ledgerWithFailingCheck(status);
      try {
        const id = await paidInBrowser(env.fake);
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
        bindFails(status);
        const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
        expect(err.code).to.equal('outcome_unknown');
        const [held] = await service.listTransactions(created.id);
        expect(held).to.deep.include({ kind: 'capture', state: 'review' });
        expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');

        const report = await service.reconcile({ minAgeMs: 0 });
        expect(report.applied).to.deep.equal([held?.id]);
        const charged = await service.getPayment(created.id);
        expect(charged).to.deep.include({ chargeStatus: 'fully-charged', pspReference: id });
        expect(charged.capturedAmount.eq('10')).to.equal(true);
        expect(await succeededWebhook(service, manager)).to.deep.equal(['already_applied']);
        expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
        expect((await service.getPayment(created.id)).capturedAmount.eq('10'), 'counted once').to.equal(true);
      } finally {
        await manager.close();
      }
    });
  }

  it('through the ledger, a 400 on the binding alone: the status check right after it records the charge', async () => {
    const manager = makeManager(env.fake);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    try {
      const id = await paidInBrowser(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(400);
      const paid = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(paid.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: id });
      expect(await succeededWebhook(service, manager)).to.deep.equal(['already_applied']);
      expect((await service.getPayment(created.id)).capturedAmount.eq('10'), 'counted once').to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it('Stripe answering "no such payment_intent" (404) to the binding stays a definite failure', async () => {
    const manager = makeManager(env.fake);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    try {
      const id = await paidInBrowser(env.fake);
      bindFails(404);
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
      expect(res).to.deep.include({ isSuccess: false, pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 404, code: 'resource_missing', outcome_unknown: false });

      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(404);
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('gateway_declined');
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'applied', isSuccess: false });
    } finally {
      await manager.close();
    }
  });
});
