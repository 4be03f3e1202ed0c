import { expect } from 'chai';
import { Decimal, isPayhostError, type TransactionStatusInput } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { followUpSettleMs } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, call, clientToken, expectFailure, expectSuccess, makeManager, makePlugin, payment, useFakeRazorpay } from './helpers.js';

describe('razorpay: operations with the real SDK against the fake', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  async function checkout(autoCapture: boolean, amount = '499.50', status: 'authorized' | 'captured' = 'authorized') {
    const plugin = makePlugin(fake, { auto_capture: autoCapture });
    const { order_id } = await clientToken(plugin, amount, 'INR');
    const result = fake.checkout(order_id, { status });
    return { plugin, result, token: JSON.stringify(result), paymentId: result.razorpay_payment_id };
  }

  it('processPayment with auto-capture captures the authorized payment', async () => {
    const { plugin, token, paymentId } = await checkout(true);
    const response = await call(plugin.processPayment(payment({ token }), null));
    expectSuccess(response, 'capture', '499.50');
    expect(response.transactionId).to.equal(paymentId);
    expect(fake.state.payment(paymentId).status).to.equal('captured');
    const capture = fake.requests.find((r) => r.path === `/v1/payments/${paymentId}/capture`);
    expect(capture?.body).to.deep.equal({ amount: 49950, currency: 'INR' });
  });

  it('processPayment without auto-capture records the authorization; capturePayment captures it later', async () => {
    const { plugin, token, paymentId } = await checkout(false);
    const auth = await call(plugin.processPayment(payment({ token }), null));
    expectSuccess(auth, 'auth', '499.50');
    expect(fake.state.payment(paymentId).status).to.equal('authorized');
    const captured = await call(plugin.capturePayment(payment({ token: paymentId }), null));
    expectSuccess(captured, 'capture', '499.50');
    expect(fake.state.payment(paymentId).status).to.equal('captured');
  });

  it('authorizePayment only authorizes, even with auto-capture on', async () => {
    const { plugin, token, paymentId } = await checkout(true);
    expectSuccess(await call(plugin.authorizePayment(payment({ token }), null)), 'auth', '499.50');
    expect(fake.state.payment(paymentId).status).to.equal('authorized');
  });

  it('a payment Razorpay already captured (account auto-capture) is recorded as a capture without capturing again', async () => {
    const { plugin, token, paymentId } = await checkout(false, '499.50', 'captured');
    expectSuccess(await call(plugin.processPayment(payment({ token }), null)), 'capture', '499.50');
    expect(fake.requests.some((r) => r.path === `/v1/payments/${paymentId}/capture`)).to.equal(false);
  });

  it('a retried capture whose first answer was lost reports the capture once more (transactionAlreadyProcessed)', async () => {
    const { plugin, paymentId } = await checkout(false);
    expectSuccess(await call(plugin.capturePayment(payment({ token: paymentId }), null)), 'capture', '499.50');
    const again = await call(plugin.capturePayment(payment({ token: paymentId }), null));
    expectSuccess(again, 'capture', '499.50');
    expect(again.transactionAlreadyProcessed).to.equal(true);
  });

  it('a refused capture of a payment that is captured (whatever Razorpay\'s wording) reports the capture, read from the payment', async () => {
    const { plugin, paymentId } = await checkout(false);
    expectSuccess(await call(plugin.capturePayment(payment({ token: paymentId }), null)), 'capture', '499.50');
    fake.injectError({ method: 'POST', path: `/v1/payments/${paymentId}/capture` }, 400, { description: 'Your payment has been declined as the order is already paid' });
    const again = await call(plugin.capturePayment(payment({ token: paymentId }), null));
    expectSuccess(again, 'capture', '499.50');
    expect(again.transactionAlreadyProcessed).to.equal(true);
  });

  it('a partial capture is refused by Razorpay, its message kept; capture finds the payment id in several token forms', async () => {
    const { plugin, token, paymentId } = await checkout(false);
    const partial = await call(plugin.capturePayment(payment({ token: paymentId, amount: new Decimal('100.00') }), null));
    expectFailure(partial, 'processing_error', /^Capture amount must be equal to the amount authorized$/);
    expect(partial.pspReference).to.equal(paymentId);
    expectSuccess(await call(plugin.capturePayment(payment({ token }), null)), 'capture', '499.50');
    const unknown = await call(plugin.capturePayment(payment({ token: 'nonsense' }), null));
    expectFailure(unknown, 'processing_error', /No Razorpay payment id/, 'unknown_payment');
    const viaData = await call(plugin.refundPayment(payment({ token: null, data: { pspReference: paymentId }, amount: new Decimal('1.00') }), null));
    expectSuccess(viaData, 'refund', '1.00');
  });

  it('refunds partially, several times, then refuses more than is left', async () => {
    const { plugin, token, paymentId } = await checkout(true);
    await call(plugin.processPayment(payment({ token }), null));
    const first = await call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal('100.25') }), null));
    expectSuccess(first, 'refund', '100.25');
    expect(first.transactionId).to.match(/^rfnd_/);
    expect(first.pspReference).to.equal(paymentId);
    expectSuccess(await call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal('99.25') }), null)), 'refund', '99.25');
    const tooMuch = await call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal('300.01') }), null));
    expectFailure(tooMuch, 'processing_error', /greater than amount captured/);
    expectSuccess(await call(plugin.refundPayment(payment({ token: paymentId, amount: new Decimal('300.00') }), null)), 'refund', '300');
    expect(fake.state.payment(paymentId)).to.include({ amount_refunded: 49950, refund_status: 'full', status: 'refunded' });
  });

  it('a refund retried with the same idempotency key returns the first refund instead of refunding twice', async () => {
    const { plugin, token, paymentId } = await checkout(true);
    await call(plugin.processPayment(payment({ token }), null));
    const request = payment({ token: paymentId, amount: new Decimal('50.00'), idempotencyKey: 'payhost:refund:pay-host-1:tx-9' });
    const first = await call(plugin.refundPayment(request, null));
    const second = await call(plugin.refundPayment(request, null));
    expect(second.transactionId).to.equal(first.transactionId);
    expect(second.transactionAlreadyProcessed).to.equal(true);
    expect(fake.state.refundsOf(paymentId)).to.have.length(1);
    expect(fake.state.refundsOf(paymentId)[0]?.notes).to.deep.equal({ payhost_payment_id: 'pay-host-1', payhost_idempotency_key: 'payhost:refund:pay-host-1:tx-9' });
    const reused = await call(plugin.refundPayment({ ...request, amount: new Decimal('60.00') }, null));
    expectFailure(reused, 'processing_error', /another amount/, 'idempotency_key_reused');
  });

  it('voidPayment is not supported by Razorpay: the manager answers operation_not_supported, nothing is sent', async () => {
    const manager = makeManager(fake);
    const { paymentId } = await checkout(false);
    const before = fake.requests.length;
    const error = await manager.voidPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment({ token: paymentId }) }).then(
      () => expect.fail('void should not be supported'),
      (err: unknown) => err,
    );
    expect(isPayhostError(error, 'operation_not_supported')).to.equal(true);
    expect((error as Error).message).to.match(/payhost\.razorpay.*voidPayment/);
    expect(fake.requests.length).to.equal(before);
    expect(fake.state.payment(paymentId).status).to.equal('authorized');
    await manager.close();
  });

  it('runs every operation through the PluginManager', async () => {
    const manager = makeManager(fake, { auto_capture: false });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('250'), currency: 'INR', data: { paymentId: 'p-7' } })) as { order_id: string };
    const result = fake.checkout(token.order_id);
    const base = payment({ paymentId: 'p-7', amount: new Decimal('250') });
    expectSuccess(await manager.processPayment({ channel: CHANNEL, payment: { ...base, token: JSON.stringify(result) } }), 'auth', '250');
    expectSuccess(await manager.capturePayment({ channel: CHANNEL, gateway: GATEWAY, payment: { ...base, token: result.razorpay_payment_id } }), 'capture', '250');
    const refund = await manager.refundPayment({ channel: CHANNEL, gateway: GATEWAY, payment: { ...base, token: result.razorpay_payment_id, amount: new Decimal('50') } });
    expectSuccess(refund, 'refund', '50');
    await manager.close();
  });

  describe('getTransactionStatus (reconciliation)', () => {
    function input(kind: TransactionStatusInput['transaction']['kind'], op: string, pspReference: string | null, extra: Partial<TransactionStatusInput['payment']> = {}, createdAt = new Date()): TransactionStatusInput {
      const key = `payhost:${op}:pay-host-1:tx-1`;
      return {
        transaction: { id: 'tx-1', paymentId: 'pay-host-1', kind, amount: new Decimal('499.50'), currency: 'INR', gatewayIdempotencyKey: key, gatewayTransactionId: null, pspReference, createdAt },
        payment: payment({ idempotencyKey: key, ...extra }),
      };
    }

    it('reports what became of process / authorize / capture transactions', async () => {
      const { plugin, token, paymentId } = await checkout(false);
      expectSuccess((await plugin.getTransactionStatus(input('auth', 'authorize', null, { token }), null))!, 'auth', '499.50');
      expectSuccess((await plugin.getTransactionStatus(input('capture', 'process', paymentId, { token }), null))!, 'auth', '499.50');
      // Still only authorized: the capture's own request may still land at Razorpay, so "cannot tell" while it is young.
      expect(await plugin.getTransactionStatus(input('capture', 'capture', paymentId), null), 'a capture just sent').to.equal(null);
      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
      const notCaptured = (await plugin.getTransactionStatus(input('capture', 'capture', paymentId, {}, tenMinutesAgo), null))!;
      expectFailure(notCaptured, 'processing_error', /capture did not happen/, 'payment_not_authorized');
      fake.state.capture(paymentId, { amount: 49950 });
      expectSuccess((await plugin.getTransactionStatus(input('capture', 'capture', paymentId), null))!, 'capture', '499.50');
      expectSuccess((await plugin.getTransactionStatus(input('capture', 'process', paymentId, { token }), null))!, 'capture', '499.50');
    });

    it('an authorization Razorpay captured itself (account auto-capture) is reported as the capture it is, as authorizePayment reports it', async () => {
      const { plugin, token } = await checkout(false, '499.50', 'captured');
      expectSuccess(await call(plugin.authorizePayment(payment({ token }), null)), 'capture', '499.50');
      expectSuccess((await plugin.getTransactionStatus(input('auth', 'authorize', null, { token }), null))!, 'capture', '499.50');
    });

    it('an authorization Razorpay released uncaptured (auto-refund: refunded, captured false) is no capture, for a capture or a charge', async () => {
      const { plugin, token, paymentId } = await checkout(false);
      fake.state.autoRefund(paymentId);
      const released = /refunded without being captured/;
      expectFailure((await plugin.getTransactionStatus(input('capture', 'capture', paymentId), null))!, 'processing_error', released, 'payment_not_authorized');
      expectFailure((await plugin.getTransactionStatus(input('capture', 'process', paymentId, { token }), null))!, 'processing_error', released, 'payment_not_authorized');
      expectFailure((await plugin.getTransactionStatus(input('auth', 'authorize', null, { token }), null))!, 'processing_error', released, 'payment_not_authorized');
    });

    it('reports a failed payment with its mapped code, and null when Razorpay cannot tell', async () => {
      const plugin = makePlugin(fake);
      const { order_id } = await clientToken(plugin, '499.50', 'INR');
      const failed = fake.checkout(order_id, { status: 'failed', error: { reason: 'insufficient_funds', description: 'Not enough balance' } });
      const status = (await plugin.getTransactionStatus(input('capture', 'process', failed.razorpay_payment_id, { token: JSON.stringify(failed) }), null))!;
      expectFailure(status, 'declined', /^Not enough balance$/);
      expect(await plugin.getTransactionStatus(input('capture', 'process', null), null)).to.equal(null);
      expect(await plugin.getTransactionStatus(input('capture', 'process', 'pay_DoesNotExist1', { token: JSON.stringify(failed) }), null)).to.equal(null);
    });

    it('finds a refund by its idempotency key, or reports it was not made once its request cannot still be in flight', async () => {
      const { plugin, token, paymentId } = await checkout(true);
      await call(plugin.processPayment(payment({ token }), null));
      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
      const missing = (await plugin.getTransactionStatus(input('refund', 'refund', paymentId, {}, tenMinutesAgo), null))!;
      expectFailure(missing, 'processing_error', /it was not made/, 'refund_not_found');
      // Just sent: Razorpay may still be working on it, so it cannot tell yet.
      expect(await plugin.getTransactionStatus(input('refund', 'refund', paymentId), null)).to.equal(null);
      // The window follows the plugin's own request timeout (one request, no retries): twice it, five minutes at least.
      expect(followUpSettleMs({ timeoutMs: 20_000 })).to.equal(5 * 60_000);
      expect(followUpSettleMs({ timeoutMs: 200_000 })).to.equal(400_000);
      const slow = makePlugin(fake, { request_timeout_ms: '200000' });
      const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
      expect(await slow.getTransactionStatus(input('refund', 'refund', paymentId, {}, sixMinutesAgo), null), 'a refund within 2 x 200 s').to.equal(null);
      const refund = input('refund', 'refund', paymentId);
      await call(plugin.refundPayment({ ...refund.payment, token: paymentId, amount: new Decimal('10') }, null));
      const found = (await plugin.getTransactionStatus(refund, null))!;
      expectSuccess(found, 'refund', '10');
    });

    it('goes through the manager', async () => {
      const manager = makeManager(fake);
      const { paymentId, token } = await checkout(false);
      const status = await manager.getTransactionStatus({ channel: CHANNEL, gateway: GATEWAY, ...input('capture', 'process', paymentId, { token }) });
      expectSuccess(status!, 'auth', '499.50');
      await manager.close();
    });
  });

  it('lists payments for reconciliation, amounts as Decimals', async () => {
    const { plugin, token } = await checkout(true, '1234567.89');
    await call(plugin.processPayment(payment({ token, amount: new Decimal('1234567.89') }), null));
    await checkout(false, '10.00');
    const list = await plugin.listPayments({ count: 10 });
    expect(list.map((p) => [p.status, p.amount.toString(), p.paymentId])).to.deep.equal([
      ['authorized', '10', 'pay-host-1'],
      ['captured', '1234567.89', 'pay-host-1'],
    ]);
    expect(list[0]?.createdAt).to.be.instanceOf(Date);
    const listed = fake.requests.find((r) => r.path === '/v1/payments');
    expect(listed?.query).to.include({ count: '10', skip: '0' });
  });
});
