import { expect } from 'chai';
import { CARDS, CheckoutPageHarness, forms } from './page-harness.js';

declare const document: { activeElement: { id: string } | null };

describe('checkout page: a card number in the name, and a second card while an attempt is unresolved, are not sent (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const pay = () => t.page.getByRole('button', { name: 'Pay 25.00 USD' });
  const alert = (text: string) => t.page.getByRole('alert').filter({ hasText: text });
  const nameField = () => t.page.getByLabel('Name on card');

  it('refuses a card number typed into "Name on card" in the page: marked, said under the field, focused, and never posted', async () => {
    // Another card than the one in the card field: only the name could carry it.
    const typed = CARDS.threeDSecure;
    await t.openFilled(CARDS.success);
    for (const name of ['4000 0000 0000 3220', '4000-0000-0000-3220', `Ada ${typed}`]) {
      await nameField().fill(name);
      await pay().click();
      await alert('The name on card looks like a card number').waitFor();
      expect(await nameField().getAttribute('aria-invalid'), name).to.equal('true');
      expect(await t.page.locator('#card-name-error').textContent(), name).to.equal('This looks like a card number: enter the name printed on the card.');
      expect(await t.page.locator('#card-name-error').isVisible(), name).to.equal(true);
      expect(await t.page.evaluate(() => document.activeElement?.id), name).to.equal('card-name');
    }
    expect(t.paymentRequests()).to.deep.equal([]);
    expect(await t.page.locator('#token-note').isHidden()).to.equal(true);

    // Fixing the name clears its mark; the payment then goes through with the name.
    await nameField().fill('Ada Lovelace');
    expect(await nameField().getAttribute('aria-invalid')).to.equal(null);
    expect(await t.page.locator('#card-name-error').isHidden()).to.equal(true);
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(t.paymentRequests()).to.have.length(1);
    expect(JSON.parse(t.paymentRequests()[0]!.body)).to.include({ nameOnCard: 'Ada Lovelace' });
    // No request of any kind carried the number typed into the name.
    for (const request of t.sent) {
      const haystack = [request.url, request.body, ...Object.values(request.headers)].join('\n');
      for (const form of forms(typed)) expect(haystack, `${request.method} ${request.url}`).not.to.include(form);
    }
    t.expectCardNeverSent(CARDS.success);
  });

  it('after an answer to Pay is lost, another card is not sent under a new key: the same details get the first answer, one payment', async () => {
    // The server charges; the answer is lost on the way back (a proxy's 504).
    await t.loseFirstAnswer('**/checkout/api/payments');
    await t.openFilled(CARDS.success);
    await pay().click();
    await alert('may have gone through').waitFor();

    // Another card: nothing is posted (a new key would be a second payment of the same order).
    await t.page.getByLabel('Card number').fill('5555 5555 5555 4444');
    await pay().click();
    await alert('Your earlier payment may have gone through: its answer never arrived.').waitFor();
    expect(t.paymentRequests()).to.have.length(1);
    expect(await t.page.evaluate(() => document.activeElement?.id)).to.equal('message');
    // Another amount neither.
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('Amount').fill('26.00');
    await t.page.getByRole('button', { name: 'Pay 26.00 USD' }).click();
    await alert('Press Pay with the same details as then').waitFor();
    expect(t.paymentRequests()).to.have.length(1);

    // The same details as the first attempt: its key, its answer.
    await t.page.getByLabel('Amount').fill('25.00');
    await pay().click();
    await t.expectChargedOnceUnderOneKey('25.00');
    expect(t.pageErrors).to.deep.equal([]);
  });
});
