import { expect } from 'chai';
import Stripe from 'stripe';
import type { GatewayEvent, PaymentService } from '@payhost/core';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, SECRET_KEY, WEBHOOK_SECRET, call, key, makeLedger, makePlugin, useFakeStripe } from './helpers.js';

// Audit: a `processing` payment that then failed stayed `pending` in the ledger for good (stripe-processing-failed).
describe('stripe: a processing payment that fails later', () => {
  const env = useFakeStripe();
  const eventsOf = async (event: Json): Promise<GatewayEvent[]> => (await call(makePlugin(env.fake).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null))).events ?? [];
  const applyAll = async (service: PaymentService, event: Json) => {
    for (const e of await eventsOf(event)) await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL });
  };

  it('payment_failed without a causing request becomes action_to_confirm: the host confirms another card on the same intent', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_processing' });
      const processing = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(processing.payment.chargeStatus).to.equal('pending');
      const intentId = String(processing.payment.pspReference);

      env.fake.settleProcessing(intentId, 'failed');
      const failedEvent = env.fake.lastEvent('payment_intent.payment_failed');
      const [event] = await eventsOf(failedEvent);
      expect(event?.response).to.deep.include({ isSuccess: true, actionRequired: true, kind: 'action_to_confirm', transactionId: intentId, errorCode: null });
      expect(event?.response.actionRequiredData).to.deep.include({ paymentIntentId: intentId, status: 'requires_payment_method' });
      expect(event?.response.rawResponse?.['last_payment_error']).to.deep.include({ code: 'card_declined' });
      await applyAll(service, failedEvent);
      const waiting = await service.getPayment(created.id);
      expect(waiting.toConfirm, 'the payment waits for the customer instead of staying pending for good').to.equal(true);

      // The customer confirms another card on the intent (Stripe.js, with the client secret); the host confirms.
      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
      const confirmed = await service.confirm({ paymentId: created.id, idempotencyKey: key() });
      expect(confirmed.payment.chargeStatus).to.equal('fully-charged');
      expect(confirmed.payment.capturedAmount.eq('10')).to.equal(true);
      await applyAll(service, env.fake.lastEvent('payment_intent.succeeded'));
      expect((await service.getPayment(created.id)).capturedAmount.eq('10')).to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it('a decline answering a call stays a failure: the payment is left not-charged, not waiting for confirmation', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_chargeDeclined' });
      await service.process({ paymentId: created.id, idempotencyKey: key() }).catch(() => undefined);
      const failedEvent = env.fake.lastEvent('payment_intent.payment_failed');
      const [event] = await eventsOf(failedEvent);
      expect(event?.response).to.deep.include({ isSuccess: false, kind: 'capture', errorCode: 'declined' });
      await applyAll(service, failedEvent);
      const after = await service.getPayment(created.id);
      expect(after).to.deep.include({ chargeStatus: 'not-charged', toConfirm: false });
    } finally {
      await manager.close();
    }
  });
});
