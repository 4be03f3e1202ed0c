import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, type PluginManager } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, call, clientToken, expectFailure, makeManager, makePlugin, payment, useFakeRazorpay } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';
const key = (): string => `key-${randomUUID()}`;

/** Razorpay refunds are processed, pending or failed: each maps to its own transaction kind. */
describe('razorpay: refund status (processed / pending / failed)', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  async function captured() {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const result = fake.checkout(order_id, { status: 'captured' });
    await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    return { plugin, paymentId: result.razorpay_payment_id };
  }

  it('refundPayment: processed -> refund, pending -> refund_ongoing (success), failed -> failed refund_failed', async () => {
    const { plugin, paymentId } = await captured();
    const refund = (amount: string) => call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal(amount), idempotencyKey: key() }), null));
    expect(await refund('10')).to.deep.include({ isSuccess: true, kind: 'refund' });
    fake.state.refundStatus = 'pending';
    const pending = await refund('20');
    expect(pending).to.deep.include({ isSuccess: true, kind: 'refund_ongoing', errorCode: null });
    expect(pending.amount.eq(20)).to.equal(true);
    fake.state.refundStatus = 'failed';
    const failed = await refund('30');
    expectFailure(failed, 'processing_error', /failed/);
    expect(failed.kind).to.equal('refund_failed');
    expect(failed.rawResponse).to.deep.include({ status: 'failed' });
  });

  it('reconciliation reports a found refund by its status, and a failed one as a failure', async () => {
    const { plugin, paymentId } = await captured();
    fake.state.refundStatus = 'failed';
    const k = 'payhost:refund:pay-host-1:tx-9';
    await call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal('10'), idempotencyKey: k }), null));
    const transaction = { id: 'tx-9', paymentId: 'pay-host-1', kind: 'refund' as const, amount: new Decimal('10'), currency: 'INR', gatewayIdempotencyKey: k, gatewayTransactionId: null, pspReference: paymentId, createdAt: new Date() };
    const status = (await plugin.getTransactionStatus({ transaction, payment: payment({ token: paymentId, amount: new Decimal('10'), idempotencyKey: k }) }, null))!;
    expect(status).to.deep.include({ isSuccess: false, kind: 'refund_failed' });
  });

  describe('through the ledger', () => {
    let manager: PluginManager;
    let service: PaymentService;
    beforeEach(() => {
      manager = makeManager(fake);
      service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    });
    afterEach(() => manager.close());

    async function webhook(event: 'refund.processed' | 'refund.failed', refundId: string, paymentId: string) {
      const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...fake.webhook(event, { refundId, paymentId }) }))!;
      expect(response.events).to.have.length(1);
      return service.applyGatewayEvent({ ...response.events![0]!, gateway: GATEWAY, channel: CHANNEL });
    }

    async function chargedPayment() {
      const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('500'), currency: 'INR' })) as { order_id: string };
      const { payment: rzp, ...result } = fake.checkout(token.order_id);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '500.00', currency: 'INR', token: JSON.stringify(result) });
      await service.process({ paymentId: created.id, idempotencyKey: key() });
      return { id: created.id, razorpayPaymentId: rzp.id };
    }

    it('a pending refund is refund_ongoing (nothing refunded yet); refund.processed then refunds it once', async () => {
      const { id, razorpayPaymentId } = await chargedPayment();
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: id, idempotencyKey: key(), amount: '200.00' });
      expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', isSuccess: true });
      expect(ongoing.payment).to.deep.include({ chargeStatus: 'fully-charged' });
      const refundId = ongoing.transaction.gatewayTransactionId as string;
      fake.state.settleRefund(refundId, 'processed');
      const settled = await webhook('refund.processed', refundId, razorpayPaymentId);
      expect(settled.status).to.equal('applied');
      expect(settled.transaction).to.deep.include({ kind: 'refund', isSuccess: true, gatewayTransactionId: refundId });
      expect(settled.payment.chargeStatus).to.equal('partially-refunded');
      expect(settled.payment.capturedAmount.eq(300)).to.equal(true);
      const again = await webhook('refund.processed', refundId, razorpayPaymentId);
      expect(again.status).to.equal('already_applied');
      expect((await service.getPayment(id)).capturedAmount.eq(300)).to.equal(true);
    });

    it('a pending refund that then fails (refund.failed) leaves the payment charged, with the failure recorded', async () => {
      const { id, razorpayPaymentId } = await chargedPayment();
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: id, idempotencyKey: key(), amount: '200.00' });
      const refundId = ongoing.transaction.gatewayTransactionId as string;
      const whileOngoing = await service.refund({ paymentId: id, idempotencyKey: key(), amount: '300.01' }).then(() => expect.fail('over-refund'), (e: { code?: string }) => e);
      expect(whileOngoing.code, 'the pending 200.00 stays reserved').to.equal('amount_exceeds');
      fake.state.settleRefund(refundId, 'failed');
      const failed = await webhook('refund.failed', refundId, razorpayPaymentId);
      expect(failed.status).to.equal('applied');
      expect(failed.transaction).to.deep.include({ kind: 'refund_failed', isSuccess: false });
      const after = await service.getPayment(id);
      expect(after).to.deep.include({ chargeStatus: 'fully-charged' });
      expect(after.capturedAmount.eq(500)).to.equal(true);
      // Razorpay gave the money back to the payment: all of it can be refunded again.
      fake.state.refundStatus = 'processed';
      const full = await service.refund({ paymentId: id, idempotencyKey: key() });
      expect(full.payment.chargeStatus).to.equal('fully-refunded');
    });

    it('a refund Razorpay answers as failed is a gateway failure, not a refund', async () => {
      const { id } = await chargedPayment();
      fake.state.refundStatus = 'failed';
      const error = await service.refund({ paymentId: id, idempotencyKey: key(), amount: '200.00' }).then(() => expect.fail('failed refund'), (e: unknown) => e);
      expect(error).to.have.property('code', 'gateway_declined');
      const after = await service.getPayment(id);
      expect(after.capturedAmount.eq(500)).to.equal(true);
      expect((await service.listTransactions(id)).at(-1)).to.deep.include({ kind: 'refund_failed', isSuccess: false });
    });
  });
});
