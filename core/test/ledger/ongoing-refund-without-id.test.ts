import { expect } from 'chai';
import sinon from 'sinon';
import { PaymentService, type GatewayResponse } from '@payhost/core';
import { GATEWAY, GatedDummy, expectAmount, key, rejection, setup, successful, type Setup } from './helpers.js';

/**
 * Refunds still ongoing that the ledger did not start (a processor event: a dashboard refund),
 * some reported without the processor's refund id: an operator's settlement never counts a refund
 * twice, a failure needs no id, and reconciliation asks the gateway about them too.
 */
describe('ledger: refunds still ongoing that came from an event', () => {
  let env: Setup;
  let service: PaymentService;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** A charged 10.00 payment and a dashboard refund of 4.00 reported ongoing (with the refund id, or without). */
  async function ongoingFromEvent(transactionId?: string) {
    env = setup({ plugin: GatedDummy });
    service = new PaymentService({ manager: env.manager, store: env.store });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const response = { isSuccess: true, kind: 'refund_ongoing' as const, amount: '4.00', ...(transactionId ? { transactionId } : {}) };
    const ongoing = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-ongoing', paymentId: payment.id, response });
    return { payment, ongoing: ongoing.transaction! };
  }

  it('an operator cannot settle it under a refund id already counted (its completion, recorded as a refund of its own)', async () => {
    const { payment, ongoing } = await ongoingFromEvent();
    // Its completion names the refund id the ongoing row never had: recorded as a refund of its own.
    await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-done', paymentId: payment.id, response: { isSuccess: true, kind: 'refund', amount: '4.00', transactionId: 'rf_9' } });
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
    const err = await rejection(service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', gatewayTransactionId: 'rf_9', note: 'dashboard: rf_9 processed' }));
    expect(err.code).to.equal('invalid_input');
    expect(err.details).to.include({ field: 'gatewayTransactionId' });
    expect(successful(await service.listTransactions(payment.id), 'refund').map((t) => t.gatewayTransactionId)).to.deep.equal(['rf_9']);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
    // What the error says to do: resolve it as failed (it did not happen on its own), which releases its reservation.
    await service.resolveReview({ transactionId: ongoing.id, outcome: 'failed', note: 'the same refund as rf_9' });
    expect((await service.listReview()).map((item) => item.transaction.id)).to.deep.equal([]);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
  });

  it('an operator settles one without a refund id as failed: no id needed, the reservation is released', async () => {
    const { payment, ongoing } = await ongoingFromEvent();
    const { transaction } = await service.resolveReview({ transactionId: ongoing.id, outcome: 'failed', note: 'dashboard: refund failed' });
    expect(transaction).to.include({ kind: 'refund_failed', state: 'applied' });
    expect((await service.listReview()).map((item) => item.transaction.id)).to.deep.equal([]);
    // Nothing of the 10.00 is reserved any more: all of it can be refunded.
    const refunded = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' });
    expectAmount(refunded.payment.capturedAmount, '0');
  });

  it('reconciliation asks the gateway about it, though no payhost call started it, and settles it', async () => {
    const { payment, ongoing } = await ongoingFromEvent('re_D');
    const asked: string[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: { transaction: { id: string } }): Promise<GatewayResponse> => {
      asked.push(input.transaction.id);
      return { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: '4.00' as never, currency: 'USD', transactionId: 're_D' };
    });
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(asked).to.deep.equal([ongoing.id]);
    expect(report.applied).to.deep.equal([ongoing.id]);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
  });
});
