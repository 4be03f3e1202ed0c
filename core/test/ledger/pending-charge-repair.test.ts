import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal, PaymentService, createLogger, type GatewayResponse, type PaymentData, type Transaction } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, type Setup } from './helpers.js';
import { answersAs, restoreAfterEach } from './support/pending-charges.js';

// The code before endsPendingCharge applied the authorization or failure of a charge answered pending and left
// the payment `pending` for good (its authorization could never be captured nor voided); an instance of it still
// does so during a rolling upgrade. Reconciliation repairs one settled by an authorization without asking the
// gateway; one with only a failure row (perhaps an earlier attempt's of the same id) is asked about.
describe('ledger: reconciliation repairs a payment left pending after its pending charge was settled', () => {
  let env: Setup;
  restoreAfterEach(() => env);
  const answer = answersAs('ch_1');

  /** A 10.00 payment whose authorize the processor answered pending as ch_1; getTransactionStatus counted (answering pending). */
  async function pendingCharge() {
    sinon.stub(GatedDummy.prototype, 'authorizePayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('pending', { amount: p.amount, currency: p.currency }));
    const asked: string[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input): Promise<GatewayResponse> => {
      asked.push(input.transaction.id);
      return answer('pending', { transactionId: input.transaction.gatewayTransactionId ?? 'ch_1' });
    });
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store, logger });
    const payment = await env.create();
    const { transaction: pending } = await service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expect(pending).to.deep.include({ kind: 'pending', state: 'applied', gatewayTransactionId: 'ch_1' });
    return { service, paymentId: payment.id, pending, asked, lines };
  }

  /** Writes `row` (a row of the pending charge's payment) as the older code applied it: the payment stays pending, `authorized` added. */
  async function applyAsOldCode(pending: Transaction, row: Partial<Transaction>, authorized = '0'): Promise<Transaction> {
    const now = new Date();
    const written: Transaction = { ...pending, id: randomUUID(), idempotencyKey: null, gatewayIdempotencyKey: `event:${randomUUID()}`, createdAt: now, updatedAt: now, ...row };
    await env.store.transaction(async (tx) => {
      const payment = (await tx.getPayment(pending.paymentId, { forUpdate: true }))!;
      await tx.insertTransaction(written);
      const next = { ...payment, authorizedAmount: payment.authorizedAmount.plus(authorized), version: payment.version + 1, updatedAt: now };
      expect(await tx.updatePayment(next, payment.version)).to.equal(true);
    });
    return written;
  }

  it('an authorization applied by the older code: not-charged with the amount authorized, without asking the gateway; then it can be captured', async () => {
    const { service, paymentId, pending, asked, lines } = await pendingCharge();
    await applyAsOldCode(pending, { kind: 'auth', amount: new Decimal('10.00') }, '10.00');
    const stuck = await service.getPayment(paymentId);
    expect(stuck.chargeStatus).to.equal('pending');
    sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('capture', { amount: p.amount }));
    expect(await codeOf(service.capture({ paymentId, idempotencyKey: key() }))).to.equal('operation_not_allowed');

    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [pending.id], held: [], skipped: [], failed: [] });
    expect(asked, 'the gateway is not asked').to.deep.equal([]);
    const repaired = await service.getPayment(paymentId);
    expect(repaired.chargeStatus).to.equal('not-charged');
    expect(repaired.version).to.equal(stuck.version + 1);
    expectAmount(repaired.authorizedAmount, '10');
    expectAmount(repaired.capturedAmount, '0');
    const line = lines.find((l) => l['transactionId'] === pending.id && String(l['msg']).includes('set back to the status its amounts give'));
    expect(line, 'logged at info').to.deep.include({ level: 30, paymentId, chargeStatus: 'not-charged', authorizedAmount: '10' });
    // Nothing left to repair; and the hold can now be captured.
    expect((await service.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
    const captured = await service.capture({ paymentId, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(captured.payment.capturedAmount, '10');
  });

  /** The gateway's status answer from now on: ch_1 failed, any other id still pending. */
  function gatewayReportsCh1Failed(): void {
    (GatedDummy.prototype.getTransactionStatus as unknown as sinon.SinonStub).callsFake(async (input: { transaction: Transaction }): Promise<GatewayResponse> => {
      const id = input.transaction.gatewayTransactionId ?? 'ch_1';
      return id === 'ch_1' ? answer('capture', { isSuccess: false, error: 'Insufficient funds', errorCode: 'declined' }) : answer('pending', { transactionId: id });
    });
  }

  it('a failure applied by the older code is no repair: asked, and held even once the gateway reports it failed (it may be an earlier attempt\'s)', async () => {
    const { service, paymentId, pending, asked } = await pendingCharge();
    await applyAsOldCode(pending, { kind: 'capture', isSuccess: false, errorCode: 'declined', error: 'Insufficient funds' });
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ applied: [], held: [pending.id] });
    expect(asked).to.deep.equal([pending.id]);
    gatewayReportsCh1Failed();
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ applied: [], held: [pending.id] });
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
  });

  it('a payment waiting for a second charge answered pending: the first reported failed changes nothing; the second\'s authorization ends the wait', async () => {
    const { service, paymentId, pending } = await pendingCharge();
    await applyAsOldCode(pending, { kind: 'capture', isSuccess: false, errorCode: 'declined' });
    // A second authorize answered pending as ch_2: the payment waits for it.
    const second = await applyAsOldCode(pending, { kind: 'pending', gatewayTransactionId: 'ch_2', gatewayIdempotencyKey: `${pending.gatewayIdempotencyKey}-2` });
    gatewayReportsCh1Failed();
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 2, applied: [], held: [pending.id, second.id], skipped: [], failed: [] });
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    const auth = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-ch2-auth', paymentId, response: { isSuccess: true, kind: 'auth', amount: '10.00', transactionId: 'ch_2' } });
    expect(auth.payment.chargeStatus).to.equal('not-charged');
    expectAmount(auth.payment.authorizedAmount, '10');
  });
});
