import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { CARDS, CheckoutPageHarness } from './page-harness.js';
import { call } from './support.js';

declare const document: { activeElement: { id: string } | null };
declare const history: { state: { paymentId?: string } | null; back(): void };

describe("checkout page and the browser's Back and Forward (browser, chromium)", function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const pay = () => t.page.getByRole('button', { name: /^Pay/ });
  const alert = (text: string) => t.message('alert', text);
  /** What the page says on arriving back on a step is information, not an error: a status. */
  const notice = (text: string) => t.message('status', text);
  const ALREADY_PAID = 'this order already has the payment shown here';

  async function paymentOf(id: string) {
    return t.server.server.payments.getPayment(id);
  }

  async function shownPaymentId(): Promise<string> {
    await t.page.locator('#result:not([hidden])').waitFor();
    return (await t.page.locator('#result-id').textContent()) ?? '';
  }

  it('Back from a charged payment shows that payment, never a form ready to pay it again; Forward and a reload keep it so', async () => {
    await t.openFilled(CARDS.success);
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const id = await shownPaymentId();

    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(t.page.url()).to.equal(`${t.server.url}/checkout/`);
    expect(await shownPaymentId()).to.equal(id);
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);
    expect(await t.page.getByRole('button', { name: 'New payment' }).isVisible()).to.equal(true);

    await t.page.reload(); // still the same entry: still no form
    await notice(ALREADY_PAID).waitFor();
    expect(await shownPaymentId()).to.equal(id);
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);

    await t.page.goForward();
    await t.page.locator('#notice:empty').waitFor({ state: 'attached' }); // the Back notice is gone
    expect(await shownPaymentId()).to.equal(id);
    expect(await t.resultStatus()).to.equal('fully-charged');

    // New payment is the way to pay again: a new form, and Back from it shows the payment left.
    await t.page.getByRole('button', { name: 'New payment' }).click();
    await pay().waitFor();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('');
    await t.page.goBack();
    expect(await shownPaymentId()).to.equal(id);
    expect(t.paymentRequests()).to.have.length(1);
    expect((await paymentOf(id)).capturedAmount.toFixed(2)).to.equal('25.00');
    t.expectCardNeverSent(CARDS.success);
  });

  it('Back from 3-D Secure closes that payment (a later confirm under a fresh key is refused), keeps the card; paying again charges once', async () => {
    const firstId = await t.openToChallenge(pay());

    await t.page.goBack();
    await notice('You left 3-D Secure, so your last payment was cancelled, and nothing was charged.').waitFor();
    expect(await t.page.locator('#challenge').isHidden()).to.equal(true);
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('4000 0000 0000 3220');
    await t.page.waitForFunction(() => document.activeElement?.id === 'notice');
    // Closed on the server as Fail authentication closes it (one cancel, under a key), not only said to be.
    const first = await paymentOf(firstId);
    expect([first.chargeStatus, first.toConfirm, first.isActive]).to.deep.equal(['not-charged', false, false]);
    const cancels = t.sent.filter((r) => r.method === 'POST' && r.url === `${t.server.url}/checkout/api/payments/${firstId}/cancel`);
    expect(cancels).to.have.length(1);
    expect(cancels[0]!.headers['idempotency-key']).to.match(/^[0-9a-f-]{36}$/);
    // A confirm of it sent straight to the server under a fresh key (another tab, a replayed request) is refused.
    const confirm = await call(t.server.url, 'POST', `/checkout/api/payments/${firstId}/confirm`, { body: {}, idempotencyKey: randomUUID() });
    expect(confirm.status).to.be.within(400, 499);
    expect((await paymentOf(firstId)).capturedAmount.toFixed(2)).to.equal('0.00');

    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const second = await shownPaymentId();
    expect(second).not.to.equal(firstId);
    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).not.to.equal(keys[0]);
    // One charge for the order: the second payment's.
    const captured = await Promise.all([firstId, second].map(async (id) => (await paymentOf(id)).capturedAmount.toFixed(2)));
    expect(captured).to.deep.equal(['0.00', '25.00']);

    // Back: the order is paid. Forward: the result, not the first payment's challenge.
    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(await shownPaymentId()).to.equal(second);
    await t.page.goForward();
    expect(await shownPaymentId()).to.equal(second);
    expect(await t.page.locator('#challenge').isHidden()).to.equal(true);
    expect(t.sent.filter((r) => r.url.endsWith('/confirm'))).to.have.length(1);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('Back from 3-D Secure and Forward again shows that payment closed, not a challenge to complete', async () => {
    const id = await t.openToChallenge(pay());

    await t.page.goBack();
    await notice('your last payment was cancelled').waitFor();
    await t.page.goForward();
    expect(await shownPaymentId()).to.equal(id);
    expect(await t.summary()).to.equal('Payment cancelled: nothing was charged.');
    expect(await t.page.locator('#challenge').isHidden()).to.equal(true);
    expect(t.sent.filter((r) => r.url.endsWith('/confirm'))).to.deep.equal([]);
    expect((await paymentOf(id)).capturedAmount.toFixed(2)).to.equal('0.00');
    expect(t.paymentRequests()).to.have.length(1);
  });

  it('Back after a Complete whose answer was lost shows the payment it charged, not the form', async () => {
    // The server confirms and captures; the proxy's answer is an error page.
    await t.loseFirstAnswer('**/checkout/api/payments/*/confirm');
    await t.openFilled(CARDS.threeDSecure);
    await pay().click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    await alert('may have gone through').waitFor();

    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);
    expect(t.paymentRequests()).to.have.length(1);
  });

  it('Back from a decline returns to the form for another card: a new payment under a new key', async () => {
    await t.open();
    await t.fillOrder({ currency: 'EUR', amount: '12.00' });
    await t.fillCard(CARDS.declined);
    await pay().click();
    expect(await t.resultStatus()).to.equal('not-charged');

    await t.page.goBack();
    await notice('Your last payment was not charged: Your card was declined.').waitFor();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('');
    expect(await t.page.getByLabel('Amount').inputValue()).to.equal('12.00');
    await t.page.getByLabel('Card number').fill(CARDS.success);
    await t.page.getByLabel('CVC').fill('123');
    await t.page.getByRole('button', { name: 'Pay 12.00 EUR' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).not.to.equal(keys[0]);
    t.expectCardNeverSent(CARDS.declined);
    t.expectCardNeverSent(CARDS.success);
  });

  it('a payment the gateway left unanswered is shown under review, not offered for a retry; Back does not offer to pay it again', async () => {
    await t.openFilled('4000000000005043'); // the dummy charges, and its answer is lost: held for review
    await pay().click();
    await t.page.getByRole('status').filter({ hasText: 'Payment under review' }).waitFor();
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([['Charge', 'under review']]);
    expect(await t.page.getByRole('button', { name: 'Try another card' }).isHidden()).to.equal(true);
    const id = await shownPaymentId();

    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(await shownPaymentId()).to.equal(id);
    expect(await t.page.locator('#checkout').isHidden()).to.equal(true);
    expect(t.paymentRequests()).to.have.length(1);
    t.expectCardNeverSent('4000000000005043');
  });

  it('Back while Pay is being sent stays on the form until the answer is in, then shows it', async () => {
    await t.openFilled(CARDS.declined);
    await pay().click();
    await t.resultStatus();
    await t.page.getByRole('button', { name: 'Try another card' }).click();

    // The next Pay is held on its way to the server until the test lets it go.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    await t.page.route('**/checkout/api/payments', async (route) => {
      held = true;
      await released;
      return route.fallback();
    });
    await t.fillCard(CARDS.success);
    await pay().click();
    while (!held) await new Promise((resolve) => setTimeout(resolve, 20));

    await t.page.goBack();
    await notice('Your payment is being sent').waitFor();
    expect(await t.page.locator('#checkout').isVisible()).to.equal(true);
    expect(await t.page.locator('#result').isHidden()).to.equal(true);
    release();
    await t.page.getByRole('status').filter({ hasText: 'Payment successful' }).waitFor();
    const id = await shownPaymentId();
    expect(await t.page.locator('#notice').textContent(), 'the wait is over: its notice is gone').to.equal('');

    // The history is as if Back had not been pressed: Back goes to the form that paid, which shows that payment.
    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(await shownPaymentId()).to.equal(id);
    expect(t.paymentRequests()).to.have.length(2);
  });
  /**
   * Opens the checkout after another page (the shopper came from the shop), so
   * that the checkout's first entry has one before it to go Back to.
   */
  async function openAfterAnotherPage(): Promise<string> {
    const before = `${t.server.url}/openapi.json`;
    await t.page.goto(before);
    await t.open();
    return before;
  }

  /**
   * Back from the checkout's first entry: what comes first, the browser asking
   * (a beforeunload prompt, answered `answer`) or the page being left.
   */
  async function backFromFirstEntry(before: string, answer: 'accept' | 'dismiss'): Promise<string> {
    const asked = t.page
      .waitForEvent('dialog', { timeout: 0 })
      .then(async (dialog) => {
        const type = dialog.type();
        await dialog[answer]();
        return type;
      })
      .catch(() => 'page closed');
    const left = t.page
      .waitForURL(before, { timeout: 0 })
      .then(() => 'left the page')
      .catch(() => 'page closed');
    await t.page.evaluate(() => history.back());
    return Promise.race([asked, left]);
  }

  it('Back from the first entry while Pay is being sent asks before leaving; staying shows the answer, and once it is in Back leaves without asking', async () => {
    const before = await openAfterAnotherPage();
    await t.fillOrder();
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    await t.page.route('**/checkout/api/payments', async (route) => {
      held = true;
      await released;
      return route.fallback();
    });
    await t.fillCard(CARDS.success);
    await pay().click();
    while (!held) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(await backFromFirstEntry(before, 'dismiss')).to.equal('beforeunload');
    expect(t.page.url()).to.equal(`${t.server.url}/checkout/`);
    expect(await t.page.locator('#checkout').isVisible()).to.equal(true);
    release();
    await t.page.getByRole('status').filter({ hasText: 'Payment successful' }).waitFor();
    expect(t.paymentRequests()).to.have.length(1);

    // Nothing in flight: Back goes through the page's own entries, then leaves it without a prompt.
    const dialogs: string[] = [];
    t.page.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss();
    });
    await t.page.goBack();
    await notice(ALREADY_PAID).waitFor();
    expect(await backFromFirstEntry(before, 'dismiss')).to.equal('left the page');
    expect(dialogs).to.deep.equal([]);
  });

  it('leaving from the first entry while Pay is being sent, then Forward, offers to pay again under the same key: charged once', async () => {
    const before = await openAfterAnotherPage();
    // The server charges, but its answer never reaches the page: the shopper leaves anyway.
    let hold = true;
    await t.page.route('**/checkout/api/payments', async (route) => {
      if (!hold) return route.fallback();
      await route.fetch();
      return new Promise<void>(() => undefined);
    });
    await t.fillOrder({ currency: 'EUR', amount: '30' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 30.00 EUR' }).click();
    await t.page.waitForFunction(() => JSON.stringify(history.state ?? null).includes('pendingPay'));
    hold = false;

    expect(await backFromFirstEntry(before, 'accept')).to.equal('beforeunload');
    await t.page.waitForURL(before);
    await t.page.goForward();
    await notice('may have gone through').waitFor();
    expect(await t.page.getByLabel('Amount').inputValue()).to.equal('30.00');
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 30.00 EUR' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    t.expectCardNeverSent(CARDS.success);
  });
});
