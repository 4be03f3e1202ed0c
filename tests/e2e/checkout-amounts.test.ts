import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

/** A channel selling in JPY (no decimal places) and KWD (three). */
const JP_STORE = {
  slug: 'jp-store',
  name: 'JP store',
  currencies: ['JPY', 'KWD'],
  plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'JPY,KWD', auto_capture: true } } },
};

describe("checkout page amounts in the currency's decimals (browser, chromium)", function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use({ extraChannels: [JP_STORE] });

  const pay = () => t.page.locator('#pay');
  const hint = () => t.page.locator('#amount-hint');

  it('shows the amount on Pay as it is charged: "10" is 10.00 USD, 25.00 becomes 25 JPY, 1.5 is 1.500 KWD', async () => {
    await t.open();
    await t.fillOrder({ amount: '10' });
    expect(await pay().textContent()).to.equal('Pay 10.00 USD');
    expect(await hint().textContent()).to.equal('A decimal amount in USD, such as 25.00.');
    await t.page.getByLabel('Amount').blur();
    expect(await t.page.getByLabel('Amount').inputValue()).to.equal('10.00');

    await t.page.getByLabel('Amount').fill('25.00');
    await t.page.getByLabel('Channel').selectOption('jp-store');
    await t.page.getByRole('radio', { name: /Dummy/ }).waitFor();
    expect(await t.page.getByLabel('Currency').inputValue()).to.equal('JPY');
    expect(await t.page.getByLabel('Amount').inputValue()).to.equal('25');
    expect(await pay().textContent()).to.equal('Pay 25 JPY');
    expect(await hint().textContent()).to.equal('A whole amount in JPY (no decimal places), such as 25.');

    await t.page.getByLabel('Currency').selectOption('KWD');
    await t.page.getByLabel('Amount').fill('1.5');
    expect(await pay().textContent()).to.equal('Pay 1.500 KWD');
    await t.fillCard(CARDS.success);
    await pay().click();
    await t.page.getByRole('status').filter({ hasText: 'Payment successful: 1.500 KWD captured.' }).waitFor();
    expect(JSON.parse(t.paymentRequests()[0]!.body)).to.include({ amount: '1.500', currency: 'KWD' });
    t.expectCardNeverSent(CARDS.success);
  });

  it('refuses in the page, in plain words, an amount with more decimals than the currency has, or zero: nothing is posted', async () => {
    await t.open();
    await t.fillOrder({ channel: 'jp-store', currency: 'JPY', amount: '25.50' });
    await t.fillCard(CARDS.success);
    expect(await pay().textContent()).to.equal('Pay');
    await pay().click();
    await t.page.getByRole('alert').filter({ hasText: 'JPY amounts have no decimal places: enter a whole number, such as 25.' }).waitFor();
    expect(await t.page.getByLabel('Amount').getAttribute('aria-invalid')).to.equal('true');
    expect(await t.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).to.equal('amount');

    await t.page.getByLabel('Channel').selectOption('us-store');
    await t.page.getByLabel('Amount').fill('10.123');
    await pay().click();
    await t.page.getByRole('alert').filter({ hasText: 'USD amounts have at most 2 decimal places: enter an amount such as 25.00.' }).waitFor();

    await t.page.getByLabel('Amount').fill('0.00');
    await pay().click();
    await t.page.getByRole('alert').filter({ hasText: 'Enter an amount greater than zero.' }).waitFor();
    expect(t.paymentRequests()).to.deep.equal([]);
    expect(t.pageErrors).to.deep.equal([]);
  });

  it("marks the Amount field when the server refuses the amount (core's invalid_amount: too large for USD) and takes focus there", async () => {
    await t.open();
    // More minor units than the ledger holds (at most 90071992547409.91 USD): the page posts it, the server refuses it.
    await t.fillOrder({ amount: '100000000000000' });
    await t.fillCard(CARDS.success);
    await pay().click();
    await t.page.getByRole('alert').filter({ hasText: 'is too large for USD' }).waitFor();
    const amount = t.page.getByLabel('Amount');
    expect(await amount.getAttribute('aria-invalid')).to.equal('true');
    await t.page.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id === 'amount');
    // Fixing it clears the mark and the message about it.
    await amount.fill('25.00');
    expect(await amount.getAttribute('aria-invalid')).to.equal(null);
    expect(await t.page.getByRole('alert').filter({ hasText: 'is too large for USD' }).count()).to.equal(0);
    expect(t.paymentRequests()).to.have.length(1);
  });
});
