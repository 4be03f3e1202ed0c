import { expect } from 'chai';
import type { Payment } from '@payhost/core';
import { flutterwaveWebhook, type FakeRefundFinalStatus, type FakeRefundOngoingStatus, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, key, ledgerSuite } from './helpers.js';

/*
 * Flutterwave's refund status table names a finished refund by payment type: `complete`, `completed`,
 * `completed-mpgs` (cards), `completed-preauth`, `completed-momo`, `completed-bank-transfer`,
 * `completed-offline`; not finished: `pending`, `pending-momo`, `processing`. Each final name is a refund
 * through every path the ledger learns of it: the refund call's answer, refund.completed and reconcile().
 */
const FINAL: readonly FakeRefundFinalStatus[] = ['complete', 'completed-mpgs', 'completed-preauth', 'completed-momo', 'completed-bank-transfer', 'completed-offline'];
const ONGOING: readonly FakeRefundOngoingStatus[] = ['pending-momo', 'processing'];
const TOTAL = '1500.50';

describe('flutterwave: every final refund status of Flutterwave\'s table is a refund', () => {
  const suite = ledgerSuite();

  async function webhook(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>) {
    const response = (await suite.manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await suite.service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  /** A refund of 100 Flutterwave answers `status` (its call answer) for. */
  async function refundAnswered(payment: Payment, status: FakeRefundFinalStatus | FakeRefundOngoingStatus) {
    suite.fake.state.refundStatus = status;
    return suite.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
  }

  const capturedOf = async (payment: Payment): Promise<string> => (await suite.service.getPayment(payment.id)).capturedAmount.toFixed();

  for (const status of FINAL) {
    it(`the refund call answered "${status}": recorded as refund`, async () => {
      const payment = await suite.captured(TOTAL);
      const refund = await refundAnswered(payment, status);
      expect({ kind: refund.transaction.kind, isSuccess: refund.transaction.isSuccess, captured: await capturedOf(payment) }).to.deep.equal({ kind: 'refund', isSuccess: true, captured: '1400.5' });
    });

    it(`answered processing, then refund.completed with Flutterwave holding it "${status}": recorded as refund`, async () => {
      const payment = await suite.captured(TOTAL);
      const ongoing = await refundAnswered(payment, 'processing');
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      suite.fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, status);
      const { response, results } = await webhook(suite.fake.webhook('refund.completed', Number(ongoing.transaction.gatewayTransactionId)));
      expect({ status: response.status, applied: results.map((r) => [r.status, r.transaction?.kind]) }).to.deep.equal({ status: 200, applied: [['applied', 'refund']] });
      expect(await capturedOf(payment)).to.equal('1400.5');
    });

    it(`answered pending-momo, no refund.completed, Flutterwave now holds it "${status}": reconcile() records the refund`, async () => {
      const payment = await suite.captured(TOTAL);
      const ongoing = await refundAnswered(payment, 'pending-momo');
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      suite.fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!, status);
      const report = await suite.service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([ongoing.transaction.id]);
      expect(await capturedOf(payment)).to.equal('1400.5');
      expect(await suite.service.listReview()).to.deep.equal([]);
    });
  }

  it('refund.completed whose body says "completed" for a refund the API holds "completed-mpgs": recorded (not 503 refund_not_settled on every delivery)', async () => {
    const payment = await suite.captured(TOTAL);
    const ongoing = await refundAnswered(payment, 'pending');
    const refundId = Number(ongoing.transaction.gatewayTransactionId);
    suite.fake.state.settleRefund(refundId, 'completed-mpgs');
    const body = JSON.parse(suite.fake.webhook('refund.completed', refundId).rawBody.toString()) as { event: 'refund.completed'; data: Record<string, unknown> };
    body.data['status'] = 'completed';
    const { response, results } = await webhook(flutterwaveWebhook(body as never, suite.fake.secretHash));
    expect({ status: response.status, applied: results.map((r) => r.transaction?.kind) }).to.deep.equal({ status: 200, applied: ['refund'] });
    expect(await capturedOf(payment)).to.equal('1400.5');
  });

  for (const status of ONGOING) {
    it(`"${status}" is not finished: the call answer is refund_ongoing, refund.completed records nothing yet, reconcile() leaves it held`, async () => {
      const payment = await suite.captured(TOTAL);
      const ongoing = await refundAnswered(payment, status);
      expect(ongoing.transaction.kind).to.equal('refund_ongoing');
      const { response, results } = await webhook(suite.fake.webhook('refund.completed', Number(ongoing.transaction.gatewayTransactionId)));
      expect({ status: response.status, events: results.length }).to.deep.equal({ status: 200, events: 0 });
      const report = await suite.service.reconcile({ minAgeMs: 0 });
      expect(report.held).to.deep.equal([ongoing.transaction.id]);
      expect(await capturedOf(payment)).to.equal(TOTAL.replace(/0$/, ''));
    });
  }
});
