import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { GatewayResponse, PaymentService } from '@payhost/core';
import type { FakeStripe, Json } from '@payhost/testkit/stripe';
import { CHANNEL, call, key, makeLedger, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { INTENT_PATH, REFUSALS, succeededWebhook, withLedger } from './paid-intents.js';

// Review finding: confirmPayment (after 3-D Secure, when the customer may already have paid the intent in the browser)
// took a 429 or a refused key (401/403) on its read of the intent for a definite failure, and a 5xx or a lost
// connection for an unknown one without the intent as reference: the host told the customer the payment failed while
// Stripe held the money. As for a charge's pi_ token (adoption-read-failure.test.ts), such a read is outcome_unknown
// with the intent as transaction id and PSP reference; the ledger settles it by its status check or reconciliation.
describe('stripe: the read of confirmPayment fails after the customer paid', () => {
  const env = useFakeStripe();
  const errors: Record<number, Json> = {
    ...REFUSALS,
    500: { error: { type: 'api_error', message: 'An unknown error occurred' } },
    503: { error: { type: 'api_error', message: 'Service unavailable' } },
    400: { error: { type: 'invalid_request_error', message: 'Received unknown parameter: expand[0]' } },
  };

  /** A payment whose 3-D Secure the customer completed in the browser: the intent succeeded, confirmPayment not called yet. */
  async function paidAfterThreeDSecure(fake: FakeStripe): Promise<string> {
    const res = await call(makePlugin(fake).processPayment(payment({ token: 'pm_card_threeDSecure2Required' }), null));
    expect(res.kind).to.equal('action_to_confirm');
    fake.completeThreeDSecure(res.pspReference ?? '');
    expect(fake.paymentIntent(res.pspReference ?? '')['status']).to.equal('succeeded');
    return res.transactionId;
  }

  function expectLeftOpen(res: GatewayResponse, id: string): void {
    expect(res).to.deep.include({ isSuccess: false, actionRequired: false, errorCode: 'processing_error', transactionId: id, pspReference: id });
    expect(res.rawResponse).to.deep.include({ outcome_unknown: true });
  }

  function confirmWith(fake: FakeStripe, id: string, overrides: Record<string, string> = {}): Promise<GatewayResponse> {
    return call(makePlugin(fake, overrides).confirmPayment(payment({ token: id, idempotencyKey: key('payhost:confirm') }), null));
  }

  for (const status of [429, 401, 403, 500, 503] as const) {
    it(`HTTP ${status} on the read: outcome_unknown with the intent as reference, not a failure`, async () => {
      const id = await paidAfterThreeDSecure(env.fake);
      env.fake.failNext({ method: 'GET', path: INTENT_PATH, status, body: errors[status] });
      const res = await confirmWith(env.fake, id);
      expectLeftOpen(res, id);
      expect(res.rawResponse).to.deep.include({ http_status: status });
    });
  }

  it('the connection reset on the read: outcome_unknown with the intent as reference', async () => {
    const id = await paidAfterThreeDSecure(env.fake);
    // Twice: the SDK retries a closed connection once even with retries off (stripe-node issue 1040).
    env.fake.dropNext({ method: 'GET', path: INTENT_PATH, times: 2 });
    const res = await confirmWith(env.fake, id);
    expectLeftOpen(res, id);
    expect(res.rawResponse).to.deep.include({ type: 'StripeConnectionError' });
  });

  describe('a read that times out', () => {
    // A loopback server that takes the request and never answers: the SDK's own timeout ends the read.
    let silent: Server;
    const held: IncomingMessage[] = [];
    before(async () => {
      silent = createServer((req) => void held.push(req));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const req of held) req.socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('outcome_unknown with the intent as reference', async () => {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const res = await confirmWith(env.fake, 'pi_timedOut1', { api_base_url: url, request_timeout_ms: '100' });
      expectLeftOpen(res, 'pi_timedOut1');
      expect(res.rawResponse?.['message']).to.match(/timeout/);
      expect(held).to.have.length(1);
    });
  });

  it('the answer of the server-side confirm lost (requires_confirmation): outcome_unknown with the intent as reference', async () => {
    const res = await call(makePlugin(env.fake, { auto_capture: false }).processPayment(payment({ token: 'pm_card_threeDSecure2Required' }), null));
    env.fake.completeThreeDSecure(res.pspReference ?? '');
    env.fake.setIntentStatus(res.pspReference ?? '', 'requires_confirmation');
    env.fake.dropNext({ method: 'POST', path: /\/confirm$/, afterProcessing: true, times: 2 });
    expectLeftOpen(await confirmWith(env.fake, res.transactionId), res.transactionId);
    expect(env.fake.paymentIntent(res.pspReference ?? '')['status']).to.equal('requires_capture');
  });

  describe('definite answers stay definite', () => {
    it('no such intent (404 resource_missing)', async () => {
      const res = await confirmWith(env.fake, 'pi_doesNotExist');
      expect(res).to.deep.include({ isSuccess: false, errorCode: 'processing_error', pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 404, code: 'resource_missing', outcome_unknown: false });
    });

    it('an invalid request (400) on the read', async () => {
      const id = await paidAfterThreeDSecure(env.fake);
      env.fake.failNext({ method: 'GET', path: INTENT_PATH, status: 400, body: errors[400] });
      const res = await confirmWith(env.fake, id);
      expect(res).to.deep.include({ isSuccess: false, pspReference: null });
      expect(res.rawResponse).to.deep.include({ http_status: 400, outcome_unknown: false });
    });

    it('a 429 on the server-side confirm: Stripe did nothing, the intent still waits for it', async () => {
      const res = await call(makePlugin(env.fake, { auto_capture: false }).processPayment(payment({ token: 'pm_card_threeDSecure2Required' }), null));
      env.fake.completeThreeDSecure(res.pspReference ?? '');
      env.fake.setIntentStatus(res.pspReference ?? '', 'requires_confirmation');
      env.fake.failNext({ method: 'POST', path: /\/confirm$/, status: 429, body: errors[429] });
      const confirmed = await confirmWith(env.fake, res.transactionId);
      expect(confirmed).to.deep.include({ isSuccess: false, pspReference: null });
      expect(confirmed.rawResponse).to.deep.include({ http_status: 429, outcome_unknown: false });
      expect(env.fake.paymentIntent(res.pspReference ?? '')['status']).to.equal('requires_confirmation');
    });

    it('the intent read says the payment failed (canceled): a failure', async () => {
      const id = await paidAfterThreeDSecure(env.fake);
      env.fake.setIntentStatus(id, 'canceled');
      const res = await confirmWith(env.fake, id);
      expect(res).to.deep.include({ isSuccess: false });
      expect(res.rawResponse?.['outcome_unknown']).to.not.equal(true);
    });
  });

  describe('through the ledger', () => {
    /** A payment waiting for confirmation whose 3-D Secure the customer completed (the intent succeeded). */
    async function waitingForConfirm(service: PaymentService): Promise<{ paymentId: string; intentId: string }> {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_threeDSecure2Required', customerEmail: 'c@example.com' });
      const first = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(first.payment.toConfirm).to.equal(true);
      const intentId = first.transaction.pspReference ?? '';
      env.fake.completeThreeDSecure(intentId);
      return { paymentId: created.id, intentId };
    }

    async function heldForReview(service: PaymentService, status: number): Promise<{ paymentId: string; intentId: string; heldId: string }> {
      const { paymentId, intentId } = await waitingForConfirm(service);
      // The confirm's read, and the ledger's status check right after it.
      env.fake.failNext({ method: 'GET', path: INTENT_PATH, status, body: errors[status], times: 2 });
      const err = await rejection(service.confirm({ paymentId, idempotencyKey: key() }));
      expect(err.code).to.equal('outcome_unknown');
      const held = (await service.listTransactions(paymentId)).at(-1);
      expect(held).to.deep.include({ state: 'review' });
      expect((await service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
      return { paymentId, intentId, heldId: held?.id ?? '' };
    }

    async function expectChargedOnce(service: PaymentService, paymentId: string, intentId: string): Promise<void> {
      const charged = await service.getPayment(paymentId);
      expect(charged).to.deep.include({ chargeStatus: 'fully-charged', toConfirm: false, pspReference: intentId });
      expect(charged.capturedAmount.eq('10'), 'counted once').to.equal(true);
    }

    for (const status of [429, 401, 403] as const) {
      it(`HTTP ${status} on the read and the status check: held for review, not failed; reconciliation records the charge, the webhook finds it applied`, async () => {
        await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
          const { paymentId, intentId, heldId } = await heldForReview(service, status);
          expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([heldId]);
          await expectChargedOnce(service, paymentId, intentId);
          expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
          await expectChargedOnce(service, paymentId, intentId);
        });
      });
    }

    it('held for review, the webhook first: the charge is counted once, reconciliation after it adds nothing', async () => {
      await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
        const { paymentId, intentId } = await heldForReview(service, 429);
        expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['applied']);
        await expectChargedOnce(service, paymentId, intentId);
        await service.reconcile({ minAgeMs: 0 });
        await expectChargedOnce(service, paymentId, intentId);
      });
    });

    it('a 429 on the read alone: the ledger\'s status check right after it records the charge', async () => {
      await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
        const { paymentId, intentId } = await waitingForConfirm(service);
        env.fake.failNext({ method: 'GET', path: INTENT_PATH, status: 429, body: errors[429] });
        const confirmed = await service.confirm({ paymentId, idempotencyKey: key() });
        expect(confirmed.transaction).to.deep.include({ kind: 'capture', isSuccess: true, gatewayTransactionId: intentId });
        await expectChargedOnce(service, paymentId, intentId);
        expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
      });
    });
  });
});
