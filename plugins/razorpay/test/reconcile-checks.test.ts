import { expect } from 'chai';
import { Decimal, type TransactionStatusInput } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { call, clientToken, expectFailure, expectSuccess, makePlugin, payment, useFakeRazorpay } from './helpers.js';

/**
 * Reconciliation of a charge whose answer was lost must not accept what
 * processPayment refuses: a checkout token naming another order's (cheaper)
 * payment, a forged signature, another amount or currency.
 */
describe('razorpay: reconciliation checks a charge as processPayment does', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  /** A process transaction of 499.50 INR for host payment pay-host-1, its answer lost. */
  function lost(token: string, pspReference: string | null = null, data: Record<string, unknown> | null = null): TransactionStatusInput {
    const key = 'payhost:process:pay-host-1:tx-1';
    return {
      transaction: { id: 'tx-1', paymentId: 'pay-host-1', kind: 'capture', amount: new Decimal('499.50'), currency: 'INR', gatewayIdempotencyKey: key, gatewayTransactionId: null, pspReference, createdAt: new Date() },
      payment: payment({ token, idempotencyKey: key, data }),
    };
  }

  /** A captured payment of an order created without a host payment (nothing binds it yet). */
  async function paid(amount: string, currency = 'INR') {
    const plugin = makePlugin(fake);
    const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal(amount), currency }, null)) as string) as { order_id: string };
    const { payment: _p, ...result } = fake.checkout(token.order_id, { status: 'captured' });
    return result;
  }

  it('the checkout of a cheaper order (genuine signature): amount_mismatch, as processPayment answers, nothing claimed', async () => {
    const plugin = makePlugin(fake);
    const cheap = await paid('10.00');
    const token = JSON.stringify(cheap);
    expectFailure(await call(plugin.processPayment(payment({ token }), null)), 'processing_error', /is for 1000 subunits, the payment expects 49950/, 'amount_mismatch');
    const status = (await plugin.getTransactionStatus(lost(token), null))!;
    expectFailure(status, 'processing_error', /is for 1000 subunits, the payment expects 49950/, 'amount_mismatch');
    expect(fake.state.payment(cheap.razorpay_payment_id).notes['payhost_payment_id']).to.equal(undefined);
  });

  it('a token pairing this payment\'s order with another payment id (forged signature): invalid signature, nothing fetched', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const cheap = await paid('10.00');
    const forged = JSON.stringify({ razorpay_order_id: order_id, razorpay_payment_id: cheap.razorpay_payment_id, razorpay_signature: 'a'.repeat(64) });
    fake.requests.length = 0;
    const status = (await plugin.getTransactionStatus(lost(forged), null))!;
    expectFailure(status, 'processing_error', /signature is invalid/, 'invalid_checkout_signature');
    expect(fake.requests).to.deep.equal([]);
  });

  it('a payment of another order than the checkout\'s, or another currency: order_mismatch / currency_mismatch', async () => {
    const plugin = makePlugin(fake);
    const mine = await paid('499.50');
    const other = await paid('499.50');
    // The reference points at another order's payment than the verified checkout's.
    const wrongOrder = (await plugin.getTransactionStatus(lost(JSON.stringify(mine), other.razorpay_payment_id), null))!;
    expectFailure(wrongOrder, 'processing_error', /belongs to order/, 'order_mismatch');
    const pinned = (await plugin.getTransactionStatus(lost(JSON.stringify(mine), null, { razorpayOrderId: other.razorpay_order_id }), null))!;
    expectFailure(pinned, 'processing_error', /this payment's order is/, 'order_mismatch');
    const dollars = await paid('499.50', 'USD');
    const wrongCurrency = (await plugin.getTransactionStatus(lost(JSON.stringify(dollars)), null))!;
    expectFailure(wrongCurrency, 'processing_error', /is in USD, the payment is in INR/, 'currency_mismatch');
    // The genuine one is still reported.
    expectSuccess((await plugin.getTransactionStatus(lost(JSON.stringify(mine)), null))!, 'capture', '499.50');
  });
});
