import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { PAYMENT_SIG_NOTE, paymentNoteSignature } from '@payhost/plugin-razorpay';
import { call, clientToken, makePlugin, payment, useFakeRazorpay } from './helpers.js';

/**
 * listPayments names a host payment only as the webhooks do: the order's note (the server's), else a payment
 * note the plugin signed when it claimed the payment. Checkout lets the customer write any payment note.
 */
describe('razorpay: listPayments reports only a host payment id it can trust', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  /** A checkout for an order created before any host payment (no note on the order), with the customer's `notes`. */
  async function orderlessCheckout(notes: Record<string, string> = {}) {
    const plugin = makePlugin(fake);
    const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('499.50'), currency: 'INR' }, null)) as string) as { order_id: string };
    const { payment: rzp, ...result } = fake.checkout(token.order_id, { status: 'captured', notes });
    return { plugin, orderId: token.order_id, paymentId: rzp.id, token: JSON.stringify(result) };
  }

  async function listed(plugin: ReturnType<typeof makePlugin>): Promise<Record<string, string | null>> {
    const list = await plugin.listPayments({ count: 100 });
    return Object.fromEntries(list.map((p) => [p.pspReference, p.paymentId]));
  }

  it('a customer\'s note naming a host payment names none; the plugin\'s signed claim does', async () => {
    const named = await orderlessCheckout({ payhost_payment_id: 'pay-host-victim' });
    const claimed = await orderlessCheckout();
    await call(claimed.plugin.processPayment(payment({ paymentId: 'pay-host-C', token: claimed.token }), null));
    expect(fake.state.payment(claimed.paymentId).notes).to.have.keys('payhost_payment_id', 'payhost_payment_sig');
    expect(await listed(named.plugin)).to.deep.equal({ [named.paymentId]: null, [claimed.paymentId]: 'pay-host-C' });
  });

  it('a signature copied from another payment, altered, or made with another key secret does not verify', async () => {
    const victim = await orderlessCheckout();
    await call(victim.plugin.processPayment(payment({ paymentId: 'pay-host-victim', token: victim.token }), null));
    const copied = await orderlessCheckout({ ...fake.state.payment(victim.paymentId).notes });
    const altered = await orderlessCheckout({ payhost_payment_id: 'pay-host-victim', payhost_payment_sig: 'A'.repeat(43) });
    const otherKey = await orderlessCheckout();
    fake.state.payment(otherKey.paymentId).notes = {
      payhost_payment_id: 'pay-host-victim',
      [PAYMENT_SIG_NOTE]: paymentNoteSignature('another-key-secret', otherKey.paymentId, 'pay-host-victim'),
    };
    expect(await listed(victim.plugin)).to.deep.equal({
      [victim.paymentId]: 'pay-host-victim', [copied.paymentId]: null, [altered.paymentId]: null, [otherKey.paymentId]: null,
    });
  });

  it('the order\'s note decides for a payment made for an order, whatever the customer wrote; each order fetched once', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR', 'pay-host-A');
    const first = fake.checkout(order_id, { status: 'failed', notes: { payhost_payment_id: 'pay-host-B' } });
    const second = fake.checkout(order_id, { status: 'authorized', notes: { payhost_payment_id: 'pay-host-B' } });
    expect(fake.state.payment(second.razorpay_payment_id).notes).to.deep.include({ payhost_payment_id: 'pay-host-B' });
    const mark = fake.requests.length;
    expect(await listed(plugin)).to.deep.equal({ [first.razorpay_payment_id]: 'pay-host-A', [second.razorpay_payment_id]: 'pay-host-A' });
    expect(fake.requests.slice(mark).map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /v1/payments', `GET /v1/orders/${order_id}`]);
  });

  it('an order Razorpay refuses for good (older than 180 days) names no payment; one it cannot give now fails the listing', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR', 'pay-host-A');
    const paid = fake.checkout(order_id, { status: 'captured', notes: { payhost_payment_id: 'pay-host-B' } });
    fake.injectError({ method: 'GET', path: '/v1/orders/' }, 400, { description: 'Order older than 180 days, please use reports' });
    expect(await listed(plugin)).to.deep.equal({ [paid.razorpay_payment_id]: null });
    fake.injectError({ method: 'GET', path: '/v1/orders/' }, 500, { code: 'SERVER_ERROR', description: 'The server encountered an error.' });
    let failure: unknown;
    await plugin.listPayments().catch((err: unknown) => (failure = err));
    expect(failure, 'the listing is refused rather than silently naming nobody').to.deep.include({ statusCode: 500 });
  });
});
