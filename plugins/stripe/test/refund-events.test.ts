import { expect } from 'chai';
import Stripe from 'stripe';
import type { PaymentService } from '@payhost/core';
import { normalizeEvent } from '@payhost/plugin-stripe';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, LOCAL_SETTINGS, SECRET_KEY, WEBHOOK_SECRET, call, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

// A refund Stripe answers `pending` is recorded as refund_ongoing; its later outcome arrives as events.
describe('stripe: refund events (pending refunds settle)', () => {
  const env = useFakeStripe();

  /** The fake's events of one type about one refund, newest last. */
  const eventsAbout = (type: string, refundId: string): Json[] => env.fake.events(type).filter((e) => (e['data'] as { object: Json }).object['id'] === refundId);
  const applyAll = async (service: PaymentService, event: Json) => {
    const res = await call(makePlugin(env.fake).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null));
    expect(res.status).to.equal(200);
    const results = [];
    for (const e of res.events ?? []) results.push((await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL })).status);
    return results;
  };
  const charged = async (service: PaymentService, token = 'pm_card_pendingRefund') => {
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token });
    await service.process({ paymentId: created.id, idempotencyKey: key() });
    return created.id;
  };

  it('a pending refund that succeeds later: refund.updated records the refund once (charge.refund.updated, sent for some payment methods, repeats it)', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const paymentId = await charged(service);
      const r = await service.refund({ paymentId, idempotencyKey: key(), amount: '4.00' });
      expect(r.transaction.kind).to.equal('refund_ongoing');
      expect(r.payment.capturedAmount.eq(10)).to.equal(true);
      const refundId = r.transaction.gatewayTransactionId ?? '';
      // The events of the API call change nothing: the ledger has them.
      expect(await applyAll(service, eventsAbout('refund.created', refundId)[0] as Json)).to.deep.equal(['already_applied']);
      // charge.refunded carries no refund list (API versions since 2022-11-15): nothing to apply.
      expect(await applyAll(service, env.fake.lastEvent('charge.refunded'))).to.deep.equal([]);

      env.fake.settleRefund(refundId, 'succeeded');
      const updated = eventsAbout('refund.updated', refundId)[0] as Json;
      expect(await applyAll(service, updated)).to.deep.equal(['applied']);
      // Card refunds get no charge.refund.updated; for the payment methods that do, it is the same refund again.
      expect(eventsAbout('charge.refund.updated', refundId)).to.deep.equal([]);
      const sibling = { ...updated, id: `${String(updated['id'])}_charge`, type: 'charge.refund.updated' };
      expect(await applyAll(service, sibling)).to.deep.equal(['already_applied']);
      const payment = await service.getPayment(paymentId);
      expect(payment.chargeStatus).to.equal('partially-refunded');
      expect(payment.capturedAmount.eq(6)).to.equal(true);
      const kinds = (await service.listTransactions(paymentId)).map((t) => [t.kind, t.isSuccess, t.amount.toString(), t.gatewayTransactionId]);
      expect(kinds).to.deep.equal([
        ['capture', true, '10', payment.pspReference],
        ['refund_ongoing', true, '4', refundId],
        ['refund', true, '4', refundId],
      ]);
    } finally {
      await manager.close();
    }
  });

  it('a pending refund that fails or is canceled: refund_failed, the captured amount stays', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const paymentId = await charged(service);
      const failing = await service.refund({ paymentId, idempotencyKey: key(), amount: '4.00' });
      const canceled = await service.refund({ paymentId, idempotencyKey: key(), amount: '3.00' });
      env.fake.settleRefund(failing.transaction.gatewayTransactionId ?? '', 'failed');
      env.fake.settleRefund(canceled.transaction.gatewayTransactionId ?? '', 'canceled');
      for (const e of env.fake.events('refund.updated')) expect(await applyAll(service, e)).to.deep.equal(['applied']);
      const payment = await service.getPayment(paymentId);
      expect(payment.capturedAmount.eq(10)).to.equal(true);
      expect(payment.chargeStatus).to.equal('fully-charged');
      const settled = (await service.listTransactions(paymentId)).slice(3).map((t) => [t.kind, t.isSuccess, t.amount.toString(), t.errorCode]);
      expect(settled).to.deep.equal([
        ['refund_failed', false, '4', 'processing_error'],
        ['refund_failed', false, '3', 'processing_error'],
      ]);
    } finally {
      await manager.close();
    }
  });

  it('a refund that had succeeded and then fails gives the money back (refund_reversed)', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const paymentId = await charged(service, 'pm_card_visa');
      const r = await service.refund({ paymentId, idempotencyKey: key(), amount: '4.00' });
      expect(r.transaction.kind).to.equal('refund');
      env.fake.settleRefund(r.transaction.gatewayTransactionId ?? '', 'failed');
      expect(await applyAll(service, env.fake.lastEvent('refund.updated'))).to.deep.equal(['applied']);
      const payment = await service.getPayment(paymentId);
      expect(payment.capturedAmount.eq(10)).to.equal(true);
      expect(payment.chargeStatus).to.equal('fully-charged');
      expect((await service.listTransactions(paymentId)).at(-1)).to.deep.include({ kind: 'refund_reversed', isSuccess: true });
    } finally {
      await manager.close();
    }
  });

  it('a refund made on the dashboard: refund.created records it once, with its own status', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const paymentId = await charged(service);
      const { pspReference } = await service.getPayment(paymentId);
      const dashboard = new Stripe(SECRET_KEY, env.fake.sdkOptions());
      const refund = await dashboard.refunds.create({ payment_intent: pspReference ?? '', amount: 250 });
      expect(refund.status).to.equal('pending');
      expect(await applyAll(service, env.fake.lastEvent('refund.created'))).to.deep.equal(['applied']);
      expect(await applyAll(service, env.fake.lastEvent('charge.refunded'))).to.deep.equal([]);
      expect((await service.getPayment(paymentId)).capturedAmount.eq(10)).to.equal(true);
      env.fake.settleRefund(refund.id, 'succeeded');
      expect(env.fake.events('charge.refund.updated')).to.deep.equal([]);
      expect(await applyAll(service, env.fake.lastEvent('refund.updated'))).to.deep.equal(['applied']);
      expect(await applyAll(service, env.fake.lastEvent('refund.updated'))).to.deep.equal(['duplicate']);
      expect((await service.getPayment(paymentId)).capturedAmount.eq('7.5')).to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it('charge.refunded never records a pending refund as completed, with or without the refund list', async () => {
    await call(makePlugin(env.fake).processPayment(payment({ token: 'pm_card_pendingRefund' }), null));
    const dashboard = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    const intent = [...env.fake.state.account(null).paymentIntents.keys()][0] ?? '';
    const refund = await dashboard.refunds.create({ payment_intent: intent, amount: 400 });
    // The API version the fake speaks sends the charge without its refunds: the status is unknown, nothing is recorded.
    const withoutList = env.fake.lastEvent('charge.refunded') as { data: { object: Json } };
    expect(withoutList.data.object).to.not.have.property('refunds');
    expect(normalizeEvent(withoutList as never, LOCAL_SETTINGS)).to.deep.equal([]);
    const res = await call(makePlugin(env.fake).webhook(env.fake.webhook(withoutList as never, WEBHOOK_SECRET), null));
    expect(res).to.deep.include({ status: 200, events: [] });
    // An endpoint pinned to an API version before 2022-11-15 gets the list: the newest refund, with its own status.
    const withList = JSON.parse(JSON.stringify(withoutList)) as { data: { object: Json } };
    withList.data.object['refunds'] = { object: 'list', data: [refund], has_more: false, url: `/v1/charges/${String(refund.charge)}/refunds` };
    expect(normalizeEvent(withList as never, LOCAL_SETTINGS).map((e) => e.response.kind)).to.deep.equal(['refund_ongoing']);
  });
});
