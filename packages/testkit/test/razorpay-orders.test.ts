import { expect } from 'chai';
import { FakeRazorpay } from '@payhost/testkit/razorpay';

/**
 * Razorpay's order states (https://razorpay.com/docs/api/orders/): `created`,
 * then `attempted` once a payment is tried, and `paid` only once a payment
 * is captured ("Once a payment is captured, the order is marked paid"; the
 * order.paid event is sent then). An authorization alone leaves it attempted.
 */
describe('testkit: the fake Razorpay marks an order paid only once a payment is captured', () => {
  let fake: FakeRazorpay;
  const auth = () => ({ authorization: `Basic ${Buffer.from(`${fake.keyId}:${fake.keySecret}`).toString('base64')}`, 'content-type': 'application/json' });
  const orderOf = async (id: string) => (await (await fetch(`${fake.url}/v1/orders/${id}`, { headers: auth() })).json()) as Record<string, unknown>;
  const capture = async (paymentId: string) => {
    const res = await fetch(`${fake.url}/v1/payments/${paymentId}/capture`, { method: 'POST', headers: auth(), body: JSON.stringify({ amount: 50000, currency: 'INR' }) });
    expect(res.status).to.equal(200);
  };
  let receipts = 0;
  // Receipts are unique per account at Razorpay: each order gets its own.
  const newOrder = () => fake.state.createOrder({ amount: 50000, currency: 'INR', receipt: `r-${++receipts}` });

  before(async () => {
    fake = await FakeRazorpay.start();
  });
  after(async () => fake.close());

  it('an authorized payment leaves the order attempted (nothing paid); its capture makes it paid', async () => {
    const order = newOrder();
    expect(order.status).to.equal('created');
    const { payment } = fake.checkout(order.id, { status: 'authorized' });
    expect(await orderOf(order.id)).to.include({ status: 'attempted', amount_paid: 0, amount_due: 50000, attempts: 1 });
    expect(() => fake.webhook('order.paid', { paymentId: payment.id, orderId: order.id })).to.throw(/only once a payment is captured/);

    await capture(payment.id);
    expect(await orderOf(order.id)).to.include({ status: 'paid', amount_paid: 50000, amount_due: 0 });
    const delivery = fake.webhook('order.paid', { paymentId: payment.id, orderId: order.id });
    expect(delivery.payload).to.have.nested.property('payload.order.entity.status', 'paid');
  });

  it('a failed payment leaves the order attempted; a payment captured at once (auto-capture) makes it paid', async () => {
    const order = newOrder();
    fake.checkout(order.id, { status: 'failed' });
    expect(await orderOf(order.id)).to.include({ status: 'attempted', amount_paid: 0 });
    fake.checkout(order.id, { status: 'captured' });
    expect(await orderOf(order.id)).to.include({ status: 'paid', amount_paid: 50000, amount_due: 0, attempts: 2 });
    // A later failed attempt does not make a paid order unpaid.
    fake.checkout(order.id, { status: 'failed' });
    expect(await orderOf(order.id)).to.include({ status: 'paid', attempts: 3 });
  });

  it('refuses a receipt another order of the account already has (400 "Order receipt should be unique.", naming that order)', async () => {
    const first = fake.state.createOrder({ amount: 50000, currency: 'INR', receipt: 'dup-receipt' });
    const res = await fetch(`${fake.url}/v1/orders`, { method: 'POST', headers: auth(), body: JSON.stringify({ amount: 50000, currency: 'INR', receipt: 'dup-receipt' }) });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).to.include({ code: 'BAD_REQUEST_ERROR', description: 'Order receipt should be unique.', reason: 'input_validation_failed' });
    expect(body.error['metadata']).to.deep.equal({ order_id: first.id });
    // Orders without a receipt are never refused for it.
    fake.state.createOrder({ amount: 50000, currency: 'INR' });
    fake.state.createOrder({ amount: 50000, currency: 'INR' });
  });
});
