import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, silentLogger, type Payment, type PluginManager } from '@payhost/core';
import { FakeFlutterwave, flutterwaveWebhook, type FakeRefundFinalStatus, type FakeRefundOngoingStatus, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';

/*
 * Flutterwave's refund status table names a finished refund by payment type: `complete`, `completed`,
 * `completed-mpgs` (cards), `completed-preauth`, `completed-momo`, `completed-bank-transfer`,
 * `completed-offline`; not finished: `pending`, `pending-momo`, `processing`. Each final name is a refund
 * through every path the ledger learns of it: the refund call's answer, refund.completed and reconcile().
 */
const FINAL: readonly FakeRefundFinalStatus[] = ['complete', 'completed-mpgs', 'completed-preauth', 'completed-momo', 'completed-bank-transfer', 'completed-offline'];
const ONGOING: readonly FakeRefundOngoingStatus[] = ['pending-momo', 'processing'];
const TOTAL = '1500.50';

const key = (): string => `key-${randomUUID()}`;

describe('flutterwave: every final refund status of Flutterwave\'s table is a refund', () => {
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

  async function captured(): Promise<Payment> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(TOTAL), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: TOTAL, currency: 'NGN' });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: TOTAL, currency: 'NGN', token: JSON.stringify(callback) });
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef: token.tx_ref } });
    return payment;
  }

  async function webhook(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>) {
    const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  /** A refund of 100 Flutterwave answers `status` (its call answer) for. */
  async function refundAnswered(payment: Payment, status: FakeRefundFinalStatus | FakeRefundOngoingStatus) {
    fake.state.refundStatus = status;
    return service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
  }

  const capturedOf = async (payment: Payment): Promise<string> => (await service.getPayment(payment.id)).capturedAmount.toFixed();

  for (const status of FINAL) {
    it(`the refund call answered "${status}": recorded as refund`, async () => {
      const payment = await captured();
      const refund = await refundAnswered(payment, status);
      expect({ kind: refund.transaction.kind, isSuccess: refund.transaction.isSuccess, captured: await capturedOf(payment) }).to.deep.equal({ kind: 'refund', isSuccess: true, captured: '1400.5' });
    });

    it(`answered processing, then refund.completed with Flutterwave holding it "${status}": recorded as refund`, async () => {
      const payment = await captured();
      const ongoing = await refundAnswered(payment, 'processing');
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, status);
      const { response, results } = await webhook(fake.webhook('refund.completed', Number(ongoing.transaction.gatewayTransactionId)));
      expect({ status: response.status, applied: results.map((r) => [r.status, r.transaction?.kind]) }).to.deep.equal({ status: 200, applied: [['applied', 'refund']] });
      expect(await capturedOf(payment)).to.equal('1400.5');
    });

    it(`answered pending-momo, no refund.completed, Flutterwave now holds it "${status}": reconcile() records the refund`, async () => {
      const payment = await captured();
      const ongoing = await refundAnswered(payment, 'pending-momo');
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, status);
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([ongoing.transaction.id]);
      expect(await capturedOf(payment)).to.equal('1400.5');
      expect(await service.listReview()).to.deep.equal([]);
    });
  }

  it('refund.completed whose body says "completed" for a refund the API holds "completed-mpgs": recorded (not 503 refund_not_settled on every delivery)', async () => {
    const payment = await captured();
    const ongoing = await refundAnswered(payment, 'pending');
    const refundId = Number(ongoing.transaction.gatewayTransactionId);
    fake.state.settleRefund(refundId, 'completed-mpgs');
    const body = JSON.parse(fake.webhook('refund.completed', refundId).rawBody.toString()) as { event: 'refund.completed'; data: Record<string, unknown> };
    body.data['status'] = 'completed';
    const { response, results } = await webhook(flutterwaveWebhook(body as never, fake.secretHash));
    expect({ status: response.status, applied: results.map((r) => r.transaction?.kind) }).to.deep.equal({ status: 200, applied: ['refund'] });
    expect(await capturedOf(payment)).to.equal('1400.5');
  });

  for (const status of ONGOING) {
    it(`"${status}" is not finished: the call answer is refund_ongoing, refund.completed records nothing yet, reconcile() leaves it held`, async () => {
      const payment = await captured();
      const ongoing = await refundAnswered(payment, status);
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      const { response, results } = await webhook(fake.webhook('refund.completed', Number(ongoing.transaction.gatewayTransactionId)));
      expect({ status: response.status, events: results.length }).to.deep.equal({ status: 200, events: 0 });
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.held).to.deep.equal([ongoing.transaction.id]);
      expect(await capturedOf(payment)).to.equal(TOTAL.replace(/0$/, ''));
    });
  }
});
