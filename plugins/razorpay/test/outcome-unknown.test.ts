import { expect } from 'chai';
import { Decimal, type GatewayResponse } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { refundIdempotencyKey } from '@payhost/plugin-razorpay';
import { call, clientToken, expectFailure, makePlugin, payment, useFakeRazorpay } from './helpers.js';

/** Failures after which Razorpay may have acted carry rawResponse.outcome_unknown; definite refusals do not. */
describe('razorpay: lost answers on money-moving calls are outcome_unknown, not failures', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  const KEY = 'payhost:refund:pay-host-1:tx-refund-1';

  async function captured(timeoutMs = '400') {
    const plugin = makePlugin(fake, { auto_capture: true, request_timeout_ms: timeoutMs });
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const result = fake.checkout(order_id, { status: 'captured' });
    await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    return { plugin, paymentId: result.razorpay_payment_id };
  }

  async function authorized() {
    const plugin = makePlugin(fake, { auto_capture: false });
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const result = fake.checkout(order_id);
    return { plugin, paymentId: result.razorpay_payment_id };
  }

  function refundOf(plugin: ReturnType<typeof makePlugin>, paymentId: string, amount = '100'): Promise<GatewayResponse> {
    return call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal(amount), idempotencyKey: KEY }), null));
  }

  function expectUnknown(response: GatewayResponse): void {
    expect(response.isSuccess).to.equal(false);
    expect(response.rawResponse?.['outcome_unknown'], response.error ?? '').to.equal(true);
  }

  function refundPosts(paymentId: string) {
    return fake.requests.filter((r) => r.method === 'POST' && r.path === `/v1/payments/${paymentId}/refund`);
  }

  it('a refund whose answer comes after the timeout: outcome unknown; the retry finds the refund Razorpay made, and makes none', async () => {
    const { plugin, paymentId } = await captured();
    fake.loseAnswer({ method: 'POST', path: '/refund' }, { delayMs: 1500 });
    expectUnknown(await refundOf(plugin, paymentId));
    expect(fake.state.refundsOf(paymentId)).to.have.length(1);
    const retry = await refundOf(plugin, paymentId);
    expect(retry).to.deep.include({ isSuccess: true, kind: 'refund', transactionAlreadyProcessed: true });
    expect(fake.state.refundsOf(paymentId)).to.have.length(1);
    expect(refundPosts(paymentId)).to.have.length(1);
  });

  it('a refund whose connection drops after Razorpay made it: outcome unknown; reconciliation finds it by the idempotency key', async () => {
    const { plugin, paymentId } = await captured();
    fake.loseAnswer({ method: 'POST', path: '/refund' });
    expectUnknown(await refundOf(plugin, paymentId));
    const transaction = { id: 'tx-refund-1', paymentId: 'pay-host-1', kind: 'refund' as const, amount: new Decimal('100'), currency: 'INR', gatewayIdempotencyKey: KEY, gatewayTransactionId: null, pspReference: paymentId, createdAt: new Date() };
    const status = (await plugin.getTransactionStatus({ transaction, payment: payment({ token: paymentId, amount: new Decimal('100'), idempotencyKey: KEY }) }, null))!;
    expect(status).to.deep.include({ isSuccess: true, kind: 'refund', transactionId: fake.state.refundsOf(paymentId)[0]?.id });
  });

  it('sends the idempotency key as X-Refund-Idempotency (Razorpay\'s format), so Razorpay itself never refunds one key twice', async () => {
    const { plugin, paymentId } = await captured();
    await refundOf(plugin, paymentId);
    const header = refundPosts(paymentId)[0]?.headers['x-refund-idempotency'];
    expect(header).to.equal(refundIdempotencyKey(KEY)).and.match(/^[A-Za-z0-9_-]{10,}$/);
    // The same request again (e.g. the note lookup missed it): Razorpay answers the first refund.
    const again = fake.state.refund(paymentId, refundPosts(paymentId)[0]?.body as Record<string, unknown>, header);
    expect(fake.state.refundsOf(paymentId).map((r) => r.id)).to.deep.equal([again.id]);
  });

  it('5xx answers on refund and capture, with or without a JSON error body, are outcome unknown', async () => {
    const { plugin, paymentId } = await captured();
    fake.injectError({ method: 'POST', path: '/refund' }, 500, { code: 'SERVER_ERROR', description: 'The server encountered an error.' });
    const serverError = await refundOf(plugin, paymentId);
    expectUnknown(serverError);
    expect(serverError.errorCode).to.equal('processing_error');
    fake.injectReply({ method: 'POST', path: '/refund' }, 502, '<html><body>502 Bad Gateway</body></html>');
    const badGateway = await refundOf(plugin, paymentId);
    expectUnknown(badGateway);
    expect(badGateway.error).to.equal('Razorpay answered HTTP 502 without an error body');
    expect(badGateway.rawResponse?.['razorpay']).to.deep.include({ statusCode: 502 });
    const other = await authorized();
    fake.injectReply({ method: 'POST', path: '/capture' }, 503, '');
    expectUnknown(await call(other.plugin.capturePayment(payment({ token: other.paymentId }), null)));
  });

  it('a capture whose connection drops is outcome unknown; a retry reports the capture Razorpay made', async () => {
    const { plugin, paymentId } = await authorized();
    fake.loseAnswer({ method: 'POST', path: '/capture' });
    expectUnknown(await call(plugin.capturePayment(payment({ token: paymentId }), null)));
    expect(fake.state.payment(paymentId).status).to.equal('captured');
    const retry = await call(plugin.capturePayment(payment({ token: paymentId }), null));
    expect(retry).to.deep.include({ isSuccess: true, kind: 'capture', transactionAlreadyProcessed: true });
  });

  it('a 4xx with Razorpay\'s error body stays a definite failure, and so does an unreachable read before the refund', async () => {
    const { plugin, paymentId } = await captured();
    const tooMuch = await refundOf(plugin, paymentId, '500');
    expectFailure(tooMuch, 'processing_error', /greater than amount captured/);
    expect(tooMuch.rawResponse?.['outcome_unknown']).to.equal(undefined);
    fake.injectNetworkError({ method: 'GET', path: '/refunds' });
    const lookupFailed = await refundOf(plugin, paymentId);
    expectFailure(lookupFailed, 'processing_error', /Could not reach Razorpay/);
    expect(lookupFailed.rawResponse?.['outcome_unknown']).to.equal(undefined);
    expect(refundPosts(paymentId)).to.have.length(1);
  });
});
