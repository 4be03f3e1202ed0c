import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

describe('checkout page: leaving the 3-D Secure step by Back when its cancel does not go through (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const pay = () => t.page.getByRole('button', { name: 'Pay 25.00 USD' });

  /** Pays with the 3-D Secure test card, waits for the challenge and goes Back from it; the payment's id. */
  async function payThenBack(): Promise<string> {
    const id = await t.openToChallenge(pay());
    await t.page.goBack();
    return id;
  }

  it('a lost answer to the cancel on Back: nothing is said to be uncharged, and Pay cancels it first under the same key, then charges once', async () => {
    // The server cancels; the proxy loses its answer.
    await t.loseFirstAnswer('**/checkout/api/payments/*/cancel');
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
    const keys = t.cancelRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    const order = t.sent.filter((r) => r.method === 'POST').map((r) => r.url.replace(/^.*\/api\//, '').replace(firstId, 'first').replace(second, 'second'));
    expect(order).to.deep.equal(['payments', 'payments/first/cancel', 'payments/first/cancel', 'payments', 'payments/second/confirm']);
    expect((await t.server.server.payments.listTransactions(firstId)).map((tx) => tx.kind)).to.deep.equal(['action_to_confirm', 'void']);
    const captured = await Promise.all([firstId, second].map(async (id) => (await t.server.server.payments.getPayment(id)).capturedAmount.toFixed(2)));
    expect(captured).to.deep.equal(['0.00', '25.00']);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  /** The server's refusal of a cancel that asking again will not change: a 4xx with its JSON error body. */
  const REFUSED = {
    status: 422,
    contentType: 'application/json',
    body: JSON.stringify({ code: 'operation_not_allowed', message: 'This payment cannot be cancelled', details: { reason: 'not_awaiting_confirmation' } }),
  };

  /** Shows the payment left open in place of the form, its cancel refused for good: nothing charged, New payment offered. */
  async function expectShownStillOpen(id: string): Promise<void> {
    await t.message('alert', 'It is still open, and nothing has been charged on it.').waitFor();
    const said = (await t.page.locator('#message').textContent()) ?? '';
    expect(said).to.include('could not be cancelled: This payment cannot be cancelled.');
    expect(said).to.include('which this page no longer shows');
    expect(said).not.to.include('Pay cancels it first');
    expect(await t.summary()).to.equal('Your last payment is still open, waiting for 3-D Secure: nothing has been charged on it.');
    expect(await t.page.locator('#result-id').textContent()).to.equal(id);
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);
    expect(await t.page.getByRole('button', { name: 'New payment' }).isVisible()).to.equal(true);
  }

  /** New payment, then a payment with the card that needs no 3-D Secure: charged once, under another payment. */
  async function payAnew(firstId: string): Promise<void> {
    await t.page.getByRole('button', { name: 'New payment' }).click();
    await t.fillOrder();
    await t.fillCard(CARDS.success);
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const second = (await t.page.locator('#result-id').textContent()) ?? '';
    expect(second).not.to.equal(firstId);
    // The earlier payment is as the server left it: still waiting, nothing taken; the new one is charged.
    const first = await t.server.server.payments.getPayment(firstId);
    expect([first.toConfirm, first.capturedAmount.toFixed(2)]).to.deep.equal([true, '0.00']);
    expect((await t.server.server.payments.getPayment(second)).capturedAmount.toFixed(2)).to.equal('25.00');
    expect(t.paymentRequests()).to.have.length(2);
    t.expectCardNeverSent(CARDS.success);
  }

  it('a cancel on Back refused for good (422, the payment still waiting): shown as it stands, still open, nothing charged; New payment pays', async () => {
    await t.page.route('**/checkout/api/payments/*/cancel', (route) => route.fulfill(REFUSED));
    const firstId = await payThenBack();
    await expectShownStillOpen(firstId);
    expect(t.paymentRequests()).to.have.length(1);

    await t.page.reload(); // the form's entry still remembers the payment: the cancel is tried again, and refused again
    await expectShownStillOpen(firstId);
    expect(t.cancelRequests()).to.have.length(2);

    await payAnew(firstId);
    expect(t.cancelRequests()).to.have.length(2); // let go: the new payment does not ask again
  });

  it('a cancel on Back whose answer was lost, then refused for good when Pay sends it again: Pay is never refused forever', async () => {
    let first = true;
    await t.page.route('**/checkout/api/payments/*/cancel', (route) => {
      if (!first) return route.fulfill(REFUSED);
      first = false;
      return route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' });
    });
    const firstId = await payThenBack();
    await t.message('alert', 'Pay cancels it first').waitFor(); // its outcome unknown: the same key at the next Pay

    await pay().click();
    await expectShownStillOpen(firstId);
    const keys = t.cancelRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    expect(t.paymentRequests()).to.have.length(1); // no new payment while the old one's fate was being asked

    await payAnew(firstId);
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
