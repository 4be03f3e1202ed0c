import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, call, expectFailure, expectSuccess, makeManager, makePlugin, payment, useFakeRazorpay } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;

/** One Razorpay payment can pay one host payment only, whether or not its order named the host payment. */
describe('razorpay: a checkout result cannot pay two host payments (replay)', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  /** A checkout whose order was created before the host payment existed (no payhost_payment_id note). */
  async function unboundCheckout(plugin: ReturnType<typeof makePlugin>, status: 'authorized' | 'captured' = 'authorized') {
    const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('499.50'), currency: 'INR' }, null)) as string) as { order_id: string };
    const { payment: rzp, ...result } = fake.checkout(token.order_id, { status });
    return { token: JSON.stringify(result), razorpayPaymentId: rzp.id };
  }

  it('the first host payment claims the Razorpay payment; the same token for another host payment is refused, nothing captured twice', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const { token, razorpayPaymentId } = await unboundCheckout(plugin);
    const first = await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null));
    expectSuccess(first, 'capture', '499.50');
    expect(fake.state.payment(razorpayPaymentId).notes).to.deep.include({ payhost_payment_id: 'host-P1' });
    const replay = await call(plugin.processPayment(payment({ paymentId: 'host-P2', token }), null));
    expectFailure(replay, 'processing_error', /already used for payment host-P1, not host-P2/, 'payment_already_used');
    const replayAuth = await call(plugin.authorizePayment(payment({ paymentId: 'host-P3', token }), null));
    expectFailure(replayAuth, 'processing_error', /already used for payment host-P1/, 'payment_already_used');
    // The owner's own retry still gets its capture.
    expectSuccess(await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null)), 'capture', '499.50');
    expect(fake.requests.filter((r) => r.path.endsWith('/capture'))).to.have.length(1);
  });

  it('an order created for a host payment binds its payment to it, whatever the customer put in Checkout\'s notes', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('499.50'), currency: 'INR', data: { paymentId: 'host-A' } }, null)) as string) as { order_id: string };
    const { payment: rzp, ...result } = fake.checkout(token.order_id, { notes: { payhost_payment_id: 'host-B' } });
    expectSuccess(await call(plugin.processPayment(payment({ paymentId: 'host-A', token: JSON.stringify(result) }), null)), 'capture', '499.50');
    expect(fake.state.payment(rzp.id).status).to.equal('captured');
    expectFailure(await call(plugin.processPayment(payment({ paymentId: 'host-B', token: JSON.stringify(result) }), null)), 'processing_error', /created for payment host-A/, 'order_mismatch');
  });

  it('a payment Razorpay already captured is claimed too, before it is reported', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const { token } = await unboundCheckout(plugin, 'captured');
    expectSuccess(await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null)), 'capture', '499.50');
    expectFailure(await call(plugin.processPayment(payment({ paymentId: 'host-P2', token }), null)), 'processing_error', /already used/, 'payment_already_used');
  });

  it('if the claim cannot be written, nothing is captured and the outcome is unknown (the customer paid; the owner can retry)', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const { token, razorpayPaymentId } = await unboundCheckout(plugin);
    fake.injectError({ method: 'PATCH' }, 500, { code: 'SERVER_ERROR', description: 'The server encountered an error.' });
    const failed = await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null));
    expectFailure(failed, 'processing_error', /Could not bind Razorpay payment/, 'payment_binding_failed');
    expect(failed.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(failed.pspReference).to.equal(razorpayPaymentId);
    expect(fake.state.payment(razorpayPaymentId).status).to.equal('authorized');
    expectSuccess(await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null)), 'capture', '499.50');
  });

  it('reconciliation does not hand another host payment a Razorpay payment claimed by the first', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const { token, razorpayPaymentId } = await unboundCheckout(plugin);
    await call(plugin.processPayment(payment({ paymentId: 'host-P1', token }), null));
    const input = (paymentId: string) => ({
      transaction: { id: 't', paymentId, kind: 'capture' as const, amount: new Decimal('499.50'), currency: 'INR', gatewayIdempotencyKey: `payhost:process:${paymentId}:t`, gatewayTransactionId: null, pspReference: null, createdAt: new Date() },
      payment: payment({ paymentId, token }),
    });
    expectSuccess((await plugin.getTransactionStatus(input('host-P1'), null))!, 'capture', '499.50');
    const other = (await plugin.getTransactionStatus(input('host-P2'), null))!;
    expectFailure(other, 'processing_error', /already used for payment host-P1/, 'payment_already_used');
    expect(fake.state.payment(razorpayPaymentId).notes['payhost_payment_id']).to.equal('host-P1');
  });

  it('through the ledger: the same checkout token on two payments charges only the first', async () => {
    const manager = makeManager(fake);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    try {
      const order = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
      const { payment: _rzp, ...result } = fake.checkout(order.order_id);
      const token = JSON.stringify(result);
      const p1 = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token });
      const p2 = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token });
      expect((await service.process({ paymentId: p1.id, idempotencyKey: key() })).payment.chargeStatus).to.equal('fully-charged');
      const error = await service.process({ paymentId: p2.id, idempotencyKey: key() }).then(() => expect.fail('replayed'), (e: unknown) => e);
      expect(error).to.have.property('code', 'gateway_declined');
      const after = await service.getPayment(p2.id);
      expect(after).to.deep.include({ chargeStatus: 'not-charged' });
      expect(after.capturedAmount.eq(0)).to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it('through the ledger: two payments with one checkout token at the same time, exactly one charged', async () => {
    const manager = makeManager(fake);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    try {
      const order = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
      const { payment: rzp, ...result } = fake.checkout(order.order_id);
      const token = JSON.stringify(result);
      const [p1, p2] = [
        await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token }),
        await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token }),
      ];
      // Both may read the Razorpay payment unclaimed before either writes its note (no conditional update):
      // whatever the plugin reports, the ledger's PSP reference claim counts the Razorpay payment once.
      const results = await Promise.allSettled([p1, p2].map((p) => service.process({ paymentId: p.id, idempotencyKey: key() })));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      const payments = await Promise.all([p1, p2].map((p) => service.getPayment(p.id)));
      expect(payments.map((p) => p.chargeStatus).sort()).to.deep.equal(['fully-charged', 'not-charged']);
      expect(payments.filter((p) => p.pspReference === rzp.id)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });
});
