import { expect } from 'chai';
import sinon from 'sinon';
import { PaymentService, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, successful, type Setup } from './helpers.js';
import { answersAs, restoreAfterEach } from './support/pending-charges.js';

// A charge the processor answered pending (a bank transfer, mobile money; Stripe's processing) leaves
// `pending` through the processor's event. When that event never comes, reconciliation asks the gateway
// and records its final answer through the webhook inbox, as the event would have been.
describe('ledger: reconciliation asks the gateway about a charge answered pending', () => {
  let env: Setup;
  restoreAfterEach(() => env);
  const answer = answersAs('ch_1');

  /** A 10.00 payment whose charge (process, or authorize) the processor answered pending as ch_1. */
  async function pendingCharge(operation: 'process' | 'authorize' = 'process') {
    sinon.stub(GatedDummy.prototype, operation === 'process' ? 'processPayment' : 'authorizePayment').callsFake(
      async (p: PaymentData): Promise<GatewayResponse> => answer('pending', { amount: p.amount, currency: p.currency }),
    );
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store });
    const payment = await env.create();
    const charged = await service[operation]({ paymentId: payment.id, idempotencyKey: key() });
    expect(charged.transaction).to.deep.include({ kind: 'pending', state: 'applied', isSuccess: true, gatewayTransactionId: 'ch_1' });
    expect(charged.payment.chargeStatus).to.equal('pending');
    return { service, payment, pending: charged.transaction };
  }

  /** The gateway's status answers, one per call; records what it was asked. */
  function statusAnswers(...answers: GatewayResponse[]): TransactionStatusInput[] {
    const asked: TransactionStatusInput[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
      asked.push(input);
      return answers.length > 1 ? answers.shift()! : answers[0]!;
    });
    return asked;
  }

  it('records the capture the processor reports: fully-charged, captured once', async () => {
    const { service, payment, pending } = await pendingCharge();
    const asked = statusAnswers(answer('capture'));
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ applied: [pending.id], held: [], skipped: [], failed: [] });
    expect(asked[0]!.transaction).to.deep.include({ id: pending.id, kind: 'pending', gatewayTransactionId: 'ch_1' });
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
    expectAmount(after.capturedAmount, '10');
    const captures = successful(await service.listTransactions(payment.id), 'capture');
    expect(captures.map((t) => [t.gatewayTransactionId, t.amount.toFixed(), t.rawResponse?.['settledByReconciliation']])).to.deep.equal([['ch_1', '10', true]]);
    // Settled: the next pass does not ask again.
    expect((await service.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
    expect(asked).to.have.length(1);
  });

  it('records the authorization the processor reports for an authorize answered pending', async () => {
    const { service, payment, pending } = await pendingCharge('authorize');
    const asked = statusAnswers(answer('auth'));
    expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([pending.id]);
    expect(asked[0]!.payment).to.deep.include({ amount: pending.amount });
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('not-charged');
    expectAmount(after.authorizedAmount, '10');
    expectAmount(after.capturedAmount, '0');
    // Authorized, no longer pending: the shop can capture it.
    sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('capture', { amount: p.amount }));
    const captured = await service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(captured.payment.capturedAmount, '10');
  });

  it('a failure the processor reports ends nothing: held, the payment stays pending and charges nothing more (the id may be another attempt\'s)', async () => {
    const { service, payment, pending } = await pendingCharge();
    statusAnswers(answer('capture', { isSuccess: false, error: 'Insufficient funds', errorCode: 'declined', amount: '10.00' as never }));
    const report = await service.reconcile({ minAgeMs: 0 });
    expect([report.applied, report.held]).to.deep.equal([[], [pending.id]]);
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('pending');
    expectAmount(after.capturedAmount, '0');
    expect((await service.listTransactions(payment.id)).filter((t) => !t.isSuccess)).to.deep.equal([]);
    // No second charge while the processor payment may still be paid.
    expect(await codeOf(service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
  });

  it('leaves one the processor still shows pending, or answers about another transaction, as it is (held)', async () => {
    const { service, payment, pending } = await pendingCharge();
    const asked = statusAnswers(answer('pending'), answer('capture', { transactionId: 'ch_other' }), answer('action_to_confirm'));
    for (let pass = 0; pass < 3; pass++) {
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report, `pass ${pass}`).to.deep.include({ checked: 1, applied: [], held: [pending.id], skipped: [], failed: [] });
    }
    expect(asked).to.have.length(3);
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('pending');
    expectAmount(after.capturedAmount, '0');
    expect(await service.listTransactions(payment.id)).to.have.length(1);
    expect(await codeOf(service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
  });

  it('the processor\'s own event after reconciliation settled the charge is already_applied: nothing counted twice', async () => {
    const { service, payment } = await pendingCharge();
    statusAnswers(answer('capture'));
    await service.reconcile({ minAgeMs: 0 });
    const late = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-charge-completed', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
    expect(late.status).to.equal('already_applied');
    const after = await service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '10');
    expect(successful(await service.listTransactions(payment.id), 'capture')).to.have.length(1);
    // A second pass with the same answer would send the same event id: nothing is listed, nothing sent.
    expect((await service.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
  });

  it('skips one younger than minAgeMs without asking the gateway', async () => {
    const { service, payment, pending } = await pendingCharge();
    const asked = statusAnswers(answer('capture'));
    const report = await service.reconcile({ minAgeMs: 60_000 });
    expect(report).to.deep.include({ checked: 1, applied: [], held: [], skipped: [pending.id] });
    expect(asked).to.have.length(0);
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('pending');
  });

  it('a failure event of the pending charge\'s gateway transaction ends nothing, nor does the gateway then reporting it failed', async () => {
    const { service, payment, pending } = await pendingCharge();
    const other = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-other-failed', paymentId: payment.id, response: { isSuccess: false, kind: 'capture', amount: '10.00', transactionId: 'ch_other' } });
    expect(other.payment.chargeStatus).to.equal('pending');
    // The id alone does not tell whose failure it is (processors keep one id across attempts).
    const failed = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-failed', paymentId: payment.id, response: { isSuccess: false, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('pending');
    const asked = statusAnswers(answer('pending'), answer('capture', { isSuccess: false, error: 'Insufficient funds', errorCode: 'declined' }));
    expect((await service.reconcile({ minAgeMs: 0 })).held, 'still processing').to.deep.equal([pending.id]);
    expect((await service.reconcile({ minAgeMs: 0 })).held, 'reported failed').to.deep.equal([pending.id]);
    expect(asked).to.have.length(2);
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('pending');
  });

  it('a confirm answered pending (after 3-D Secure) is a pending charge too: reconciliation asks about it, and its authorization ends it', async () => {
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('action_to_confirm', { amount: p.amount, currency: p.currency, actionRequired: true }));
    sinon.stub(GatedDummy.prototype, 'confirmPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('pending', { amount: p.amount, currency: p.currency }));
    sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('capture', { amount: p.amount, currency: p.currency }));
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const confirmed = await service.confirm({ paymentId: payment.id, idempotencyKey: key() });
    expect([confirmed.transaction?.kind, confirmed.payment.chargeStatus]).to.deep.equal(['pending', 'pending']);
    const asked = statusAnswers(answer('pending'));
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([confirmed.transaction?.id]);
    expect(asked).to.have.length(1);
    const auth = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-confirm-auth', paymentId: payment.id, response: { isSuccess: true, kind: 'auth', amount: '10.00', transactionId: 'ch_1' } });
    expect(auth.payment.chargeStatus).to.equal('not-charged');
    expectAmount(auth.payment.authorizedAmount, '10');
    const captured = await service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
  });

  it('asks again about a charge still pending only after a wait that grows with its age (a tenth of it): one that failed is not asked about every pass for good', async () => {
    const { payment, pending } = await pendingCharge();
    let now = pending.createdAt.getTime() + 10 * 60 * 60 * 1000;
    const later = new PaymentService({ manager: env.manager, store: env.store, clock: () => new Date(now) });
    const asked = statusAnswers(answer('capture', { isSuccess: false, error: 'Insufficient funds', errorCode: 'declined' }));
    expect((await later.reconcile({ minAgeMs: 0 })).held).to.deep.equal([pending.id]);
    expect((await later.reconcile({ minAgeMs: 0 })).held).to.deep.equal([pending.id]);
    expect(asked, 'ten hours old: not asked again within the hour').to.have.length(1);
    now += 2 * 60 * 60 * 1000;
    expect((await later.reconcile({ minAgeMs: 0 })).held).to.deep.equal([pending.id]);
    expect(asked).to.have.length(2);
    expect((await later.getPayment(payment.id)).chargeStatus).to.equal('pending');
  });
});
