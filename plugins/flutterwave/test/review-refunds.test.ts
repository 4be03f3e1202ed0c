import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, silentLogger, type Payment, type PluginManager } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;

// A refund Flutterwave answered pending (refund_ongoing) whose refund.completed is never delivered keeps
// its amount reserved: it is listed for review and a person settles it from the dashboard.
describe('flutterwave: a pending refund whose refund.completed never comes is settled from the review list', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  let service: PaymentService;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    manager = makeManager(fake);
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger() });
  });
  afterEach(() => manager.close());

  async function charged(): Promise<Payment> {
    const total = '1500.50';
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: total, currency: 'NGN' });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'NGN', token: JSON.stringify(callback) });
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef: token.tx_ref } });
    return payment;
  }

  /** What Flutterwave refunded (completed refunds). */
  const truthRefunded = (): Decimal => [...fake.state.refunds.values()].filter((r) => r.status === 'completed').reduce((a, r) => a.plus(r.amount_refunded), new Decimal(0));

  for (const settleAs of ['completed', 'failed'] as const) {
    it(`${settleAs} at Flutterwave: the ledger matches it and the reserved 100 is free again`, async () => {
      const payment = await charged();
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, settleAs);
      fake.state.refundStatus = 'completed';
      // Reserved while ongoing: 1400.50 at most.
      expect(await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1400.51' }).then(() => 'ok', (e: { code?: string }) => e.code)).to.equal('amount_exceeds');

      expect((await service.listReview()).map((i) => i.transaction.id)).to.deep.equal([ongoing.transaction.id]);
      await service.resolveReview({ transactionId: ongoing.transaction.id, outcome: settleAs === 'completed' ? 'succeeded' : 'failed', note: `Dashboard: refund ${settleAs}` });
      const after = await service.getPayment(payment.id);
      expect(after.capturedAmount.eq(new Decimal('1500.5').minus(truthRefunded()))).to.equal(true);
      const again = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      expect(again.transaction.kind).to.equal('refund');
    });
  }
});

describe('flutterwave: reconciliation settles a pending refund by its refund id', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  let service: PaymentService;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    manager = makeManager(fake);
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger() });
  });
  afterEach(() => manager.close());

  for (const settleAs of ['completed', 'failed', 'pending'] as const) {
    it(`a refund ${settleAs} at Flutterwave, no refund.completed: reconcile() ${settleAs === 'pending' ? 'leaves it ongoing' : 'writes the settling row'}`, async () => {
      const total = '1500.50';
      const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'NGN' })) as { tx_ref: string };
      const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: total, currency: 'NGN' });
      const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'NGN', token: JSON.stringify(callback) });
      await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef: token.tx_ref } });
      fake.state.refundStatus = 'pending';
      const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
      if (settleAs !== 'pending') fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, settleAs);

      const report = await service.reconcile({ minAgeMs: 0 });
      const settled = settleAs !== 'pending';
      expect(report[settled ? 'applied' : 'held']).to.deep.equal([ongoing.transaction.id]);
      const txs = await service.listTransactions(payment.id);
      const settling = txs.filter((t) => t.gatewayTransactionId === ongoing.transaction.gatewayTransactionId && t.id !== ongoing.transaction.id);
      expect(settling.map((t) => t.kind)).to.deep.equal(settled ? [settleAs === 'completed' ? 'refund' : 'refund_failed'] : []);
      const refunded = [...fake.state.refunds.values()].filter((r) => r.status === 'completed').reduce((a, r) => a.plus(r.amount_refunded), new Decimal(0));
      expect((await service.getPayment(payment.id)).capturedAmount.eq(new Decimal(total).minus(refunded))).to.equal(true);
      expect((await service.listReview()).length).to.equal(settled ? 0 : 1);
    });
  }
});
