import { expect } from 'chai';
import { Decimal, type PaymentService, type PluginManager } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY } from './helpers.js';
import { key, useRazorpayLedger } from './ledger-suite.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

/**
 * Deliveries Razorpay must get a 200 for although nothing is applied: any
 * other answer is retried for 24 h, and then Razorpay disables the webhook.
 * Each delivery is answered as the reference server does: the plugin's
 * status, unless applying its events fails (payment_not_found -> 404).
 */
describe('razorpay: webhook deliveries acknowledged without being applied', () => {
  let fake: FakeRazorpay;
  let manager: PluginManager;
  let service: PaymentService;
  useRazorpayLedger((ledger) => ({ fake, manager, service } = ledger), { idempotency: { waitTimeoutMs: 500 } });

  /** What the host answers Razorpay: the plugin's answer, or the failure applying its events raises. */
  async function answer(delivery: { rawBody: Buffer; headers: Record<string, string> }): Promise<{ status: number; body: unknown; applied: string[] }> {
    const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
    const applied: string[] = [];
    try {
      for (const event of response.events ?? []) applied.push((await service.applyGatewayEvent({ ...event, gateway: GATEWAY, channel: CHANNEL })).status);
    } catch (err) {
      return { status: 404, body: { code: (err as { code?: string }).code }, applied };
    }
    return { status: response.status, body: response.body, applied };
  }

  /** An order created before any host payment (no payhost_payment_id note), paid by a failed attempt. */
  async function failedAttempt(): Promise<string> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
    return fake.checkout(token.order_id, { status: 'failed', error: { reason: 'card_declined', description: 'Your card was declined' } }).razorpay_payment_id;
  }

  it('payment.failed for no host payment (order without the host note): 200, no events, never 404 payment_not_found', async () => {
    const failed = await failedAttempt();
    const result = await answer(fake.webhook('payment.failed', { paymentId: failed }, { eventId: 'evt_failed_unmatched' }));
    expect(result).to.deep.equal({ status: 200, body: { received: true, applied: 0, ignored: 'payment_not_matched' }, applied: [] });
  });

  it('payment.failed whose order Razorpay no longer serves: 200, no events', async () => {
    const failed = await failedAttempt();
    fake.injectError({ method: 'GET', path: '/v1/orders/' }, 400, { code: 'BAD_REQUEST_ERROR', description: 'Order older than 180 days, please use reports' });
    const result = await answer(fake.webhook('payment.failed', { paymentId: failed }));
    expect(result.status).to.equal(200);
    expect(result.body).to.deep.include({ ignored: 'payment_not_matched' });
  });

  it('payment.failed of an order created for a host payment still reaches it (a failed attempt is recorded)', async () => {
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: 'set-later' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR', data: { paymentId: payment.id } })) as { order_id: string };
    const failed = fake.checkout(token.order_id, { status: 'failed', error: { reason: 'card_declined', description: 'Your card was declined' } });
    const result = await answer(fake.webhook('payment.failed', { paymentId: failed.razorpay_payment_id }));
    expect(result).to.deep.include({ status: 200, applied: ['applied'] });
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('an authentic event older than the tolerance (a resend or a replay): 200, not applied', async () => {
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: 'set-later' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR', data: { paymentId: payment.id } })) as { order_id: string };
    const paid = fake.checkout(token.order_id, { status: 'captured' });
    const threeDaysAgo = Math.floor(Date.now() / 1000) - 3 * 86_400;
    const stale = await answer(fake.webhook('payment.captured', { paymentId: paid.razorpay_payment_id }, { createdAt: threeDaysAgo }));
    expect(stale).to.deep.equal({ status: 200, body: { received: true, applied: 0, ignored: 'stale_event' }, applied: [] });
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
    // Within the tolerance the same event applies.
    const fresh = await answer(fake.webhook('payment.captured', { paymentId: paid.razorpay_payment_id }));
    expect(fresh).to.deep.include({ status: 200, applied: ['applied'] });
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('fully-charged');
  });
});
