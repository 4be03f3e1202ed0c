import { expect } from 'chai';
import sinon from 'sinon';
import { PENDING_CHARGE_REVIEW_AFTER_MS, PaymentService, createLogger, type GatewayResponse, type LedgerStore, type PaymentData } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, rejection, setup, successful, type Setup } from '../helpers.js';
import { answersAs, restoreAfterEach } from './pending-charges.js';

/**
 * A charge the processor answered pending stays `pending` until a success settles it: a failure reported by the
 * gateway or an event ends nothing (pending-charges.ts). Once an hour old, the review list shows it to a person,
 * who settles it from the processor's dashboard. The suite, on a store of `openStore` per test (closed after it):
 * core's on the memory store, tests/ledger's on PGlite.
 */
export function pendingChargeReviewSuite(storeName: string, openStore: () => Promise<LedgerStore>): void {
  describe(`ledger: review of charges still pending at the processor (${storeName} store)`, () => {
    let env: Setup;
    let store: LedgerStore;
    restoreAfterEach(() => env);
    beforeEach(async () => {
      store = await openStore();
    });
    afterEach(async () => {
      await store.close();
    });
    const answer = answersAs('ch_1');
    const HOUR = PENDING_CHARGE_REVIEW_AFTER_MS;

    /** A 10.00 payment whose charge the processor answered pending as ch_1, on a clock the test moves; logs kept. */
    async function pendingCharge(operation: 'process' | 'authorize' = 'process') {
      sinon.stub(GatedDummy.prototype, operation === 'process' ? 'processPayment' : 'authorizePayment').callsFake(
        async (p: PaymentData): Promise<GatewayResponse> => answer('pending', { amount: p.amount, currency: p.currency }),
      );
      env = setup({ plugin: GatedDummy, store });
      const clock = { now: Date.now() };
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
      const service = new PaymentService({ manager: env.manager, store: env.store, logger, clock: () => new Date(clock.now) });
      const payment = await env.create();
      const charged = await service[operation]({ paymentId: payment.id, idempotencyKey: key() });
      expect([charged.transaction.kind, charged.payment.chargeStatus]).to.deep.equal(['pending', 'pending']);
      return { service, payment, pending: charged.transaction, clock, lines };
    }

    /** The gateway's status answer for every question. */
    function statusAnswers(response: GatewayResponse): void {
      sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (): Promise<GatewayResponse> => response);
    }

    const declined = answer('capture', { isSuccess: false, error: 'Insufficient funds', errorCode: 'declined' });

    it('lists an unsettled pending charge once it is an hour old (reason pending_charge), not before; pendingChargeMinAgeMs changes the threshold', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      clock.now += HOUR - 1;
      expect(await service.listReview()).to.deep.equal([]);
      expect((await service.listReview({ pendingChargeMinAgeMs: 0 })).map((i) => i.transaction.id)).to.deep.equal([pending.id]);
      clock.now += 1;
      const [item, ...rest] = await service.listReview();
      expect(rest).to.deep.equal([]);
      expect(item).to.deep.include({ reason: 'pending_charge' });
      expect(item?.payment).to.deep.include({ id: payment.id, chargeStatus: 'pending' });
      expect(item?.transaction).to.deep.include({ id: pending.id, kind: 'pending', state: 'applied', gatewayTransactionId: 'ch_1' });
      expect(await codeOf(service.listReview({ pendingChargeMinAgeMs: -1 }))).to.equal('invalid_input');
      // Settled by its event: no longer listed.
      await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-captured', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
      expect(await service.listReview()).to.deep.equal([]);
    });

    it('reconciliation warns, naming payment and transaction, when the gateway reports the pending charge failed; the review list shows it', async () => {
      const { service, payment, pending, clock, lines } = await pendingCharge();
      statusAnswers(declined);
      clock.now += HOUR;
      expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([pending.id]);
      const warned = lines.filter((l) => l['level'] === 40 || l['level'] === 'warn');
      expect(warned).to.have.length(1);
      expect(warned[0]).to.deep.include({ paymentId: payment.id, transactionId: pending.id, gatewayTransactionId: 'ch_1' });
      expect(String(warned[0]?.['msg'])).to.match(/pending charge failed.*GET \/admin\/review/);
      // Not asked (nor warned) again within the backoff's wait.
      await service.reconcile({ minAgeMs: 0 });
      expect(lines.filter((l) => l['level'] === 40 || l['level'] === 'warn')).to.have.length(1);
      expect((await service.listReview()).map((i) => [i.reason, i.transaction.id])).to.deep.equal([['pending_charge', pending.id]]);
    });

    it('succeeded: records the capture its event would have (fully-charged, captured once); the event later, or a second resolution, changes nothing', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      clock.now += HOUR;
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', note: 'Dashboard: paid (ana)' })), 'a process must say which').to.equal('invalid_input');
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', gatewayTransactionId: 'ch_2', note: 'x' }))).to.equal('invalid_input');
      const resolved = await service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', note: 'Dashboard: transfer received (ana)' });
      expect(resolved.reason).to.equal('pending_charge');
      expect(resolved.transaction).to.deep.include({ kind: 'capture', state: 'applied', isSuccess: true, gatewayTransactionId: 'ch_1' });
      expect(resolved.transaction.rawResponse?.['resolvedByOperator']).to.deep.include({ outcome: 'succeeded', note: 'Dashboard: transfer received (ana)', pendingTransactionId: pending.id });
      const after = await service.getPayment(payment.id);
      expect(after.chargeStatus).to.equal('fully-charged');
      expectAmount(after.capturedAmount, '10');
      expect(await service.listReview()).to.deep.equal([]);
      const late = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-captured', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
      expect(late.status).to.equal('already_applied');
      for (const outcome of ['succeeded', 'failed'] as const) {
        const err = await rejection(service.resolveReview({ transactionId: pending.id, outcome, note: 'again', ...(outcome === 'succeeded' ? { kind: 'capture' as const } : {}) }));
        expect(err.code, outcome).to.equal('transaction_not_in_review');
      }
      expect(successful(await service.listTransactions(payment.id), 'capture')).to.have.length(1);
      expectAmount((await service.getPayment(payment.id)).capturedAmount, '10');
    });

    it('succeeded for an authorize answered pending: the authorization (not-charged, 10 authorized), capturable as after its event', async () => {
      const { service, payment, pending, clock } = await pendingCharge('authorize');
      clock.now += HOUR;
      const resolved = await service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', note: 'Dashboard: authorized (ana)' });
      expect(resolved.transaction).to.deep.include({ kind: 'auth', isSuccess: true });
      expect(resolved.payment.chargeStatus).to.equal('not-charged');
      expectAmount(resolved.payment.authorizedAmount, '10');
      sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('capture', { amount: p.amount }));
      const captured = await service.capture({ paymentId: payment.id, idempotencyKey: key() });
      expect(captured.payment.chargeStatus).to.equal('fully-charged');
    });

    it('a resolution racing the processor\'s event: the event first, then the resolution answers 409 transaction_not_in_review', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      clock.now += HOUR;
      await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-captured', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'failed', note: 'No payment in the dashboard (ana)' }))).to.equal('transaction_not_in_review');
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', note: 'Paid (ana)' }))).to.equal('transaction_not_in_review');
      expect((await service.getPayment(payment.id)).chargeStatus).to.equal('fully-charged');
      expect(await service.listTransactions(payment.id)).to.have.length(2);
    });

    it('two resolutions at once, succeeded and failed: one is recorded, the other answers 409 transaction_not_in_review', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      clock.now += HOUR;
      const results = await Promise.allSettled([
        service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', note: 'Paid (ana)' }),
        service.resolveReview({ transactionId: pending.id, outcome: 'failed', note: 'Not paid (bo)' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect((refused?.reason as { code?: string }).code).to.equal('transaction_not_in_review');
      const rows = (await service.listTransactions(payment.id)).filter((t) => t.id !== pending.id);
      expect(rows).to.have.length(1);
      expect((await service.getPayment(payment.id)).chargeStatus).to.equal(rows[0]?.isSuccess ? 'fully-charged' : 'not-charged');
    });

    it('a pending charge answered without a gateway transaction id: succeeded needs gatewayTransactionId, which the pending row then carries', async () => {
      sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answer('pending', { amount: p.amount, transactionId: undefined }));
      env = setup({ plugin: GatedDummy, store });
      const clock = { now: Date.now() };
      const service = new PaymentService({ manager: env.manager, store: env.store, clock: () => new Date(clock.now) });
      const payment = await env.create();
      const pending = (await service.process({ paymentId: payment.id, idempotencyKey: key() })).transaction;
      expect(pending.gatewayTransactionId).to.equal(null);
      clock.now += HOUR;
      expect((await service.listReview()).map((i) => i.reason)).to.deep.equal(['pending_charge']);
      const err = await rejection(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', note: 'Paid (ana)' }));
      expect([err.code, err.details?.['field']]).to.deep.equal(['invalid_input', 'gatewayTransactionId']);
      const resolved = await service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', gatewayTransactionId: 'ch_9', note: 'Paid as ch_9 (ana)' });
      expect([resolved.transaction.gatewayTransactionId, resolved.payment.chargeStatus]).to.deep.equal(['ch_9', 'fully-charged']);
      expect((await service.listTransactions(payment.id)).find((t) => t.id === pending.id)?.gatewayTransactionId).to.equal('ch_9');
    });

    it('failed: records the failure and ends the pending charge (not-charged, chargeable again); a second resolution is 409; reconciliation stops asking', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      statusAnswers(declined);
      clock.now += HOUR;
      await service.reconcile({ minAgeMs: 0 });
      const resolved = await service.resolveReview({ transactionId: pending.id, outcome: 'failed', errorCode: 'declined', note: 'Dashboard: transfer expired (ana)' });
      expect(resolved.reason).to.equal('pending_charge');
      expect(resolved.transaction).to.deep.include({ kind: 'capture', state: 'applied', isSuccess: false, errorCode: 'declined', error: 'The payment was declined', gatewayTransactionId: 'ch_1' });
      expect(resolved.payment.chargeStatus).to.equal('not-charged');
      const after = await service.getPayment(payment.id);
      expect(after.chargeStatus).to.equal('not-charged');
      expectAmount(after.capturedAmount, '0');
      expect(after.version).to.be.greaterThan(payment.version);
      expect(await service.listReview()).to.deep.equal([]);
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'failed', note: 'again (bo)' }))).to.equal('transaction_not_in_review');
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', kind: 'capture', note: 'again (bo)' }))).to.equal('transaction_not_in_review');
      clock.now += 24 * HOUR;
      expect((await service.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
      // The payment left pending: it can be charged again (the customer pays through a new attempt).
      (GatedDummy.prototype.processPayment as sinon.SinonStub).callsFake(async (p: PaymentData): Promise<GatewayResponse> => answersAs('ch_2')('capture', { amount: p.amount }));
      const again = await service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(again.transaction).to.deep.include({ kind: 'capture', gatewayTransactionId: 'ch_2' });
      expect(again.payment.chargeStatus).to.equal('fully-charged');
    });

    it('failed, then the processor\'s success event of that charge: counted as the processor says (a success never repeats a failure)', async () => {
      const { service, payment, pending, clock } = await pendingCharge();
      clock.now += HOUR;
      await service.resolveReview({ transactionId: pending.id, outcome: 'failed', note: 'No transfer in the dashboard (ana)' });
      const late = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-late-captured', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch_1' } });
      expect(late.status).to.equal('applied');
      expect(late.payment.chargeStatus).to.equal('fully-charged');
      expectAmount(late.payment.capturedAmount, '10');
      expect(successful(await service.listTransactions(payment.id), 'capture').map((t) => t.gatewayTransactionId)).to.deep.equal(['ch_1']);
      expect(await service.listReview()).to.deep.equal([]);
    });

    it('failed for an authorize answered pending records a failed auth; a resolution after the payment left pending is 409', async () => {
      const { service, payment, pending, clock } = await pendingCharge('authorize');
      clock.now += HOUR;
      const resolved = await service.resolveReview({ transactionId: pending.id, outcome: 'failed', note: 'Dashboard: failed (ana)' });
      expect(resolved.transaction).to.deep.include({ kind: 'auth', isSuccess: false, errorCode: 'processing_error' });
      expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
      expect(await codeOf(service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', note: 'x' }))).to.equal('transaction_not_in_review');
    });
  });
}
