import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, PayhostError, isPayhostError, type PaymentService, type TransactionStatusInput } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { claimLeavesOpen } from '@payhost/plugin-razorpay';
import { CHANNEL, call, expectFailure, expectSuccess, makePlugin, payment } from './helpers.js';
import { key, usePaidCheckoutLedger } from './ledger-suite.js';

type Inject = (fake: FakeRazorpay, times: number) => void;

const PATCH = { method: 'PATCH', path: '/v1/payments/' };

/** Failures of the claim write (PATCH /payments/:id) that do not prove the Razorpay payment unusable. */
const OPEN_FAILURES: Array<[string, Inject]> = [
  ['a 503 on the claim write', (f, times) => f.injectError({ ...PATCH, times }, 503, { code: 'SERVER_ERROR', description: 'Service unavailable' })],
  ['a 429 on the claim write', (f, times) => f.injectError({ ...PATCH, times }, 429, { code: 'BAD_REQUEST_ERROR', description: 'Too many requests' })],
  ['a connection reset on the claim write', (f, times) => f.injectNetworkError({ ...PATCH, times })],
  ['a 400 refusing the notes', (f, times) => f.injectError({ ...PATCH, times }, 400, { code: 'BAD_REQUEST_ERROR', description: 'The notes may not have more than 15 items.', field: 'notes' })],
];

/**
 * processPayment binds a Razorpay payment whose order names no host payment
 * by writing a claim note on it. The customer has paid by then (authorized or
 * captured): a claim write that fails without Razorpay saying the payment does
 * not exist is outcome_unknown, never a failed charge while Razorpay holds the
 * money; reconciliation claims it again and records it once.
 */
