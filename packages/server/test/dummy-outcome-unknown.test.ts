import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS, LOST_CHARGE_PREFIX } from '@payhost/plugin-dummy';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { ADMIN_KEY, key, startTestServer, type TestServer } from './support/harness.js';

/**
 * The dummy gateway's outcome-unknown tokens over real HTTP: what an operator trying the server
 * sees from a payment whose answer was lost, through reconciliation, to resolving it by hand.
 */
describe('server with the dummy gateway: a payment whose outcome is unknown, held for review and resolved', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  /** Pays 25.00 USD on the dummy (us-store captures at once) with `token`: the API answers that the outcome is unknown. */
  async function lostPayment(token: string): Promise<{ paymentId: string; transactionId: string; payKey: string; gatewayKey: string }> {
    const payKey = key('pay');
    const paid = await t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '25.00', token }, idempotencyKey: payKey });
    expect(paid.status, paid.text).to.equal(502);
    expect(paid.body.code).to.equal('outcome_unknown');
    const { paymentId, transactionId } = paid.body.details as { paymentId: string; transactionId: string };

    // The server's reconciliation pass asks the dummy again: it still cannot tell, so the transaction stays held.
    const report = await t.server.payments.reconcile({ minAgeMs: 0 });
    expect(report.held).to.include(transactionId);
    expect(report.applied).to.not.include(transactionId);

    const list = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(list.status).to.equal(200);
    const item = list.body.items.find((i: { transaction: { id: string } }) => i.transaction.id === transactionId);
    expect(item, 'listed for review').to.not.equal(undefined);
    expect(item.transaction).to.include({ state: 'review', kind: 'capture', amount: '25.00', paymentId });
    expect(item.payment).to.include({ id: paymentId, gateway: 'payhost.dummy', capturedAmount: '0.00' });
    return { paymentId, transactionId, payKey, gatewayKey: item.gatewayIdempotencyKey as string };
  }

  it('charged: resolved as succeeded with the dummy charge found by the call\'s key, the payment is captured and refundable at the dummy', async () => {
    const { paymentId, transactionId, payKey, gatewayKey } = await lostPayment(DUMMY_TOKENS.outcomeUnknownCharged);
    const chargeId = `${LOST_CHARGE_PREFIX}${gatewayKey}`;
    const resolved = await t.request('POST', `/admin/review/${transactionId}`, {
      key: ADMIN_KEY,
      body: { outcome: 'succeeded', gatewayTransactionId: chargeId, pspReference: chargeId, note: `Dummy charged: ${chargeId} (test)` },
    });
    expect(resolved.status, resolved.text).to.equal(200);
    expect(resolved.body.transaction).to.include({ id: transactionId, state: 'applied', isSuccess: true, kind: 'capture', gatewayTransactionId: chargeId });
    expect(resolved.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '25.00', pspReference: chargeId });

    // The client's retry of the payment gets the outcome; the held transaction is gone from the list.
    const retry = await t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '25.00', token: DUMMY_TOKENS.outcomeUnknownCharged }, idempotencyKey: payKey });
    expect(retry.status, retry.text).to.equal(201);
    expect(retry.body.payment).to.include({ id: paymentId, capturedAmount: '25.00' });
    const listed = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(listed.body.items.map((i: { transaction: { id: string } }) => i.transaction.id)).to.not.include(transactionId);

    // The dummy really holds that captured charge: a refund goes through on it.
    const refund = await t.request('POST', `/payments/${paymentId}/refund`, { body: { amount: '5.00' }, idempotencyKey: key('refund') });
    expect(refund.status, refund.text).to.equal(200);
    expect(refund.body.transaction).to.include({ kind: 'refund', isSuccess: true, amount: '5.00' });
    expect(refund.body.payment).to.include({ capturedAmount: '20.00' });
  });

  it('not charged: resolved as failed, the payment is not charged and the reserved amount is released', async () => {
    const { paymentId, transactionId, payKey } = await lostPayment(DUMMY_TOKENS.outcomeUnknownNotCharged);
    const resolved = await t.request('POST', `/admin/review/${transactionId}`, { key: ADMIN_KEY, body: { outcome: 'failed', note: 'The dummy never charged (test)' } });
    expect(resolved.status, resolved.text).to.equal(200);
    expect(resolved.body.transaction).to.include({ id: transactionId, state: 'applied', isSuccess: false, errorCode: 'processing_error' });
    const payment = await t.request('GET', `/payments/${paymentId}`);
    expect(payment.body.payment).to.include({ chargeStatus: 'not-charged', capturedAmount: '0.00' });
    expect(payment.body.transactions.find((x: { id: string }) => x.id === transactionId).state).to.equal('applied');
    // The client's retry gets the failure with the errorCode's own message: the operator's note (names, tickets) stays internal.
    const retry = await t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '25.00', token: DUMMY_TOKENS.outcomeUnknownNotCharged }, idempotencyKey: payKey });
    expect([retry.status, retry.body.code], retry.text).to.deep.equal([402, 'gateway_declined']);
    expect(retry.body.message).to.equal('The payment could not be processed');
    expect(retry.text).to.not.include('The dummy never charged');
  });
});

/**
 * The server waits up to 30 s (idempotency.waitTimeoutMs) for a key another request holds: a retry that
 * waited for a key held for review would time these tests out instead of answering.
 */
for (const kind of ['memory', 'pglite'] as const) {
  describe(`server with the dummy gateway (${kind} store): a retry right after outcome_unknown is told at once that the payment is held for review`, () => {
    let t: TestServer;

    before(async function () {
      // Opening a PGlite database takes seconds, more on a loaded machine (the first copy creates the template).
      this.timeout(60_000);
      t = await startTestServer({ store: kind === 'memory' ? new MemoryLedgerStore() : await openMigratedPgliteStore(), kind });
    });
    after(async () => {
      await t.close();
    });

    it('409 payment_busy naming the held transaction, then the outcome once an operator resolved it', async () => {
      const payKey = key('pay');
      const body = { channel: 'us-store', currency: 'USD', amount: '25.00', token: DUMMY_TOKENS.outcomeUnknownCharged };
      const paid = await t.request('POST', '/payments', { body, idempotencyKey: payKey });
      expect([paid.status, paid.body.code], paid.text).to.deep.equal([502, 'outcome_unknown']);
      const { paymentId, transactionId } = paid.body.details as { paymentId: string; transactionId: string };

      const retry = await t.request('POST', '/payments', { body, idempotencyKey: payKey });
      expect([retry.status, retry.body.code], retry.text).to.deep.equal([409, 'payment_busy']);
      expect(retry.body.message).to.include('held for review').and.to.include('/admin/review').and.to.include(transactionId);
      expect(retry.body.details).to.deep.include({ idempotencyKey: payKey, paymentId, transactionId });

      const resolved = await t.request('POST', `/admin/review/${transactionId}`, { key: ADMIN_KEY, body: { outcome: 'failed', note: 'The dummy never charged (test)' } });
      expect(resolved.status, resolved.text).to.equal(200);
      const after = await t.request('POST', '/payments', { body, idempotencyKey: payKey });
      expect([after.status, after.body.code], after.text).to.deep.equal([402, 'gateway_declined']);
      expect(after.body.message).to.equal('The payment could not be processed');
      expect(after.text).to.not.include('The dummy never charged');
      expect(after.body.details).to.deep.include({ paymentId, transactionId });
    });
  });
}
