import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { key, ledgerSuite } from './helpers.js';

// A refund Flutterwave answered pending (refund_ongoing) whose refund.completed is never delivered keeps
// its amount reserved: it is listed for review and a person settles it from the dashboard.
describe('flutterwave: a pending refund whose refund.completed never comes is settled from the review list', () => {
  const suite = ledgerSuite();

  /** What Flutterwave refunded (completed refunds). */
  const truthRefunded = (): Decimal => [...suite.fake.state.refunds.values()].filter((r) => r.status === 'completed').reduce((a, r) => a.plus(r.amount_refunded), new Decimal(0));

  for (const settleAs of ['completed', 'failed'] as const) {
    it(`${settleAs} at Flutterwave: the ledger matches it and the reserved 100 is free again`, async () => {
      const payment = await suite.captured();
      suite.fake.state.refundStatus = 'pending';
      const ongoing = await suite.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      suite.fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, settleAs);
      suite.fake.state.refundStatus = 'completed';
      // Reserved while ongoing: 1400.50 at most.
      expect(await suite.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1400.51' }).then(() => 'ok', (e: { code?: string }) => e.code)).to.equal('amount_exceeds');

      expect((await suite.service.listReview()).map((i) => i.transaction.id)).to.deep.equal([ongoing.transaction.id]);
      await suite.service.resolveReview({ transactionId: ongoing.transaction.id, outcome: settleAs === 'completed' ? 'succeeded' : 'failed', note: `Dashboard: refund ${settleAs}` });
      const after = await suite.service.getPayment(payment.id);
      expect(after.capturedAmount.eq(new Decimal('1500.5').minus(truthRefunded()))).to.equal(true);
      const again = await suite.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      expect(again.transaction.kind).to.equal('refund');
    });
  }
});

describe('flutterwave: reconciliation settles a pending refund by its refund id', () => {
  const suite = ledgerSuite();

  for (const settleAs of ['completed', 'failed', 'pending'] as const) {
    it(`a refund ${settleAs} at Flutterwave, no refund.completed: reconcile() ${settleAs === 'pending' ? 'leaves it ongoing' : 'writes the settling row'}`, async () => {
      const total = '1500.50';
      const payment = await suite.captured(total);
      suite.fake.state.refundStatus = 'pending';
      const ongoing = await suite.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      if (settleAs !== 'pending') suite.fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, settleAs);

      const report = await suite.service.reconcile({ minAgeMs: 0 });
      const settled = settleAs !== 'pending';
      expect(report[settled ? 'applied' : 'held']).to.deep.equal([ongoing.transaction.id]);
      const txs = await suite.service.listTransactions(payment.id);
      const settling = txs.filter((t) => t.gatewayTransactionId === ongoing.transaction.gatewayTransactionId && t.id !== ongoing.transaction.id);
      expect(settling.map((t) => t.kind)).to.deep.equal(settled ? [settleAs === 'completed' ? 'refund' : 'refund_failed'] : []);
      const refunded = [...suite.fake.state.refunds.values()].filter((r) => r.status === 'completed').reduce((a, r) => a.plus(r.amount_refunded), new Decimal(0));
      expect((await suite.service.getPayment(payment.id)).capturedAmount.eq(new Decimal(total).minus(refunded))).to.equal(true);
      expect((await suite.service.listReview()).length).to.equal(settled ? 0 : 1);
    });
  }
});