describe('razorpay: a failed claim write on a paid Razorpay payment is outcome unknown, not a failed payment', () => {
  let fake: FakeRazorpay;
  let service: PaymentService;
  const { paidCheckout, processRejected, webhook, expectCharged } = usePaidCheckoutLedger((ledger) => ({ fake, service } = ledger));

  for (const [name, inject] of OPEN_FAILURES) {
    it(`${name} of a captured payment: outcome_unknown with the Razorpay payment id as pspReference`, async () => {
      const plugin = makePlugin(fake);
      const result = await paidCheckout();
      inject(fake, 1);
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
      expectFailure(response, 'processing_error', /Could not bind Razorpay payment/, 'payment_binding_failed');
      expect(response.rawResponse?.['outcome_unknown'], response.error ?? '').to.equal(true);
      expect(response.pspReference).to.equal(result.razorpay_payment_id);
    });

    it(`${name} of a captured payment, for good: the ledger's status check records it charged once, unclaimed; the later webhook is already_applied`, async () => {
      const result = await paidCheckout();
      // Every claim write is refused: processPayment's, the ledger's immediate status check's, reconciliation's.
      inject(fake, 1000);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: JSON.stringify(result) });
      await service.process({ paymentId: created.id, idempotencyKey: key() });
      await expectCharged(created.id, result.razorpay_payment_id);
      expect(fake.requests.filter((r) => r.method === 'PATCH')).to.have.length(2);
      expect(fake.state.payment(result.razorpay_payment_id).notes).to.not.have.property('payhost_payment_id');
      expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
      expect(await webhook(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id }))).to.deep.equal(['already_applied']);
      await expectCharged(created.id, result.razorpay_payment_id);
    });
  }

  it('notes refused for good (the 15-note limit) on a payment held for review: reconciliation records the charge once, the later webhook is already_applied', async () => {
    const result = await paidCheckout();
    // processPayment's read of the order and the ledger's status check's both fail: the charge is held for review.
    fake.injectNetworkError({ method: 'GET', path: '/v1/orders/', times: 2 });
    inject400Notes(fake, 1000);
    const { id, error } = await processRejected(JSON.stringify(result));
    expect(isPayhostError(error) && error.code, String(error)).to.equal('outcome_unknown');
    expect((await service.listTransactions(id)).map((t) => t.state)).to.deep.equal(['review']);
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.have.length(1);
    expect(report.review).to.deep.equal([]);
    await expectCharged(id, result.razorpay_payment_id);
    expect(fake.requests.filter((r) => r.method === 'PATCH').length).to.be.greaterThan(0);
    expect(fake.state.payment(result.razorpay_payment_id).notes).to.not.have.property('payhost_payment_id');
    expect(await webhook(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id }))).to.deep.equal(['already_applied']);
    expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
    await expectCharged(id, result.razorpay_payment_id);
  });

  it('notes refused for good, one checkout token for two host payments: only the first is charged', async () => {
    const result = await paidCheckout();
    inject400Notes(fake, 1000);
    const token = JSON.stringify(result);
    const first = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token });
    await service.process({ paymentId: first.id, idempotencyKey: key() });
    await expectCharged(first.id, result.razorpay_payment_id);
    const { id, error } = await processRejected(token);
    // The ledger's PSP reference claim: the Razorpay payment already paid the first host payment.
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect((error as Error).message).to.match(/already recorded for payment/);
    expect((await service.listTransactions(id)).map((t) => [t.kind, t.state, t.isSuccess])).to.deep.equal([['capture', 'applied', false]]);
    expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
    expect(await service.getPayment(id)).to.deep.include({ chargeStatus: 'not-charged', pspReference: null });
    await expectCharged(first.id, result.razorpay_payment_id);
  });

  it('notes refused for good: a Razorpay payment other than the checkout\'s, of another order, or for another amount is still not taken as the charge', async () => {
    const plugin = makePlugin(fake);
    const mine = await paidCheckout();
    // A second payment of the same order (its own genuine checkout result), and a payment of another order.
    const { payment: _p, ...second } = fake.checkout(mine.razorpay_order_id, { status: 'captured' });
    const other = await paidCheckout();
    const lost = (pspReference: string | null, amount = '499.50'): TransactionStatusInput => {
      const k = 'payhost:process:pay-host-1:tx-1';
      return {
        transaction: { id: 'tx-1', paymentId: 'pay-host-1', kind: 'capture', amount: new Decimal(amount), currency: 'INR', gatewayIdempotencyKey: k, gatewayTransactionId: null, pspReference, createdAt: new Date() },
        payment: payment({ token: JSON.stringify(mine), idempotencyKey: k }),
      };
    };
    // A claim refused because Razorpay says the id does not exist is no open refusal: not the charge.
    fake.injectError(PATCH, 400, { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist', field: 'id' });
    expect(await plugin.getTransactionStatus(lost(null), null)).to.equal(null);
    inject400Notes(fake, 1000);
    // Not the payment the checkout returned (the reference names the order's other payment): cannot tell, as before.
    expect(await plugin.getTransactionStatus(lost(second.razorpay_payment_id), null)).to.equal(null);
    // Another order's payment: refused as processPayment refuses it.
    const wrongOrder = (await plugin.getTransactionStatus(lost(other.razorpay_payment_id), null))!;
    expectFailure(wrongOrder, 'processing_error', /belongs to order/, 'order_mismatch');
    // The checkout's payment, but the transaction is for another amount.
    expect(await plugin.getTransactionStatus(lost(null, '400.00'), null)).to.equal(null);
    // The checkout's own payment, for the transaction's amount: the charge.
    expectSuccess((await plugin.getTransactionStatus(lost(null), null))!, 'capture', '499.50');
    for (const id of [mine.razorpay_payment_id, second.razorpay_payment_id, other.razorpay_payment_id]) {
      expect(fake.state.payment(id).notes).to.not.have.property('payhost_payment_id');
    }
  });

  it('a 503 on the claim write of an authorized payment: outcome_unknown, nothing captured', async () => {
    const plugin = makePlugin(fake, { auto_capture: true });
    const result = await paidCheckout('authorized');
    inject503(fake);
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expectFailure(response, 'processing_error', /Could not bind Razorpay payment/, 'payment_binding_failed');
    expect(response.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(response.pspReference).to.equal(result.razorpay_payment_id);
    expect(fake.state.payment(result.razorpay_payment_id).status).to.equal('authorized');
    expect(fake.requests.filter((r) => r.path.endsWith('/capture'))).to.deep.equal([]);
  });

  it('a claim that landed but whose answer was lost: outcome_unknown, and the ledger\'s status check finds the note and records the charge', async () => {
    const plugin = makePlugin(fake);
    const direct = await paidCheckout();
    fake.loseAnswer(PATCH);
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(direct) }), null));
    expect(response.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(fake.state.payment(direct.razorpay_payment_id).notes).to.deep.include({ payhost_payment_id: 'pay-host-1' });

    const result = await paidCheckout();
    fake.loseAnswer(PATCH);
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: JSON.stringify(result) });
    await service.process({ paymentId: created.id, idempotencyKey: key() });
    await expectCharged(created.id, result.razorpay_payment_id);
  });

  it('Razorpay answering that the payment id does not exist (400, field id) stays a definite failure', async () => {
    const result = await paidCheckout();
    const missing = { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist', field: 'id' };
    fake.injectError(PATCH, 400, missing);
    const { id, error } = await processRejected(JSON.stringify(result));
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect(error).to.deep.include({ errorCode: 'processing_error' });
    expect((await service.listTransactions(id)).map((t) => [t.state, t.isSuccess])).to.deep.equal([['applied', false]]);
    expect((await service.getPayment(id)).chargeStatus).to.equal('not-charged');
    const plugin = makePlugin(fake);
    fake.injectError(PATCH, 404, missing);
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expectFailure(response, 'processing_error', /does not exist/, 'payment_binding_failed');
    expect(response.rawResponse?.['outcome_unknown']).to.equal(undefined);
  });

  it('claimLeavesOpen: on a paid payment only Razorpay\'s "id does not exist" or our own error is definite; otherwise only a write Razorpay may have made is open', () => {
    const body = (field: string | null) => ({ code: 'BAD_REQUEST_ERROR', description: 'x', field });
    for (const paid of ['authorized', 'captured']) {
      expect(claimLeavesOpen({ statusCode: 400, error: body('id') }, paid)).to.equal(false);
      expect(claimLeavesOpen({ statusCode: 404, error: body('id') }, paid)).to.equal(false);
      expect(claimLeavesOpen(new PayhostError('invalid_input', 'bad id'), paid)).to.equal(false);
      for (const status of [0, 400, 401, 403, 404, 409, 429, 500, 503]) {
        expect(claimLeavesOpen({ statusCode: status, error: body(status === 400 ? 'notes' : null) }, paid), `HTTP ${status} (${paid})`).to.equal(true);
      }
      expect(claimLeavesOpen({ statusCode: 400 }, paid), '400 without an error body').to.equal(true);
      expect(claimLeavesOpen(new Error('`payment_id` is mandatory'), paid)).to.equal(true);
    }
    // Not (yet) holding money: only a write that may have landed anyway.
    expect(claimLeavesOpen({ statusCode: 503, error: body(null) }, 'created')).to.equal(true);
    expect(claimLeavesOpen({ statusCode: 429, error: body(null) }, 'created')).to.equal(false);
    expect(claimLeavesOpen({ statusCode: 400, error: body('notes') }, 'failed')).to.equal(false);
  });
});

function inject400Notes(fake: FakeRazorpay, times: number): void {
  fake.injectError({ ...PATCH, times }, 400, { code: 'BAD_REQUEST_ERROR', description: 'The notes may not have more than 15 items.', field: 'notes' });
}

function inject503(fake: FakeRazorpay): void {
  fake.injectError(PATCH, 503, { code: 'SERVER_ERROR', description: 'Service unavailable' });
}
