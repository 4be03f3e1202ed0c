import { expect } from 'chai';
import type { PaymentService } from '@payhost/core';
import type { FakeStripe } from '@payhost/testkit/stripe';
import { CHANNEL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, key, makeLedger, makePlugin, useFakeStripe } from './helpers.js';

/**
 * A failed 3-D Secure confirm is recorded as a failed `capture` carrying the PaymentIntent id. The way
 * out the docs give (the customer confirms another card on the same intent in Stripe.js, the host
 * confirms again) reuses that id: the success must be counted, not taken for a repeat of the failure.
 */
describe('stripe: confirming again on the same PaymentIntent after a failed 3-D Secure', () => {
  const env = useFakeStripe();

  /** A payment whose 3DS challenge failed and whose confirm was declined; then Stripe.js confirms pm_card_visa on the intent. */
  async function failedThenPaidInBrowser(service: PaymentService): Promise<{ paymentId: string; intentId: string }> {
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_threeDSecure2Required', customerEmail: 'b@example.com' });
    const first = await service.process({ paymentId: created.id, idempotencyKey: key() });
    expect(first.payment.toConfirm).to.equal(true);
    const intentId = first.transaction.pspReference ?? '';
    env.fake.completeThreeDSecure(intentId, false);
    const declined = await service.confirm({ paymentId: created.id, idempotencyKey: key() }).then(
      () => null,
      (err: { code?: string }) => err.code,
    );
    expect(declined).to.equal('gateway_declined');
    const failed = (await service.listTransactions(created.id)).at(-1);
    expect(failed).to.deep.include({ kind: 'capture', isSuccess: false, gatewayTransactionId: intentId });
    await confirmInBrowser(env.fake, intentId);
    return { paymentId: created.id, intentId };
  }

  async function confirmInBrowser(fake: FakeStripe, intentId: string): Promise<void> {
    const res = await fetch(`${fake.url}/v1/payment_intents/${intentId}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
    });
    expect(((await res.json()) as { status: string }).status).to.equal('succeeded');
  }

  async function deliver(service: PaymentService, type: string): Promise<string[]> {
    const delivery = await makePlugin(env.fake).webhook(env.fake.webhook(env.fake.lastEvent(type), WEBHOOK_SECRET), null);
    return applyWebhookEvents(service, delivery ?? {});
  }

  it('the host confirms first: the capture is counted once; the events of both attempts change nothing', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const { paymentId, intentId } = await failedThenPaidInBrowser(service);
      const confirmed = await service.confirm({ paymentId, idempotencyKey: key() });
      expect(confirmed.transaction).to.deep.include({ kind: 'capture', isSuccess: true, gatewayTransactionId: intentId });
      expect(confirmed.payment).to.deep.include({ chargeStatus: 'fully-charged', toConfirm: false });
      expect(confirmed.payment.capturedAmount.eq('10')).to.equal(true);

      expect(await deliver(service, 'payment_intent.payment_failed')).to.deep.equal(['already_applied']);
      expect(await deliver(service, 'payment_intent.succeeded')).to.deep.equal(['already_applied']);
      const after = await service.getPayment(paymentId);
      expect(after.capturedAmount.eq('10'), 'counted once').to.equal(true);
      const rows = await service.listTransactions(paymentId);
      expect(rows.map((t) => [t.kind, t.isSuccess])).to.deep.equal([
        ['action_to_confirm', true],
        ['capture', false],
        ['capture', true],
      ]);
    } finally {
      await manager.close();
    }
  });

  it('the event comes first: payment_intent.succeeded is applied; the host confirm then finds nothing waiting', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const { paymentId } = await failedThenPaidInBrowser(service);
      expect(await deliver(service, 'payment_intent.succeeded')).to.deep.equal(['applied']);
      const paid = await service.getPayment(paymentId);
      expect(paid).to.deep.include({ chargeStatus: 'fully-charged', toConfirm: false });
      expect(paid.capturedAmount.eq('10')).to.equal(true);
      const late = await service.confirm({ paymentId, idempotencyKey: key() }).then(
        () => null,
        (err: { code?: string }) => err.code,
      );
      expect(late).to.equal('operation_not_allowed');
      expect(await deliver(service, 'payment_intent.succeeded')).to.deep.equal(['duplicate']);
      expect((await service.getPayment(paymentId)).capturedAmount.eq('10'), 'counted once').to.equal(true);
    } finally {
      await manager.close();
    }
  });
});
