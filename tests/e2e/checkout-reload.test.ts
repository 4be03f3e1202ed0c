import { expect } from 'chai';
import { CARDS, CheckoutPageHarness, forms } from './page-harness.js';

/** What the page keeps in the browser: its URL, its history entry's state, local and session storage. */
interface Kept {
  url: string;
  history: string;
  local: string;
  session: string;
}

declare const document: { activeElement: { id: string } | null };
declare const history: { state: unknown };
declare const location: { href: string };
declare const localStorage: unknown;
declare const sessionStorage: unknown;

describe('checkout page after a reload mid-flow (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  async function kept(): Promise<Kept> {
    return t.page.evaluate(() => ({
      url: location.href,
      history: JSON.stringify(history.state),
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
  }

  /** Neither the URL, the history entry nor the storage ever holds the card number. */
  async function expectNoCardKept(number: string): Promise<void> {
    const all = Object.values(await kept()).join('\n');
    for (const form of forms(number)) expect(all).not.to.include(form);
  }

  it('a reload on the 3-D Secure step comes back to it (the payment read again), and completing it charges once', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.threeDSecure);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    await expectNoCardKept(CARDS.threeDSecure);

    await t.page.reload();
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    expect(await t.page.locator('#challenge-amount').textContent()).to.equal('25.00 USD');
    await t.page.waitForFunction(() => document.activeElement?.id === 'challenge-complete');
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([
      ['3-D Secure', 'action required'],
      ['Charge', 'success'],
    ]);
    expect(t.paymentRequests()).to.have.length(1);
    await expectNoCardKept(CARDS.threeDSecure);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('a reload on the result shows the same payment again; New payment starts afresh, also after a reload', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.declined);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.resultStatus();
    const id = await t.page.locator('#result-id').textContent();

    await t.page.reload();
    expect(await t.resultStatus()).to.equal('not-charged');
    expect(await t.page.locator('#result-id').textContent()).to.equal(id);
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([['Authorization', 'failed']]);

    await t.page.getByRole('button', { name: 'New payment' }).click();
    await t.page.reload();
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).waitFor();
    expect(await t.page.locator('#result').isHidden()).to.equal(true);
    expect(t.paymentRequests()).to.have.length(1);
    await expectNoCardKept(CARDS.declined);
    t.expectCardNeverSent(CARDS.declined);
  });

  it('a reload while Pay is on its way keeps the order and the Idempotency-Key: paying again with the same card charges once', async () => {
    // The server charges, but its answer never reaches the page: the shopper reloads.
    let hold = true;
    await t.page.route('**/checkout/api/payments', async (route) => {
      if (!hold) return route.fallback();
      await route.fetch();
      return new Promise<void>(() => undefined);
    });
    await t.open();
    await t.fillOrder({ currency: 'EUR', amount: '12.5' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 12.50 EUR' }).click();
    await t.page.waitForFunction(() => JSON.stringify(history.state ?? null).includes('pendingPay'));
    await expectNoCardKept(CARDS.success);
    hold = false;
    // While Pay is on its way the browser asks before the page is left (beforeunload): the shopper reloads anyway.
    const dialogs: string[] = [];
    t.page.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.accept();
    });
    await t.page.reload();
    expect(dialogs).to.deep.equal(['beforeunload']);

    // Information, not an error: said politely (role="status").
    await t.message('status', 'may have gone through').waitFor();
    expect(await t.page.getByLabel('Currency').inputValue()).to.equal('EUR');
    expect(await t.page.getByLabel('Amount').inputValue()).to.equal('12.50');
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 12.50 EUR' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');

    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    const id = (await t.page.locator('#result-id').textContent()) ?? '';
    const payment = await t.server.server.payments.getPayment(id);
    expect(payment.capturedAmount.toFixed(2)).to.equal('12.50');
    await expectNoCardKept(CARDS.success);
    t.expectCardNeverSent(CARDS.success);
  });
});
