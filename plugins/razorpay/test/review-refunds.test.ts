import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, createLogger, silentLogger, type Payment, type PluginManager } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY } from './helpers.js';
import { key, useRazorpayLedger } from './ledger-suite.js';

// Refunds whose outcome only a person can record: one left pending (refund_ongoing) whose settling event
// was ignored as stale, and one whose answer was lost, resolved from the dashboard.
describe('razorpay: refunds settled from the review list', function () {
  let fake: FakeRazorpay;
  let manager: PluginManager;
  let service: PaymentService;
  useRazorpayLedger((ledger) => ({ fake, manager, service } = ledger), { logger: silentLogger() });

  async function charged(): Promise<{ payment: Payment; rzp: string }> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
    const { payment: _p, ...handler } = fake.checkout(token.order_id);
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: JSON.stringify(handler) });
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    return { payment, rzp: handler.razorpay_payment_id };
  }

  async function deliver(delivery: { rawBody: Buffer; headers: Record<string, string> }): Promise<unknown[]> {
    const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', ...delivery }))!;
    const out: unknown[] = [response.body];
    for (const event of response.events ?? []) out.push((await service.applyGatewayEvent({ ...event, gateway: GATEWAY, channel: CHANNEL })).status);
    return out;
  }

  /** What Razorpay still holds captured for the payment, in rupees. */
  const truthCaptured = (rzp: string): Decimal => {
    const p = fake.state.payment(rzp);
    return new Decimal(p.amount - p.amount_refunded).div(100);
  };

  it('a refund payhost did not ask for (a dashboard refund, recorded ongoing from an event) is reconciled by its refund id', async () => {
    const logged: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void logged.push(line) });
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger });
    const { payment, rzp } = await charged();
    fake.state.refundStatus = 'pending';
    const dashboard = fake.state.refund(rzp, { amount: 10000 });
    const ongoing = await service.applyGatewayEvent({ gateway: GATEWAY, channel: CHANNEL, eventId: `evt-${dashboard.id}`, paymentId: payment.id, response: { isSuccess: true, kind: 'refund_ongoing', amount: '100', currency: 'INR', transactionId: dashboard.id } });
    expect(ongoing.transaction?.gatewayIdempotencyKey).to.match(/^event:/);
    // Still pending at Razorpay: held, and nothing logged as an incoherent answer (it was a capture answer for a refund).
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([ongoing.transaction!.id]);
    fake.state.settleRefund(dashboard.id, 'processed');
    expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([ongoing.transaction!.id]);
    expect((await service.getPayment(payment.id)).capturedAmount.eq(truthCaptured(rzp))).to.equal(true);
    expect(truthCaptured(rzp).toFixed(2)).to.equal('399.50');
    expect(logged.filter((line) => JSON.parse(line).level >= 50)).to.deep.equal([]);
  });

  for (const settleAs of ['processed', 'failed'] as const) {
    it(`a pending refund Razorpay ${settleAs}, its event resent after 48 h (stale): listed for review, settled by a person`, async () => {
      const { payment, rzp } = await charged();
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      const refundId = ongoing.transaction.gatewayTransactionId!;
      fake.state.settleRefund(refundId, settleAs);
      const stale = await deliver(fake.webhook(`refund.${settleAs}`, { paymentId: rzp, refundId }, { createdAt: Math.floor(Date.now() / 1000) - 3 * 86400 }));
      expect(stale).to.have.length(1);
      expect(stale[0]).to.deep.include({ ignored: 'stale_event' });

      const [item, ...more] = await service.listReview();
      expect(more).to.have.length(0);
      expect(item!.transaction.id).to.equal(ongoing.transaction.id);
      await service.resolveReview({ transactionId: ongoing.transaction.id, outcome: settleAs === 'processed' ? 'succeeded' : 'failed', note: `Dashboard: ${refundId} ${settleAs}` });
      expect(await service.listReview()).to.deep.equal([]);
      expect((await service.getPayment(payment.id)).capturedAmount.eq(truthCaptured(rzp))).to.equal(true);

      // Nothing is reserved any more: the rest (all of it, when the refund failed) can be refunded.
      fake.state.refundStatus = 'processed';
      const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
      expect(rest.transaction.amount.toFixed()).to.equal(settleAs === 'processed' ? '399.5' : '499.5');
      const final = await service.getPayment(payment.id);
      expect(final.capturedAmount.eq(truthCaptured(rzp))).to.equal(true);
      expect(final.chargeStatus).to.equal('fully-refunded');
    });
  }

  for (const settleAs of ['processed', 'failed', 'pending'] as const) {
    it(`a pending refund Razorpay ${settleAs}, its event never applied: reconcile() ${settleAs === 'pending' ? 'leaves it ongoing' : 'settles it from GET refunds'}`, async () => {
      const { payment, rzp } = await charged();
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      const refundId = ongoing.transaction.gatewayTransactionId!;
      if (settleAs !== 'pending') fake.state.settleRefund(refundId, settleAs);
      const report = await service.reconcile({ minAgeMs: 0 });
      const settled = settleAs !== 'pending';
      expect(report[settled ? 'applied' : 'held']).to.deep.equal([ongoing.transaction.id]);
      // Razorpay counts a pending refund in amount_refunded already; the ledger moves nothing until it is processed.
      const captured = (await service.getPayment(payment.id)).capturedAmount;
      expect(settled ? captured.eq(truthCaptured(rzp)) : captured.eq('499.5')).to.equal(true);
      expect((await service.listReview()).length).to.equal(settled ? 0 : 1);
      // The event that follows (resent, now fresh) counts nothing again.
      if (settleAs === 'processed') {
        expect(await deliver(fake.webhook('refund.processed', { paymentId: rzp, refundId }))).to.deep.include('already_applied');
        expect((await service.getPayment(payment.id)).capturedAmount.toFixed()).to.equal('399.5');
      }
    });
  }

  it('a lost refund resolved succeeded needs its rfnd_ id; with it, refund.processed that follows is not counted again', async () => {
    const { payment, rzp } = await charged();
    fake.loseAnswer({ method: 'POST', path: /\/refund$/ }, { thenDrop: 1 });
    expect(await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' }).then(() => 'ok', (e: { code?: string }) => e.code)).to.equal('outcome_unknown');
    const [held] = await service.listReview();
    const noId = await service.resolveReview({ transactionId: held!.transaction.id, outcome: 'succeeded', note: 'Dashboard: refunded 100 (ana)' }).then(
      () => null,
      (e: { code?: string; details?: Record<string, unknown> }) => [e.code, e.details?.['field']],
    );
    expect(noId).to.deep.equal(['invalid_input', 'gatewayTransactionId']);
    const refundId = fake.state.refundsOf(rzp)[0]!.id;
    await service.resolveReview({ transactionId: held!.transaction.id, outcome: 'succeeded', gatewayTransactionId: refundId, note: `Dashboard: ${refundId} 100 (ana)` });
    expect(await deliver(fake.webhook('refund.processed', { paymentId: rzp, refundId }))).to.deep.include('already_applied');
    const after = await service.getPayment(payment.id);
    expect(after.capturedAmount.toFixed()).to.equal('399.5');
    expect(after.capturedAmount.eq(truthCaptured(rzp))).to.equal(true);
  });
});
