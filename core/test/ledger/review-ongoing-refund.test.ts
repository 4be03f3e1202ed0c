import { expect } from 'chai';
import sinon from 'sinon';
import { PaymentService, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, successful, type Setup } from './helpers.js';

// A refund the processor answered pending (refund_ongoing) whose settling event never arrives keeps its
// amount reserved for good: a person settles it from the review list with what the dashboard shows.
describe('ledger: a person settles a refund still ongoing at the processor', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** A charged 10.00 payment and a 4.00 refund the processor answered pending (re_1). */
  async function ongoingRefund() {
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(
      async (p: PaymentData): Promise<GatewayResponse> => ({
        isSuccess: true,
        actionRequired: false,
        error: null,
        kind: 'refund_ongoing',
        amount: p.amount,
        currency: p.currency,
        transactionId: `re_${++next}`,
      }),
    );
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const ongoing = (await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' })).transaction;
    expect(ongoing).to.deep.include({ kind: 'refund_ongoing', state: 'applied', gatewayTransactionId: 're_1' });
    return { service, payment, ongoing };
  }

  it('is listed for review until settled; succeeded writes the settling refund and releases the reservation', async () => {
    const { service, payment, ongoing } = await ongoingRefund();
    const listed = await service.listReview();
    expect(listed.map((i) => [i.transaction.id, i.transaction.kind, i.transaction.state, i.payment.id])).to.deep.equal([[ongoing.id, 'refund_ongoing', 'applied', payment.id]]);
    // Reserved: only 6.00 may be refunded.
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '6.01' }))).to.equal('amount_exceeds');

    const settled = await service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', note: 'Dashboard: re_1 processed (ana)' });
    expect(settled.transaction).to.deep.include({ kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: 're_1' });
    expect(settled.transaction.id).to.not.equal(ongoing.id);
    expect(settled.transaction.rawResponse?.['resolvedByOperator']).to.deep.include({ outcome: 'succeeded', ongoingTransactionId: ongoing.id });
    expectAmount(settled.transaction.amount, '4');
    expectAmount(settled.payment.capturedAmount, '6');
    expect(await service.listReview()).to.deep.equal([]);

    // The processor's late event is the same refund: nothing counted again.
    const late = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-late', paymentId: payment.id, response: { isSuccess: true, kind: 'refund', amount: '4.00', transactionId: 're_1' } });
    expect(late.status).to.equal('already_applied');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
    expect(successful(await service.listTransactions(payment.id), 'refund')).to.have.length(1);
    // Settled once: a second resolution is refused.
    expect(await codeOf(service.resolveReview({ transactionId: ongoing.id, outcome: 'failed', note: 'again' }))).to.equal('transaction_not_in_review');
  });

  it('failed writes refund_failed: nothing counted, and the reserved amount can be refunded again', async () => {
    const { service, payment, ongoing } = await ongoingRefund();
    const settled = await service.resolveReview({ transactionId: ongoing.id, outcome: 'failed', note: 'Dashboard: re_1 failed (ana)' });
    expect(settled.transaction).to.deep.include({ kind: 'refund_failed', state: 'applied', isSuccess: false, gatewayTransactionId: 're_1', errorCode: 'processing_error' });
    expectAmount(settled.payment.capturedAmount, '10');
    expect(await service.listReview()).to.deep.equal([]);
    // Released: all 10.00 may be refunded (the stub answers pending again).
    const all = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(all.transaction.amount, '10');
  });

  it('succeeded for less records what was refunded and frees the rest; more, or another refund id, is refused', async () => {
    const { service, payment, ongoing } = await ongoingRefund();
    expect(await codeOf(service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', amount: '4.01', note: 'x' }))).to.equal('invalid_input');
    expect(await codeOf(service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', gatewayTransactionId: 're_other', note: 'x' }))).to.equal('invalid_input');
    expect(await codeOf(service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', kind: 'capture', note: 'x' }))).to.equal('invalid_input');
    expect(await service.listTransactions(payment.id)).to.have.length(2);
    const settled = await service.resolveReview({ transactionId: ongoing.id, outcome: 'succeeded', amount: '2.50', note: 'Dashboard: 2.50 refunded' });
    expectAmount(settled.transaction.amount, '2.5');
    expectAmount(settled.payment.capturedAmount, '7.5');
    const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(rest.transaction.amount, '7.5');
  });

  it('reconcile() asks the gateway about one old enough and writes the settling refund it shows', async () => {
    const { service, payment, ongoing } = await ongoingRefund();
    let asked: TransactionStatusInput | null = null;
    // The processor now shows the refund processed.
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
      asked = input;
      return { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: '4.00' as never, currency: 'USD', transactionId: 're_1' };
    });
    const young = await service.reconcile({ minAgeMs: 60_000 });
    expect(young.skipped).to.deep.equal([ongoing.id]);
    expect(asked).to.equal(null);

    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.deep.equal([ongoing.id]);
    expect(asked!.transaction).to.deep.include({ id: ongoing.id, kind: 'refund_ongoing', gatewayTransactionId: 're_1' });
    const refunds = successful(await service.listTransactions(payment.id), 'refund');
    expect(refunds.map((t) => [t.gatewayTransactionId, t.amount.toFixed()])).to.deep.equal([['re_1', '4']]);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
    expect(await service.listReview()).to.deep.equal([]);
    // Settled: the next pass does not ask again.
    expect((await service.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
  });

  it('reconcile() leaves one the gateway still shows pending, or answers about another refund, as it is', async () => {
    const { service, payment, ongoing } = await ongoingRefund();
    const answers: GatewayResponse[] = [
      { isSuccess: true, actionRequired: false, error: null, kind: 'refund_ongoing', amount: '4.00' as never, currency: 'USD', transactionId: 're_1' },
      { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: '4.00' as never, currency: 'USD', transactionId: 're_other' },
    ];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async () => answers.shift()!);
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([ongoing.id]);
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([ongoing.id]);
    expect(await service.listTransactions(payment.id)).to.have.length(2);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '10');
  });
});
