import { expect } from 'chai';
import Stripe from 'stripe';
import { MemoryLedgerStore, PaymentService, type GatewayEvent, type WebhookResponse } from '@payhost/core';
import { handleWebhook, normalizeEvent, readSettings, StripeGatewayPlugin, type StripeGatewayEvent } from '@payhost/plugin-stripe';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, LOCAL_SETTINGS, SECRET_KEY, WEBHOOK_SECRET, call, dec, key, makeLedger, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

function only(res: WebhookResponse): StripeGatewayEvent {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(res.events).to.have.length(1);
  return res.events?.[0] as StripeGatewayEvent;
}

describe('stripe: webhooks', () => {
  const env = useFakeStripe();
  const deliver = (event: Json, options = {}) => call(makePlugin(env.fake).webhook(env.fake.webhook(event, WEBHOOK_SECRET, options), null));

  it('verifies the signature and normalizes payment_intent.succeeded (ids, payment id, amount, ledger key)', async () => {
    const p = payment({ amount: dec('12.34') });
    const charged = await call(makePlugin(env.fake).processPayment(p, null));
    const event = env.fake.lastEvent('payment_intent.succeeded');
    const e = only(await deliver(event));
    expect(e).to.deep.include({ eventId: event['id'], type: 'payment_intent.succeeded', paymentId: p.paymentId, pspReference: charged.pspReference, gatewayIdempotencyKey: p.idempotencyKey });
    expect(e.response).to.deep.include({ isSuccess: true, kind: 'capture', transactionId: charged.transactionId, currency: 'USD' });
    expect(e.response.amount.eq('12.34')).to.equal(true);
    expect(e.occurredAt).to.deep.equal(new Date(Number(event['created']) * 1000));
  });

  it('normalizes every handled event type', async () => {
    const plugin = makePlugin(env.fake, { auto_capture: false });
    const auth = await call(plugin.processPayment(payment({ amount: dec('50.00') }), null));
    const capturable = only(await deliver(env.fake.lastEvent('payment_intent.amount_capturable_updated')));
    expect(capturable.response).to.deep.include({ kind: 'auth', isSuccess: true });
    expect(capturable.response.amount.eq('50')).to.equal(true);

    await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('50.00'), idempotencyKey: key() }), null));
    const refundKey = key('payhost:refund');
    const refund = await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: dec('20.00'), idempotencyKey: refundKey }), null));
    // The refund is in refund.created; charge.refunded no longer lists refunds (API versions since 2022-11-15): nothing from it.
    const refunded = only(await deliver(env.fake.lastEvent('refund.created')));
    expect(refunded).to.deep.include({ type: 'refund.created', pspReference: auth.pspReference, gatewayIdempotencyKey: refundKey });
    expect(refunded.response).to.deep.include({ kind: 'refund', isSuccess: true, transactionId: refund.transactionId });
    expect(refunded.response.amount.eq('20')).to.equal(true);
    expect((await deliver(env.fake.lastEvent('charge.refunded'))).events).to.deep.equal([]);

    env.fake.openDispute(auth.pspReference ?? '', 'fraudulent');
    const dispute = only(await deliver(env.fake.lastEvent('charge.dispute.created')));
    expect(dispute).to.deep.include({ pspReference: auth.pspReference, gatewayIdempotencyKey: null });
    expect(dispute.response).to.deep.include({ kind: 'external', isSuccess: true });
    expect(dispute.response.rawResponse).to.deep.include({ object: 'dispute', reason: 'fraudulent' });

    await call(plugin.processPayment(payment({ token: 'pm_card_chargeDeclinedInsufficientFunds' }), null));
    const failed = only(await deliver(env.fake.lastEvent('payment_intent.payment_failed')));
    expect(failed.response).to.deep.include({ isSuccess: false, kind: 'auth', errorCode: 'declined', error: 'Your card has insufficient funds.' });

    const toVoid = await call(plugin.authorizePayment(payment(), null));
    await call(plugin.voidPayment(payment({ token: toVoid.transactionId, idempotencyKey: key() }), null));
    const canceled = only(await deliver(env.fake.lastEvent('payment_intent.canceled')));
    expect(canceled.response).to.deep.include({ kind: 'cancel', isSuccess: true });

    await call(plugin.processPayment(payment({ token: 'pm_card_processing' }), null));
    const processing = only(await deliver(env.fake.lastEvent('payment_intent.processing')));
    expect(processing.response).to.deep.include({ kind: 'pending', isSuccess: true });
  });

  it('events of a connected account (REMOTE) keep the account in the transaction reference', async () => {
    const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: 'acct_provider1' });
    const charged = await call(plugin.processPayment(payment(), null));
    const event = env.fake.lastEvent('payment_intent.succeeded');
    expect(event['account']).to.equal('acct_provider1');
    expect(only(await call(plugin.webhook(env.fake.webhook(event, WEBHOOK_SECRET), null))).response.transactionId).to.equal(charged.transactionId);
  });

  it('rejects a bad signature (400 invalid_signature), a tampered body, a missing header: no events', async () => {
    await call(makePlugin(env.fake).processPayment(payment(), null));
    const event = env.fake.lastEvent('payment_intent.succeeded');
    const wrong = await deliver(event, { secret: 'whsec_someoneElse' });
    expect(wrong).to.deep.include({ status: 400, events: [] });
    expect(wrong.body).to.deep.include({ code: 'invalid_signature' });
    const tampered = env.fake.webhook(event, WEBHOOK_SECRET);
    tampered.rawBody = Buffer.from(tampered.rawBody.toString('utf8').replace('"amount_received": 1000', '"amount_received": 9000'));
    const res = await call(makePlugin(env.fake).webhook(tampered, null));
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.include({ code: 'invalid_signature' });
    const unsigned = env.fake.webhook(event, WEBHOOK_SECRET);
    delete (unsigned.headers as Record<string, string>)['stripe-signature'];
    expect((await call(makePlugin(env.fake).webhook(unsigned, null))).body).to.deep.include({ code: 'invalid_signature' });
  });

  it('rejects a stale timestamp (400 stale_timestamp) outside the tolerance window; the window is configurable', async () => {
    await call(makePlugin(env.fake).processPayment(payment(), null));
    const event = env.fake.lastEvent('payment_intent.succeeded');
    const old = Math.floor(Date.now() / 1000) - 301;
    const stale = await deliver(event, { timestamp: old });
    expect(stale).to.deep.include({ status: 400, events: [] });
    expect(stale.body).to.deep.include({ code: 'stale_timestamp' });
    const lenient = await call(makePlugin(env.fake, { webhook_tolerance_seconds: '600' }).webhook(env.fake.webhook(event, WEBHOOK_SECRET, { timestamp: old }), null));
    expect(lenient.status).to.equal(200);
  });

  it('acknowledges unknown event types with 200 and no events', async () => {
    await call(makePlugin(env.fake, { store_customer: true }).processPayment(payment({ customerId: 'u' }), null));
    const res = await deliver(env.fake.lastEvent('customer.created'));
    expect(res).to.deep.include({ status: 200, events: [] });
    expect(res.body).to.deep.include({ received: true, type: 'customer.created', handled: false });
  });

  it('charge.refunded without the refund list (recent API versions): the refund\'s status is unknown, so no ledger event (refund.created carries it)', () => {
    const event = {
      id: 'evt_a',
      object: 'event',
      type: 'charge.refunded',
      created: 1_700_000_000,
      request: { id: null, idempotency_key: null },
      data: { object: { id: 'ch_1', object: 'charge', amount: 5000, amount_refunded: 1000, currency: 'eur', payment_intent: 'pi_1', metadata: { payhost_payment_id: 'pay-1' } }, previous_attributes: { amount_refunded: 0 } },
    } as never;
    expect(normalizeEvent(event, LOCAL_SETTINGS)).to.deep.equal([]);
  });

  it('does not take SDK-generated or derived idempotency keys for ledger keys', () => {
    const event = (key: string) =>
      ({ id: 'evt_k', object: 'event', type: 'payment_intent.processing', created: 1, request: { id: 'req_1', idempotency_key: key }, data: { object: { id: 'pi_2', object: 'payment_intent', status: 'processing', amount: 100, amount_capturable: 0, amount_received: 0, currency: 'usd', metadata: { payhost_payment_id: 'p' } } } }) as never;
    expect(normalizeEvent(event('payhost:process:p:t'), LOCAL_SETTINGS)[0]?.gatewayIdempotencyKey).to.equal('payhost:process:p:t');
    expect(normalizeEvent(event('stripe-node-retry-1234'), LOCAL_SETTINGS)[0]?.gatewayIdempotencyKey).to.equal(null);
    expect(normalizeEvent(event('payhost:process:p:t#customer'), LOCAL_SETTINGS)[0]?.gatewayIdempotencyKey).to.equal(null);
  });

  it('answers clearly for a missing secret, a wrong method or path', () => {
    const settings = readSettings({ ...StripeGatewayPlugin.defaultConfiguration, secret_key: SECRET_KEY }, true);
    const request = { path: '/webhook', method: 'POST', headers: { 'stripe-signature': 't=1,v1=x' }, rawBody: Buffer.from('{}') };
    expect(handleWebhook(request, settings)).to.deep.include({ status: 500, body: { code: 'webhook_not_configured', message: 'webhook_secret is not configured for this channel' } });
    const configured = { ...settings, webhookSecret: WEBHOOK_SECRET };
    expect(handleWebhook({ ...request, method: 'GET' }, configured).status).to.equal(405);
    expect(handleWebhook({ ...request, path: '/other' }, configured).status).to.equal(404);
    expect(handleWebhook({ ...request, headers: { 'Stripe-Signature': 't=1,v1=x' } }, configured).body).to.deep.include({ code: 'invalid_signature' });
  });

  it('through the manager: /plugins/channel/<channel>/payhost.stripe/webhook', async () => {
    const manager = makeManager(env.fake);
    try {
      await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      const delivery = env.fake.webhook(env.fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET);
      const res = await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, ...delivery });
      expect(res?.status).to.equal(200);
      expect(res?.events?.[0]?.response.kind).to.equal('capture');
    } finally {
      await manager.close();
    }
  });

  describe('into the ledger', () => {
    const apply = (service: PaymentService, event: GatewayEvent) => service.applyGatewayEvent({ ...event, gateway: GATEWAY });
    const eventsOf = async (event: Json) => (await deliver(event)).events ?? [];

    it('duplicates are applied once; events of calls the ledger made change nothing, in any order', async () => {
      const { manager, service } = makeLedger(env.fake, { auto_capture: false });
      try {
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '30.00', currency: 'USD', token: 'pm_card_visa' });
        await service.process({ paymentId: created.id, idempotencyKey: key() });
        await service.capture({ paymentId: created.id, idempotencyKey: key(), amount: '30.00' });
        const [succeeded] = await eventsOf(env.fake.lastEvent('payment_intent.succeeded'));
        const [capturable] = await eventsOf(env.fake.lastEvent('payment_intent.amount_capturable_updated'));
        // newest first, then the older one
        expect((await apply(service, succeeded!)).status).to.equal('already_applied');
        expect((await apply(service, capturable!)).status).to.equal('already_applied');
        expect((await apply(service, succeeded!)).status).to.equal('duplicate');
        const payment = await service.getPayment(created.id);
        expect(payment.chargeStatus).to.equal('fully-charged');
        expect(payment.capturedAmount.eq('30')).to.equal(true);
        expect(await service.listTransactions(created.id)).to.have.length(2);

        // A refund made on Stripe's dashboard: only the webhook tells the ledger, once.
        const dashboard = new Stripe(SECRET_KEY, env.fake.sdkOptions());
        await dashboard.refunds.create({ payment_intent: payment.pspReference ?? '', amount: 1000 });
        expect(await eventsOf(env.fake.lastEvent('charge.refunded'))).to.deep.equal([]); // no refund list on the charge
        const [refunded] = await eventsOf(env.fake.lastEvent('refund.created'));
        expect((await apply(service, refunded!)).status).to.equal('applied');
        expect((await apply(service, refunded!)).status).to.equal('duplicate');
        const after = await service.getPayment(created.id);
        expect(after.chargeStatus).to.equal('partially-refunded');
        expect(after.capturedAmount.eq('20')).to.equal(true);
      } finally {
        await manager.close();
      }
    });

    it('an event that arrives before the API answer is applied to the pending transaction; the answer does not count twice', async () => {
      const manager = makeManager(env.fake);
      const store = new MemoryLedgerStore();
      let early: { status: string } | null = null;
      const service: PaymentService = new PaymentService({
        manager,
        store,
        faults: {
          'after-gateway': async ({ operation }) => {
            if (operation !== 'process') return;
            const [event] = await eventsOf(env.fake.lastEvent('payment_intent.succeeded'));
            early = await apply(service, event!);
          },
        },
      });
      try {
        const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '15.00', currency: 'USD', token: 'pm_card_visa' });
        const result = await service.process({ paymentId: created.id, idempotencyKey: key() });
        expect(early).to.deep.include({ status: 'applied' });
        expect(result.payment.chargeStatus).to.equal('fully-charged');
        expect(result.payment.capturedAmount.eq('15')).to.equal(true);
        expect(await service.listTransactions(created.id)).to.have.length(1);
      } finally {
        await manager.close();
      }
    });
  });
});
