import { expect } from 'chai';
import { Decimal, type PluginManager, type WebhookResponse } from '@payhost/core';
import { FakeRazorpay, razorpayWebhookSignature, signRazorpayWebhook, type RazorpayWebhookDelivery } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, clientToken, makeManager, makePlugin, payment } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

describe('razorpay: webhooks', () => {
  blockOutsideNetwork();
  let fake: FakeRazorpay;
  let manager: PluginManager;
  before(async () => {
    fake = await FakeRazorpay.start();
    manager = makeManager(fake);
  });
  after(async () => {
    await manager.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  function deliver(delivery: Pick<RazorpayWebhookDelivery, 'rawBody' | 'headers'>, method = 'POST'): Promise<WebhookResponse | null> {
    return manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method, headers: delivery.headers, rawBody: delivery.rawBody });
  }

  /** A captured payment (Checkout carried the host's payment id in the notes) and one of its refunds. */
  async function capturedPayment() {
    const plugin = makePlugin(fake);
    const token = await clientToken(plugin, '499.50', 'INR', 'pay-host-9');
    const result = fake.checkout(token.order_id, { notes: token.notes ?? {} });
    await call(plugin.processPayment(payment({ paymentId: 'pay-host-9', token: JSON.stringify(result) }), null));
    const refund = await call(plugin.refundPayment(payment({ token: result.razorpay_payment_id, amount: new Decimal('99.50') }), null));
    return { orderId: token.order_id, paymentId: result.razorpay_payment_id, refundId: refund.transactionId };
  }

  it('normalizes payment.authorized, payment.captured, order.paid and refund.processed into ledger events', async () => {
    const ids = await capturedPayment();
    const cases: Array<[string, Record<string, string>, string, string, string]> = [
      ['payment.authorized', { paymentId: ids.paymentId }, 'auth', '499.5', ids.paymentId],
      ['payment.captured', { paymentId: ids.paymentId }, 'capture', '499.5', ids.paymentId],
      ['order.paid', { paymentId: ids.paymentId, orderId: ids.orderId }, 'capture', '499.5', ids.paymentId],
      ['refund.processed', { refundId: ids.refundId, paymentId: ids.paymentId }, 'refund', '99.5', ids.refundId],
    ];
    for (const [type, entityIds, kind, amount, transactionId] of cases) {
      const delivery = fake.webhook(type, entityIds, { eventId: `evt_${type}` });
      const response = (await deliver(delivery))!;
      expect(response.status, type).to.equal(200);
      expect(response.events).to.have.length(1);
      const [event] = response.events!;
      expect(event).to.deep.include({ eventId: `evt_${type}`, type, paymentId: 'pay-host-9', pspReference: ids.paymentId });
      // The signed created_at (unix seconds), from which the host's window for unmatched events counts.
      const createdAt = (JSON.parse(delivery.rawBody.toString('utf8')) as { created_at: number }).created_at;
      expect(event!.occurredAt?.getTime(), type).to.equal(createdAt * 1000);
      expect(event!.response).to.deep.include({ isSuccess: true, kind, currency: 'INR', transactionId });
      expect(event!.response.amount.toString()).to.equal(amount);
    }
  });

  it('normalizes refund.failed into a failed refund_failed event for that refund', async () => {
    const plugin = makePlugin(fake);
    const token = await clientToken(plugin, '499.50', 'INR', 'pay-host-9');
    const result = fake.checkout(token.order_id, { status: 'captured', notes: token.notes ?? {} });
    fake.state.refundStatus = 'pending';
    const refund = await call(plugin.refundPayment(payment({ paymentId: 'pay-host-9', token: result.razorpay_payment_id, amount: new Decimal('99.50') }), null));
    expect(refund.kind).to.equal('refund_ongoing');
    fake.state.settleRefund(refund.transactionId, 'failed');
    const response = (await deliver(fake.webhook('refund.failed', { refundId: refund.transactionId, paymentId: result.razorpay_payment_id }, { eventId: 'evt_rf' })))!;
    expect(response.status).to.equal(200);
    const [event] = response.events!;
    expect(event).to.deep.include({ eventId: 'evt_rf', type: 'refund.failed', paymentId: 'pay-host-9', pspReference: result.razorpay_payment_id });
    expect(event!.response).to.deep.include({ isSuccess: false, kind: 'refund_failed', transactionId: refund.transactionId, errorCode: 'processing_error' });
    expect(event!.response.amount.toString()).to.equal('99.5');
  });

  it('refund.processed of an authorization never captured (Razorpay\'s auto-refund) is a void of it, not a refund', async () => {
    const plugin = makePlugin(fake, { auto_capture: false });
    const token = await clientToken(plugin, '499.50', 'INR', 'pay-host-9');
    const result = fake.checkout(token.order_id, { notes: token.notes ?? {} });
    await call(plugin.processPayment(payment({ paymentId: 'pay-host-9', token: JSON.stringify(result) }), null));
    const auto = fake.state.autoRefund(result.razorpay_payment_id);
    const response = (await deliver(fake.webhook('refund.processed', { refundId: auto.id, paymentId: result.razorpay_payment_id }, { eventId: 'evt_auto' })))!;
    expect(response.status).to.equal(200);
    const [event] = response.events!;
    expect(event).to.deep.include({ eventId: 'evt_auto', type: 'refund.processed', paymentId: 'pay-host-9', pspReference: result.razorpay_payment_id });
    expect(event!.response).to.deep.include({ isSuccess: true, kind: 'void', currency: 'INR', transactionId: auto.id });
    expect(event!.response.amount.toString()).to.equal('499.5');
    expect(event!.response.rawResponse).to.deep.include({ auto_refund: true });
  });

  describe('which host payment an event names', () => {
    /** An order created for pay-host-A; the customer sets Checkout's `notes` to name pay-host-B. */
    async function checkoutNamingAnother() {
      const plugin = makePlugin(fake);
      const token = await clientToken(plugin, '499.50', 'INR', 'pay-host-A');
      const result = fake.checkout(token.order_id, { status: 'captured', notes: { payhost_payment_id: 'pay-host-B' } });
      expect(fake.state.payment(result.razorpay_payment_id).notes).to.deep.include({ payhost_payment_id: 'pay-host-B' });
      return { orderId: token.order_id, paymentId: result.razorpay_payment_id };
    }

    it('the order\'s note wins over the payment\'s (customer-set) notes, fetched when the payload has no order', async () => {
      const ids = await checkoutNamingAnother();
      // Razorpay's payment.* events carry only the payment entity: the plugin fetches the order.
      const captured = (await deliver(fake.webhook('payment.captured', { paymentId: ids.paymentId })))!;
      expect(captured.events?.map((e) => e.paymentId)).to.deep.equal(['pay-host-A']);
      expect(fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1/orders/${ids.orderId}`)).to.have.length(1);
      const paid = (await deliver(fake.webhook('order.paid', { paymentId: ids.paymentId, orderId: ids.orderId })))!;
      expect(paid.events?.map((e) => e.paymentId)).to.deep.equal(['pay-host-A']);
    });

    it('payment notes count when the order names no payment (the plugin\'s own claim)', async () => {
      const plugin = makePlugin(fake);
      const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('499.50'), currency: 'INR' }, null)) as string) as { order_id: string };
      const result = fake.checkout(token.order_id, { status: 'captured' });
      await call(plugin.processPayment(payment({ paymentId: 'pay-host-C', token: JSON.stringify(result) }), null));
      const response = (await deliver(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id })))!;
      expect(response.events?.map((e) => e.paymentId)).to.deep.equal(['pay-host-C']);
    });

    it('503 (Razorpay retries) when the order cannot be fetched: no event names a payment from the notes alone', async () => {
      const ids = await checkoutNamingAnother();
      fake.injectError({ method: 'GET', path: '/v1/orders/' }, 500, { code: 'SERVER_ERROR', description: 'The server encountered an error.' });
      const response = (await deliver(fake.webhook('payment.captured', { paymentId: ids.paymentId })))!;
      expect(response.status).to.equal(503);
      expect(response.events).to.deep.equal([]);
      expect(response.body).to.deep.include({ code: 'order_unavailable' });
    });

    it('an order Razorpay refuses for good (older than 180 days) is not retried for ever: the event names no payment from customer notes, the PSP reference decides', async () => {
      const ids = await checkoutNamingAnother();
      fake.injectError({ method: 'GET', path: '/v1/orders/' }, 400, { code: 'BAD_REQUEST_ERROR', description: 'Order older than 180 days, please use reports' });
      const response = (await deliver(fake.webhook('payment.captured', { paymentId: ids.paymentId })))!;
      expect(response.status).to.equal(200);
      expect(response.events?.map((e) => [e.paymentId, e.pspReference])).to.deep.equal([[null, ids.paymentId]]);
    });
  });

  it('normalizes payment.failed with the mapped unified code and Razorpay\'s message', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '10.00', 'INR');
    const failed = fake.checkout(order_id, { status: 'failed', error: { reason: 'card_expired', description: 'Your card has expired' } });
    const response = (await deliver(fake.webhook('payment.failed', { paymentId: failed.razorpay_payment_id }, { eventId: 'evt_failed' })))!;
    expect(response.status).to.equal(200);
    expect(response.events?.[0]?.response).to.deep.include({ isSuccess: false, kind: 'auth', errorCode: 'expired', error: 'Your card has expired' });
  });

  it('takes the event id from x-razorpay-event-id, else derives a stable one from the payload', async () => {
    const { paymentId } = await capturedPayment();
    const withId = (await deliver(fake.webhook('payment.captured', { paymentId }, { eventId: 'evt_header' })))!;
    expect(withId.events?.[0]?.eventId).to.equal('evt_header');
    const createdAt = Math.floor(Date.now() / 1000);
    const noHeader = fake.webhook('payment.captured', { paymentId }, { eventId: null, createdAt });
    const first = (await deliver(noHeader))!;
    const again = (await deliver(noHeader))!;
    expect(first.events?.[0]?.eventId).to.equal(`payment.captured:${paymentId}:${createdAt}`);
    expect(again.events?.[0]?.eventId).to.equal(first.events?.[0]?.eventId);
  });

  it('a duplicate delivery carries the same event id, so the host inbox applies it once', async () => {
    const { paymentId } = await capturedPayment();
    const delivery = fake.webhook('payment.captured', { paymentId });
    const inbox = new Set<string>();
    let applied = 0;
    for (let i = 0; i < 3; i++) {
      const response = (await deliver(delivery))!;
      expect(response.status).to.equal(200);
      for (const event of response.events ?? []) {
        if (inbox.has(event.eventId)) continue;
        inbox.add(event.eventId);
        applied += 1;
      }
    }
    expect(applied).to.equal(1);
  });

  it('refuses bad signatures (401, no events): missing, wrong secret, tampered body, signature of another body', async () => {
    const { paymentId } = await capturedPayment();
    const good = fake.webhook('payment.captured', { paymentId });
    const wrongSecret = signRazorpayWebhook(good.payload, 'not-the-webhook-secret', 'evt_x');
    const tampered = Buffer.from(good.rawBody.toString('utf8').replace('"amount":49950', '"amount":1'));
    const other = fake.webhook('payment.authorized', { paymentId });
    const cases: Array<Pick<RazorpayWebhookDelivery, 'rawBody' | 'headers'>> = [
      { rawBody: good.rawBody, headers: { 'content-type': 'application/json' } },
      wrongSecret,
      { rawBody: tampered, headers: good.headers },
      { rawBody: good.rawBody, headers: { ...good.headers, 'x-razorpay-signature': other.headers['x-razorpay-signature'] as string } },
      { rawBody: good.rawBody, headers: { ...good.headers, 'x-razorpay-signature': '' } },
    ];
    for (const delivery of cases) {
      const response = (await deliver(delivery))!;
      expect(response.status).to.equal(401);
      expect(response.events).to.deep.equal([]);
      expect(response.body).to.deep.include({ code: 'invalid_signature' });
    }
    expect(tampered.equals(good.rawBody)).to.equal(false);
  });

  it('header names are matched whatever their case', async () => {
    const { paymentId } = await capturedPayment();
    const good = fake.webhook('payment.captured', { paymentId }, { eventId: 'evt_case' });
    const headers = { 'X-Razorpay-Signature': good.headers['x-razorpay-signature'] as string, 'X-Razorpay-Event-Id': 'evt_case' };
    const response = (await deliver({ rawBody: good.rawBody, headers }))!;
    expect(response.status).to.equal(200);
    expect(response.events?.[0]?.eventId).to.equal('evt_case');
  });

  it('refuses non-POST (405) and non-JSON or non-event bodies (400); acknowledges stale events (200) without applying them', async () => {
    const { paymentId } = await capturedPayment();
    expect((await deliver(fake.webhook('payment.captured', { paymentId }), 'GET'))!.status).to.equal(405);
    const notJson = Buffer.from('not json');
    const signed = signRazorpayWebhook({}, fake.webhookSecret, 'evt_1');
    const notJsonDelivery = { rawBody: notJson, headers: { 'x-razorpay-signature': razorpayWebhookSignature(notJson, fake.webhookSecret) } };
    expect((await deliver(notJsonDelivery))!.status).to.equal(400);
    expect((await deliver(signed))!.body).to.deep.include({ code: 'invalid_body' });
    const stale = fake.webhook('payment.captured', { paymentId }, { createdAt: Math.floor(Date.now() / 1000) - 3 * 86_400 });
    const response = (await deliver(stale))!;
    expect(response).to.deep.include({ status: 200, events: [] });
    expect(response.body).to.deep.include({ ignored: 'stale_event' });
  });

  it('acknowledges event types it does not apply, without events', async () => {
    const { paymentId } = await capturedPayment();
    const response = (await deliver(fake.webhook('payment.dispute.created', { paymentId })))!;
    expect(response).to.deep.include({ status: 200, events: [] });
  });

  it('during a secret change, takes events signed with previous_webhook_secret too (Razorpay retries them as sent), and no other secret', async () => {
    const { paymentId } = await capturedPayment();
    const signedWithOld = fake.webhook('payment.captured', { paymentId }, { eventId: 'evt_rotation' });
    const viaManager = async (overrides: Record<string, string>) => {
      const rotated = makeManager(fake, { webhook_secret: 'whsec_the_new_one', ...overrides });
      try {
        return (await rotated.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: signedWithOld.headers, rawBody: signedWithOld.rawBody }))!;
      } finally {
        await rotated.close();
      }
    };
    const accepted = await viaManager({ previous_webhook_secret: fake.webhookSecret });
    expect(accepted.status).to.equal(200);
    expect(accepted.events?.[0]?.eventId).to.equal('evt_rotation');
    expect((await viaManager({})).status, 'the old secret alone is no longer the configured one').to.equal(401);
    expect((await viaManager({ previous_webhook_secret: 'whsec_some_other' })).status).to.equal(401);
    const signedWithNew = { ...signedWithOld, headers: { ...signedWithOld.headers, 'x-razorpay-signature': razorpayWebhookSignature(signedWithOld.rawBody, 'whsec_the_new_one') } };
    const rotated = makeManager(fake, { webhook_secret: 'whsec_the_new_one', previous_webhook_secret: fake.webhookSecret });
    try {
      const response = (await rotated.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: signedWithNew.headers, rawBody: signedWithNew.rawBody }))!;
      expect(response.status).to.equal(200);
    } finally {
      await rotated.close();
    }
  });

  it('answers 503 when no webhook secret is configured, and unknown plugins are refused by the manager', async () => {
    const unconfigured = makeManager(fake, { webhook_secret: '' });
    const { paymentId } = await capturedPayment();
    const delivery = fake.webhook('payment.captured', { paymentId });
    const response = (await unconfigured.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: delivery.headers, rawBody: delivery.rawBody }))!;
    expect(response.status).to.equal(503);
    await unconfigured.close();
    await manager.webhook({ channel: CHANNEL, plugin: 'payhost.nope', path: PATH, method: 'POST', headers: delivery.headers, rawBody: delivery.rawBody }).then(
      () => expect.fail('unknown plugin'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('unknown_plugin'),
    );
  });
});
