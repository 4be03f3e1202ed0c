import { expect } from 'chai';
import { Decimal, type PluginManager, type WebhookResponse } from '@payhost/core';
import { FakeRazorpay, razorpayWebhookSignature, signRazorpayWebhook, type RazorpayWebhookDelivery } from '@payhost/testkit/razorpay';
import { paymentNoteSignature } from '@payhost/plugin-razorpay';
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

    /** An order created before any host payment (no payhost_payment_id note), paid in Checkout with `notes`. */
    async function orderlessCheckout(status: 'authorized' | 'captured' | 'failed', notes: Record<string, string> = {}) {
      const plugin = makePlugin(fake);
      const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('499.50'), currency: 'INR' }, null)) as string) as { order_id: string };
      const { payment: rzp, ...result } = fake.checkout(token.order_id, { status, notes });
      return { plugin, orderId: token.order_id, paymentId: rzp.id, token: JSON.stringify(result) };
    }

    /** The host payment ids each event type names for a payment (order.paid only once it is captured). */
    async function namedBy(ids: { paymentId: string; orderId: string }): Promise<Record<string, Array<string | null>>> {
      const types = fake.state.payment(ids.paymentId).status === 'captured' ? ['payment.authorized', 'payment.captured', 'order.paid'] : ['payment.authorized'];
      const named: Record<string, Array<string | null>> = {};
      for (const type of types) {
        const response = (await deliver(fake.webhook(type, { paymentId: ids.paymentId, ...(type === 'order.paid' ? { orderId: ids.orderId } : {}) })))!;
        expect(response.status, type).to.equal(200);
        named[type] = (response.events ?? []).map((e) => e.paymentId ?? null);
        expect(response.events?.map((e) => e.pspReference), type).to.deep.equal([ids.paymentId]);
      }
      return named;
    }

    it('payment notes count when the order names no payment only as the plugin\'s own claim, which it signs', async () => {
      const { plugin, paymentId, orderId, token } = await orderlessCheckout('captured');
      await call(plugin.processPayment(payment({ paymentId: 'pay-host-C', token }), null));
      expect(fake.state.payment(paymentId).notes).to.have.keys('payhost_payment_id', 'payhost_payment_sig');
      expect(await namedBy({ paymentId, orderId })).to.deep.equal({ 'payment.authorized': ['pay-host-C'], 'payment.captured': ['pay-host-C'], 'order.paid': ['pay-host-C'] });
    });

    it('a payment note the customer wrote in Checkout names no payment: the events go by the pay_ reference alone, payment.failed is not applied', async () => {
      const captured = await orderlessCheckout('captured', { payhost_payment_id: 'pay-host-victim' });
      expect(await namedBy(captured)).to.deep.equal({ 'payment.authorized': [null], 'payment.captured': [null], 'order.paid': [null] });
      const authorized = await orderlessCheckout('authorized', { payhost_payment_id: 'pay-host-victim' });
      expect(await namedBy(authorized)).to.deep.equal({ 'payment.authorized': [null] });
      const failed = await orderlessCheckout('failed', { payhost_payment_id: 'pay-host-victim' });
      const response = (await deliver(fake.webhook('payment.failed', { paymentId: failed.paymentId })))!;
      expect(response).to.deep.include({ status: 200, events: [] });
      expect(response.body).to.deep.include({ ignored: 'payment_not_matched' });
    });

    it('after processPayment too: the customer\'s note naming another payment refuses the host payment that processes it, and the events still name no payment', async () => {
      const ids = await orderlessCheckout('authorized', { payhost_payment_id: 'pay-host-victim' });
      const refused = await call(ids.plugin.processPayment(payment({ paymentId: 'pay-host-attacker', token: ids.token }), null));
      expect(refused.rawResponse?.['code']).to.equal('payment_already_used');
      expect(fake.state.payment(ids.paymentId).notes).to.deep.equal({ payhost_payment_id: 'pay-host-victim' });
      expect(await namedBy(ids)).to.deep.equal({ 'payment.authorized': [null] });
    });

    it('a customer note naming the payment that processes it is claimed again, signed: then the events name it', async () => {
      const ids = await orderlessCheckout('captured', { payhost_payment_id: 'pay-host-C' });
      expect(await namedBy(ids)).to.deep.equal({ 'payment.authorized': [null], 'payment.captured': [null], 'order.paid': [null] });
      await call(ids.plugin.processPayment(payment({ paymentId: 'pay-host-C', token: ids.token }), null));
      expect(fake.requests.filter((r) => r.method === 'PATCH')).to.have.length(1);
      expect(await namedBy(ids)).to.deep.equal({ 'payment.authorized': ['pay-host-C'], 'payment.captured': ['pay-host-C'], 'order.paid': ['pay-host-C'] });
    });

    it('a forged or altered signature is refused: made up, of another payment\'s claim, with another key secret, or kept under another host payment id', async () => {
      // A signature the plugin really made, for pay-host-victim on another Razorpay payment.
      const victims = await orderlessCheckout('captured');
      await call(victims.plugin.processPayment(payment({ paymentId: 'pay-host-victim', token: victims.token }), null));
      const victimSig = fake.state.payment(victims.paymentId).notes['payhost_payment_sig'] as string;
      expect(victimSig).to.match(/^[A-Za-z0-9_-]{43}$/);
      const attacker = await orderlessCheckout('captured');
      const forgeries: Record<string, string> = {
        'made up': 'A'.repeat(43),
        'altered': `${victimSig.slice(0, -1)}${victimSig.endsWith('A') ? 'B' : 'A'}`,
        'another payment\'s claim': victimSig,
        'another key secret': paymentNoteSignature('not-the-key-secret', attacker.paymentId, 'pay-host-victim'),
        'empty': '',
      };
      for (const [name, sig] of Object.entries(forgeries)) {
        fake.state.payment(attacker.paymentId).notes = { payhost_payment_id: 'pay-host-victim', payhost_payment_sig: sig };
        expect(await namedBy(attacker), name).to.deep.equal({ 'payment.authorized': [null], 'payment.captured': [null], 'order.paid': [null] });
      }
      // The plugin's own claim, its id changed afterwards (the signature kept): refused too.
      fake.state.payment(attacker.paymentId).notes = {};
      await call(attacker.plugin.processPayment(payment({ paymentId: 'pay-host-attacker', token: attacker.token }), null));
      const claimed = fake.state.payment(attacker.paymentId).notes;
      expect(claimed['payhost_payment_sig']).to.equal(paymentNoteSignature(fake.keySecret, attacker.paymentId, 'pay-host-attacker'));
      fake.state.payment(attacker.paymentId).notes = { ...claimed, payhost_payment_id: 'pay-host-victim' };
      expect(await namedBy(attacker)).to.deep.equal({ 'payment.authorized': [null], 'payment.captured': [null], 'order.paid': [null] });
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
