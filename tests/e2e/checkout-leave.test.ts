import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

declare const history: { state: { paymentId?: string } | null };

describe('checkout page: leaving the 3-D Secure step by Back when its cancel does not go through (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const pay = () => t.page.getByRole('button', { name: 'Pay 25.00 USD' });
  const cancelRequests = () => t.sent.filter((r) => r.method === 'POST' && /\/checkout\/api\/payments\/[0-9a-f-]{36}\/cancel$/.test(r.url));

  /** Pays with the 3-D Secure test card, waits for the challenge and goes Back from it; the payment's id. */
  async function payThenBack(): Promise<string> {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.threeDSecure);
    await pay().click();
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    const id = (await t.page.evaluate(() => history.state?.paymentId)) ?? '';
    await t.page.goBack();
    return id;
  }

  it('a lost answer to the cancel on Back: nothing is said to be uncharged, and Pay cancels it first under the same key, then charges once', async () => {
    let first = true;
    await t.page.route('**/checkout/api/payments/*/cancel', async (route) => {
      const response = await route.fetch(); // the server cancels; the proxy loses its answer
      if (!first) return route.fulfill({ response });
      first = false;
      return route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' });
    });
    const firstId = await payThenBack();
    await t.message('alert', 'could not be cancelled').waitFor();
    expect(await t.page.locator('#message').textContent()).to.include('Pay cancels it first and only then makes a new payment');
    expect(await t.page.locator('#notice').textContent()).not.to.include('nothing was charged');
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('4000 0000 0000 3220');

    await pay().click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const second = (await t.page.locator('#result-id').textContent()) ?? '';
    expect(second).not.to.equal(firstId);
    // The cancel was sent again under its key, before the new payment: one void, and one charge for the order.
    const keys = cancelRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    const order = t.sent.filter((r) => r.method === 'POST').map((r) => r.url.replace(/^.*\/api\//, '').replace(firstId, 'first').replace(second, 'second'));
    expect(order).to.deep.equal(['payments', 'payments/first/cancel', 'payments/first/cancel', 'payments', 'payments/second/confirm']);
    expect((await t.server.server.payments.listTransactions(firstId)).map((tx) => tx.kind)).to.deep.equal(['action_to_confirm', 'void']);
    const captured = await Promise.all([firstId, second].map(async (id) => (await t.server.server.payments.getPayment(id)).capturedAmount.toFixed(2)));
    expect(captured).to.deep.equal(['0.00', '25.00']);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('a payment confirmed before the cancel on Back (a Complete whose answer was lost) is shown as it stands, not the form', async () => {
    await t.page.route('**/checkout/api/payments/*/cancel', async (route) => {
      const id = /payments\/([0-9a-f-]{36})\/cancel/.exec(route.request().url())?.[1] ?? '';
      await t.server.server.payments.confirm({ paymentId: id, idempotencyKey: 'checkout:confirmed-elsewhere', data: null });
      return route.fallback();
    });
    const id = await payThenBack();
    await t.message('status', 'Your last payment was no longer waiting for 3-D Secure, so it was not cancelled').waitFor();
    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.page.locator('#result-id').textContent()).to.equal(id);
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);
    expect((await t.server.server.payments.getPayment(id)).capturedAmount.toFixed(2)).to.equal('25.00');
    expect(t.paymentRequests()).to.have.length(1);
    expect(t.pageErrors).to.deep.equal([]);
  });
});
