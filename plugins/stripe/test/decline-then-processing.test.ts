import Stripe from 'stripe';
import { expect } from 'chai';
import type { PaymentService } from '@payhost/core';
import { CHANNEL, GATEWAY, RETURN_URL, SECRET_KEY, WEBHOOK_SECRET, call, dec, key, makeLedger, makePlugin, useFakeStripe } from './helpers.js';

// One PaymentIntent, two attempts: declined, then confirmed with a method that stays `processing`. Both rows carry
// the intent's id; the earlier decline does not settle the later pending charge (pending-charges.ts).
describe('stripe: an intent declined, then paid by a method that stays processing', () => {
  const env = useFakeStripe();

  /**
   * A client-token intent declined in the browser, its payment processed (declined), then the intent confirmed with a
   * method that stays processing and the payment processed again (pending); with the decline's payment_failed event.
   */
  async function declinedThenProcessing(service: PaymentService) {
    const secret = await call(makePlugin(env.fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const id = secret.split('_secret_')[0] ?? '';
    const sdk = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    await sdk.paymentIntents.confirm(id, { payment_method: 'pm_card_chargeDeclined', return_url: RETURN_URL }).catch(() => undefined);
    const failedEvent = env.fake.lastEvent('payment_intent.payment_failed');
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: id });
    const first = await service.process({ paymentId: created.id, idempotencyKey: key() }).catch((e: { code?: string }) => e);
    expect((first as { code?: string }).code).to.equal('gateway_declined');
    await sdk.paymentIntents.confirm(id, { payment_method: 'pm_card_processing', return_url: RETURN_URL });
    const second = await service.process({ paymentId: created.id, idempotencyKey: key() });
    expect(second.payment.chargeStatus).to.equal('pending');
    return { id, created, second, failedEvent };
  }

  it('reconciliation keeps the payment pending while Stripe still processes the intent; its success charges it once', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const { id, created, second } = await declinedThenProcessing(service);
      expect(second.transaction).to.deep.include({ kind: 'pending', gatewayTransactionId: id });

      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report).to.deep.include({ applied: [], held: [second.transaction.id], failed: [] });
      expect(env.fake.paymentIntent(id)['status']).to.equal('processing');
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('pending');

      env.fake.settleProcessing(id, 'succeeded');
      const events = (await call(makePlugin(env.fake).webhook(env.fake.webhook(env.fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET), null))).events ?? [];
      for (const e of events) await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL });
      const paid = await service.getPayment(created.id);
      expect(paid.chargeStatus).to.equal('fully-charged');
      expect(paid.capturedAmount.eq('10')).to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it("the first attempt's payment_failed webhook delivered late, after the second attempt is processing, leaves the payment pending; the intent's success charges it once", async () => {
    const { manager, service, store } = makeLedger(env.fake);
    try {
      const { id, created, second, failedEvent } = await declinedThenProcessing(service);

      // The decline's webhook, delivered late (Stripe retries and delays deliveries): a repeat of the recorded decline.
      const late = (await call(makePlugin(env.fake).webhook(env.fake.webhook(failedEvent, WEBHOOK_SECRET), null))).events ?? [];
      expect(late).to.have.length.greaterThan(0);
      for (const e of late) expect((await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL })).status).to.equal('already_applied');
      expect(env.fake.paymentIntent(id)['status']).to.equal('processing');
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('pending');
      const again = await service.process({ paymentId: created.id, idempotencyKey: key() }).catch((e: { code?: string }) => e);
      expect((again as { code?: string }).code, 'no second charge while Stripe processes').to.equal('operation_not_allowed');

      // Still asked about by reconciliation: Stripe's success (its webhook never delivered) charges it once.
      env.fake.settleProcessing(id, 'succeeded');
      expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ applied: [second.transaction.id], failed: [] });
      const paid = await service.getPayment(created.id);
      expect(paid.chargeStatus).to.equal('fully-charged');
      expect(paid.capturedAmount.eq('10')).to.equal(true);
      expect((await store.listTransactions(created.id)).filter((t) => t.isSuccess && t.kind === 'capture')).to.have.length(1);
    } finally {
      await manager.close();
    }
  });
});
