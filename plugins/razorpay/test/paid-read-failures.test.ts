import { expect } from 'chai';
import { GatewayDeclinedError, PayhostError, isPayhostError, type PaymentService } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { readLeavesOpen } from '@payhost/plugin-razorpay';
import { call, expectFailure, makePlugin, payment } from './helpers.js';
import { usePaidCheckoutLedger } from './ledger-suite.js';

type Inject = (fake: FakeRazorpay, times: number) => void;

/** Failures of a read that say nothing about the payment the customer made in Checkout. */
const OPEN_FAILURES: Array<[string, Inject]> = [
  ['a 503 on the payment read', (f, times) => f.injectError({ method: 'GET', path: '/v1/payments/', times }, 503, { code: 'SERVER_ERROR', description: 'Service unavailable' })],
  ['a connection reset on the payment read', (f, times) => f.injectNetworkError({ method: 'GET', path: '/v1/payments/', times })],
  ['a 429 on the payment read', (f, times) => f.injectError({ method: 'GET', path: '/v1/payments/', times }, 429, { code: 'BAD_REQUEST_ERROR', description: 'Too many requests' })],
  ['a 401 on the payment read', (f, times) => f.injectError({ method: 'GET', path: '/v1/payments/', times }, 401, { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' })],
  ['a 503 on the order read', (f, times) => f.injectError({ method: 'GET', path: '/v1/orders/', times }, 503, { code: 'SERVER_ERROR', description: 'Service unavailable' })],
];

/**
 * processPayment after the customer paid in Checkout: a read of the order or
 * the payment that fails without Razorpay saying the id does not exist leaves
 * the payment open (outcome_unknown), never a failed charge while Razorpay
 * holds the money.
 */
describe('razorpay: a failed read after the customer paid is outcome unknown, not a failed payment', () => {
  let fake: FakeRazorpay;
  let service: PaymentService;
  const { paidCheckout, processRejected, webhook, expectCharged } = usePaidCheckoutLedger((ledger) => ({ fake, service } = ledger));

  async function expectHeld(id: string, error: unknown) {
    expect(isPayhostError(error) && error.code, String(error)).to.equal('outcome_unknown');
    const txs = await service.listTransactions(id);
    expect(txs.map((t) => t.state)).to.deep.equal(['review']);
    expect((await service.getPayment(id)).chargeStatus).to.equal('not-charged');
  }

  for (const [name, inject] of OPEN_FAILURES) {
    it(`${name}: the plugin answers outcome_unknown with the Razorpay payment id as pspReference`, async () => {
      const plugin = makePlugin(fake);
      const result = await paidCheckout();
      inject(fake, 1);
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
      expect(response.isSuccess).to.equal(false);
      expect(response.rawResponse?.['outcome_unknown'], response.error ?? '').to.equal(true);
      expect(response.pspReference).to.equal(result.razorpay_payment_id);
    });

    it(`${name}: the ledger holds the payment, and reconciliation then settles it as charged (its later webhook counts nothing twice)`, async () => {
      const result = await paidCheckout();
      // The processPayment read and the ledger's immediate status check both fail.
      inject(fake, 2);
      const { id, error } = await processRejected(JSON.stringify(result));
      await expectHeld(id, error);
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(1);
      await expectCharged(id, result.razorpay_payment_id);
      expect(await webhook(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id }))).to.deep.equal(['already_applied']);
      await expectCharged(id, result.razorpay_payment_id);
    });

    it(`${name}: the ledger holds the payment, and the payment.captured webhook then settles it as charged`, async () => {
      const result = await paidCheckout();
      inject(fake, 2);
      const { id, error } = await processRejected(JSON.stringify(result));
      await expectHeld(id, error);
      // As when the host asked for the client token with data.paymentId: the order names the host payment.
      fake.state.order(result.razorpay_order_id).notes = { payhost_payment_id: id };
      expect(await webhook(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id }))).to.deep.equal(['applied']);
      await expectCharged(id, result.razorpay_payment_id);
    });
  }

  it('readLeavesOpen: only Razorpay\'s 400 / 404 with its error body, or our own error before the call, is definite', () => {
    const body = (description: string) => ({ code: 'BAD_REQUEST_ERROR', description });
    expect(readLeavesOpen({ statusCode: 400, error: body('The id provided does not exist') })).to.equal(false);
    expect(readLeavesOpen({ statusCode: 404, error: body('The requested URL was not found on the server.') })).to.equal(false);
    expect(readLeavesOpen(new PayhostError('invalid_amount', 'bad amount'))).to.equal(false);
    for (const status of [0, 401, 403, 408, 409, 429, 500, 502, 503]) {
      expect(readLeavesOpen({ statusCode: status, error: body('x') }), `HTTP ${status}`).to.equal(true);
    }
    expect(readLeavesOpen({ statusCode: 400 }), '400 without an error body').to.equal(true);
    expect(readLeavesOpen({ statusCode: 400, error: 'html' }), '400 with a body that is not Razorpay\'s').to.equal(true);
    expect(readLeavesOpen(new TypeError("Cannot read properties of undefined (reading 'status')"))).to.equal(true);
    expect(readLeavesOpen(new Error('`payment_id` is mandatory'))).to.equal(true);
    expect(readLeavesOpen(undefined)).to.equal(true);
  });

  it('Razorpay answering that the payment id does not exist (400) stays a definite failure', async () => {
    const result = await paidCheckout('authorized');
    fake.injectError({ method: 'GET', path: '/v1/payments/' }, 400, { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist', field: 'id' });
    const { id, error } = await processRejected(JSON.stringify(result));
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect(error).to.deep.include({ errorCode: 'processing_error', message: 'The id provided does not exist' });
    expect((await service.listTransactions(id)).map((t) => [t.state, t.isSuccess])).to.deep.equal([['applied', false]]);
    const plugin = makePlugin(fake);
    fake.injectError({ method: 'GET', path: '/v1/orders/' }, 400, { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist', field: 'id' });
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expectFailure(response, 'processing_error', /^The id provided does not exist$/);
    expect(response.rawResponse?.['outcome_unknown']).to.equal(undefined);
  });

  it('a forged checkout signature stays a definite failure, Razorpay unreachable or not (nothing is read)', async () => {
    const result = await paidCheckout();
    fake.injectError({ method: 'GET', times: 5 }, 503, { code: 'SERVER_ERROR', description: 'Service unavailable' });
    const forged = { ...result, razorpay_signature: '0'.repeat(64) };
    const { id, error } = await processRejected(JSON.stringify(forged));
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect(error).to.deep.include({ errorCode: 'processing_error' });
    expect((await service.listTransactions(id)).map((t) => [t.state, t.isSuccess])).to.deep.equal([['applied', false]]);
    expect(fake.requests.filter((r) => r.method === 'GET')).to.deep.equal([]);
  });
});
