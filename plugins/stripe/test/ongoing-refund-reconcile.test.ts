import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService } from '@payhost/core';
import { CHANNEL, call, key, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

// A refund Stripe answered `pending` (refund_ongoing) whose refund.updated never reached the host:
// reconcile() asks Stripe about it (getTransactionStatus) and settles it once Stripe shows it finished.
describe('stripe: reconcile() settles a refund still ongoing whose event was lost', () => {
  const env = useFakeStripe();
  const MIN_AGE_MS = 60_000;

  async function ongoingRefund() {
    const manager = makeManager(env.fake);
    const store = new MemoryLedgerStore();
    let now = Date.parse('2026-03-01T10:00:00Z');
    const service = new PaymentService({ manager, store, clock: () => new Date(now) });
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_pendingRefund' });
    await service.process({ paymentId: created.id, idempotencyKey: key() });
    const r = await service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '4.00' });
    expect(r.transaction.kind).to.equal('refund_ongoing');
    const refundId = r.transaction.gatewayTransactionId ?? '';
    expect(refundId).to.match(/^re_/);
    return { manager, service, paymentId: created.id, ongoing: r.transaction, refundId, later: (ms: number) => (now += ms) };
  }

  const summary = async (service: PaymentService, paymentId: string) =>
    (await service.listTransactions(paymentId)).map((t) => [t.kind, t.isSuccess, t.amount.toFixed(), t.gatewayTransactionId]);

  it('leaves it while Stripe shows it pending, then writes the refund once Stripe shows it succeeded', async () => {
    const { manager, service, paymentId, ongoing, refundId, later } = await ongoingRefund();
    try {
      later(MIN_AGE_MS + 1);
      const pending = await service.reconcile({ minAgeMs: MIN_AGE_MS });
      expect(pending.held).to.deep.equal([ongoing.id]);
      expect(pending.applied).to.deep.equal([]);
      expect((await service.getPayment(paymentId)).capturedAmount.toFixed()).to.equal('10');

      // Stripe finishes it; its refund.updated is never delivered.
      env.fake.settleRefund(refundId, 'succeeded');
      const report = await service.reconcile({ minAgeMs: MIN_AGE_MS });
      expect(report.applied).to.deep.equal([ongoing.id]);
      const p = await service.getPayment(paymentId);
      expect(p.capturedAmount.toFixed()).to.equal('6');
      expect(p.chargeStatus).to.equal('partially-refunded');
      expect(await summary(service, paymentId)).to.deep.equal([
        ['capture', true, '10', p.pspReference],
        ['refund_ongoing', true, '4', refundId],
        ['refund', true, '4', refundId],
      ]);
      expect(await service.listReview()).to.deep.equal([]);
      // The rest is still refundable, and nothing more.
      const rest = await service.refund({ paymentId, idempotencyKey: key() });
      expect(rest.transaction.amount.toFixed()).to.equal('6');
    } finally {
      await manager.close();
    }
  });

  it('writes refund_failed once Stripe shows it failed, releasing the reserved amount', async () => {
    const { manager, service, paymentId, ongoing, refundId, later } = await ongoingRefund();
    try {
      env.fake.settleRefund(refundId, 'failed');
      // Too young: not asked yet.
      expect((await service.reconcile({ minAgeMs: MIN_AGE_MS })).skipped).to.deep.equal([ongoing.id]);
      later(MIN_AGE_MS + 1);
      expect((await service.reconcile({ minAgeMs: MIN_AGE_MS })).applied).to.deep.equal([ongoing.id]);
      const p = await service.getPayment(paymentId);
      expect(p.capturedAmount.toFixed()).to.equal('10');
      expect(await summary(service, paymentId)).to.deep.equal([
        ['capture', true, '10', p.pspReference],
        ['refund_ongoing', true, '4', refundId],
        ['refund_failed', false, '4', refundId],
      ]);
      // The 4.00 is free again: all 10.00 can be refunded.
      const again = await service.refund({ paymentId, idempotencyKey: key() });
      expect(again.transaction.amount.toFixed()).to.equal('10');
    } finally {
      await manager.close();
    }
  });

  it('answers an ongoing refund with the refund object by its id: pending is refund_ongoing, another payment\'s refund is no answer', async () => {
    const plugin = makePlugin(env.fake);
    const charge = async () => call(plugin.processPayment(payment({ token: 'pm_card_pendingRefund' }), null));
    const [mine, other] = [await charge(), await charge()];
    const refund = await call(plugin.refundPayment(payment({ token: mine.pspReference ?? '', amount: mine.amount.minus('1'), idempotencyKey: key('payhost:refund') }), null));
    expect(refund.kind).to.equal('refund_ongoing');
    const ask = (pspReference: string | null | undefined) =>
      call(
        plugin.getTransactionStatus(
          {
            transaction: { id: 't', paymentId: 'p', kind: 'refund_ongoing', amount: refund.amount, currency: 'USD', gatewayIdempotencyKey: 'event:evt_1', gatewayTransactionId: refund.transactionId, pspReference: pspReference ?? null, createdAt: new Date(0) },
            payment: payment({ token: pspReference ?? '' }),
          },
          null,
        ),
      );
    // Its row's key may be an event's (a dashboard refund): it is found by its id all the same.
    const pending = await ask(mine.pspReference);
    expect(pending).to.deep.include({ kind: 'refund_ongoing', transactionId: refund.transactionId });
    env.fake.settleRefund(refund.transactionId, 'succeeded');
    const done = await ask(mine.pspReference);
    expect(done).to.deep.include({ kind: 'refund', isSuccess: true, transactionId: refund.transactionId });
    expect(done?.amount.toFixed()).to.equal(refund.amount.toFixed());
    // Asked as another payment's: no answer.
    expect(await ask(other.pspReference)).to.equal(null);
  });
});
