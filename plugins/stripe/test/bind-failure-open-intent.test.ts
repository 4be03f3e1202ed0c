import { expect } from 'chai';
import Stripe from 'stripe';
import type { FakeStripe, Json, LoggedRequest } from '@payhost/testkit/stripe';
import { CHANNEL, RETURN_URL, SECRET_KEY, call, dec, key, makeLedger, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { INTENT_PATH, REFUSALS, succeededWebhook, withLedger } from './paid-intents.js';

// Review finding: a pi_ token whose 3-D Secure was still pending (requires_action) when the metadata update binding it
// to the payment failed was held as outcome_unknown, and the ledger's status check right after it then found the
// intent unbound and not paid: "never bound", the charge recorded failed. The customer could still finish 3-D Secure
// in the browser and Stripe took the money, with no payment named on the intent for its events or reconciliation.
// Now the plugin cancels such an intent: failed only once Stripe canceled it, else held until Stripe shows the outcome.
describe('stripe: binding a pi_ token whose 3-D Secure is pending fails', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;
  const API_ERROR: Json = { error: { type: 'api_error', message: 'An unknown error occurred' } };

  /** A client-token intent naming no payment that the customer confirmed in the browser with a card asking for 3-D Secure. */
  async function pendingThreeDSecure(fake: FakeStripe): Promise<string> {
    const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_threeDSecure2Required', return_url: RETURN_URL });
    expect(fake.paymentIntent(id)['status']).to.equal('requires_action');
    return id;
  }

  function bindFails(status: 429 | 500): void {
    env.fake.failNext({ method: 'POST', path: INTENT_PATH, status, body: status === 500 ? API_ERROR : REFUSALS[status] });
  }

  /** Runs `act` as the fake receives the first request matching `match` (before it answers it), while `use` runs. */
  async function onRequest(match: (r: LoggedRequest) => boolean, act: () => void, use: () => Promise<void>): Promise<void> {
    const log = env.fake.requests;
    const push = log.push.bind(log);
    let done = false;
    Object.defineProperty(log, 'push', {
      configurable: true,
      value: (...entries: LoggedRequest[]) => {
        const n = push(...entries);
        if (!done && entries.some(match)) {
          done = true;
          act();
        }
        return n;
      },
    });
    try {
      await use();
    } finally {
      delete (log as { push?: unknown }).push;
    }
  }

  for (const status of [429, 500] as const) {
    it(`HTTP ${status} on the binding, the cancel succeeds: a definite failure and the intent canceled, so 3-D Secure cannot finish it`, async () => {
      const id = await pendingThreeDSecure(env.fake);
      bindFails(status);
      const p = payment({ token: id });
      const res = await call(makePlugin(env.fake).processPayment(p, null));
      expect(res).to.deep.include({ isSuccess: false, actionRequired: false, kind: 'capture', errorCode: 'processing_error', transactionId: id, pspReference: id });
      expect(res.rawResponse?.['outcome_unknown']).to.not.equal(true);
      expect(res.error).to.match(new RegExp(`Binding PaymentIntent ${id} .*failed .*canceled`));
      expect(res.rawResponse?.['bind_error']).to.deep.include({ http_status: status });
      expect(env.fake.paymentIntent(id)).to.deep.include({ status: 'canceled', cancellation_reason: 'abandoned' });
      // Keyed from the ledger's key, so a retry of the charge replays the cancel.
      expect(env.fake.requestsTo(CANCEL_PATH, 'POST').map((r) => r.idempotencyKey)).to.deep.equal([`${p.idempotencyKey}#unbound`]);
      expect(() => env.fake.completeThreeDSecure(id)).to.throw(/canceled, not requires_action/);
    });
  }

  it('through the ledger, the cancel succeeds: the charge is recorded failed and the intent can no longer take the money', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const id = await pendingThreeDSecure(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(429);
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('gateway_declined');
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'applied', isSuccess: false });
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
      expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
    });
  });

  it('the cancel fails too: outcome_unknown with the intent as reference, not a failure', async () => {
    const id = await pendingThreeDSecure(env.fake);
    bindFails(429);
    env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
    expect(res).to.deep.include({ isSuccess: false, kind: 'capture', transactionId: id, pspReference: id });
    expect(res.rawResponse).to.deep.include({ http_status: 429, outcome_unknown: true });
    expect(res.rawResponse?.['cancel_error']).to.deep.include({ http_status: 500 });
    expect(res.error).to.match(/so did canceling it/);
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
  });

  it('through the ledger, the cancel fails: held for review (not failed) while 3-D Secure is pending; once the customer finishes it, reconciliation records the charge', async () => {
    await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
      const id = await pendingThreeDSecure(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
      bindFails(500);
      env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
      // The ledger's status check right after the call finds the intent unbound and still open: cannot tell yet.
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
      const [held] = await service.listTransactions(created.id);
      expect(held).to.deep.include({ kind: 'capture', state: 'review' });
      expect((await service.reconcile({ minAgeMs: 0 })).applied, 'still pending at Stripe: still held').to.deep.equal([]);
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'review' });

      env.fake.completeThreeDSecure(id);
      expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([held?.id]);
      const charged = await service.getPayment(created.id);
      expect(charged).to.deep.include({ chargeStatus: 'fully-charged', pspReference: id });
      expect(charged.capturedAmount.eq('10')).to.equal(true);
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
    });
  });

  it('the customer finishes 3-D Secure before the cancel lands (Stripe refuses to cancel a succeeded intent): outcome_unknown, and the ledger records the charge', async () => {
    const id = await pendingThreeDSecure(env.fake);
    bindFails(429);
    const isCancel = (r: LoggedRequest) => r.method === 'POST' && CANCEL_PATH.test(r.path);
    await onRequest(isCancel, () => env.fake.completeThreeDSecure(id), async () => {
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: id }), null));
      expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
      expect(res.rawResponse).to.deep.include({ outcome_unknown: true });
      expect(res.rawResponse?.['cancel_error']).to.deep.include({ http_status: 400, code: 'payment_intent_unexpected_state' });
    });
    expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');

    await withLedger(makeLedger(env.fake), async ({ manager, service }) => {
      const other = await pendingThreeDSecure(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: other });
      bindFails(429);
      await onRequest(isCancel, () => env.fake.completeThreeDSecure(other), async () => {
        const paid = await service.process({ paymentId: created.id, idempotencyKey: key() });
        expect(paid.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: other });
      });
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['already_applied']);
      expect((await service.getPayment(created.id)).capturedAmount.eq('10'), 'counted once').to.equal(true);
    });
  });
});
