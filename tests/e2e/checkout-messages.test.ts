import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

declare const document: { activeElement: { id: string } | null; getElementById(id: string): { textContent: string | null } | null };

const AMEX = '378282246310005';

describe('checkout page: its messages, the test cards and the checks of the card form (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const pay = () => t.page.getByRole('button', { name: /^Pay/ });
  const testCard = (name: string) => t.page.getByRole('button', { name, exact: true });
  const focused = () => t.page.evaluate(() => document.activeElement?.id ?? '');

  /** The role of the page's message (#message for errors, #notice for information) that says `text`. */
  async function roleSaying(text: string): Promise<string | null> {
    const said = t.page.locator('#message, #notice').filter({ hasText: text });
    await said.waitFor();
    return said.getAttribute('role');
  }

  /** The text of the elements an input is described by (aria-describedby), as a screen reader reads them with it. */
  async function description(label: string): Promise<string> {
    return t.page.getByLabel(label).evaluate((input) => {
      const ids = ((input as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    });
  }

  it('says information politely (role="status") and only errors as alerts', async () => {
    await t.open();
    // The page has one alert region, for errors; its information has a status region of its own.
    expect(await t.page.locator('[role="alert"]').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { id: string }).id))).to.deep.equal(['message']);

    await t.fillOrder();
    await t.fillCard(CARDS.threeDSecure);
    await pay().click();
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    await t.page.goBack(); // nothing went wrong: the page tells what became of the payment
    expect(await roleSaying('was not confirmed (3-D Secure was not completed)')).to.equal('status');
    expect(await t.page.getByRole('alert').count()).to.equal(0);
    expect(await focused()).to.equal('notice'); // read out at once, as the step changed

    // An error to fix is an alert, and replaces the information.
    await t.page.getByLabel('Card number').fill('');
    await pay().click();
    expect(await roleSaying('Enter the card number.')).to.equal('alert');
    expect(await t.page.locator('#notice').textContent()).to.equal('');
    expect(await t.page.getByRole('status').filter({ hasText: 'was not confirmed' }).count()).to.equal(0);
  });

  it('the test cards fill the payment form only while it is on screen: not on 3-D Secure or a result; New payment brings them back', async () => {
    await t.open();
    await t.fillOrder();
    expect(await testCard('4242 4242 4242 4242').isEnabled()).to.equal(true);
    await testCard('4000 0000 0000 3220').click();
    await pay().click();
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    expect(await testCard('4242 4242 4242 4242').isDisabled()).to.equal(true);
    expect(await t.page.locator('#cards-hint').textContent()).to.include('Finish the 3-D Secure step first');

    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    for (const button of await t.page.locator('button.card-fill').all()) expect(await button.isDisabled()).to.equal(true);
    expect(await t.page.locator('#cards-hint').textContent()).to.include('choose New payment first');
    // The hidden form was not filled behind the result.
    expect(await t.page.getByLabel('Card number', { exact: true }).inputValue()).to.equal('4000 0000 0000 3220');

    await t.page.getByRole('button', { name: 'New payment' }).click();
    await testCard('4000 0000 0000 0002').click();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('4000 0000 0000 0002');
    expect(await focused()).to.equal('pay');
    expect(await t.page.locator('#cards-hint').textContent()).to.equal('Choose a card to fill the form.');
    expect(t.paymentRequests()).to.have.length(1);
  });

  it('checks the CVC in the page (3 digits, 4 for American Express), under the field, before anything is posted', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('CVC').fill('12');
    await pay().click();
    const three = 'Enter the 3-digit CVC from the back of the card.';
    expect(await roleSaying(three)).to.equal('alert');
    expect(await t.page.locator('#card-cvc-error').textContent()).to.equal(three);
    expect(await description('CVC')).to.equal(three);
    expect(await t.page.getByLabel('CVC').getAttribute('aria-invalid')).to.equal('true');
    expect(await focused()).to.equal('card-cvc');
    await t.page.getByLabel('CVC').fill('1234'); // four digits are an American Express card's only
    await pay().click();
    await t.page.locator('#card-cvc-error').filter({ hasText: three }).waitFor();

    // American Express: 4 digits, which its test card fills in; 3 are refused.
    await testCard('3782 822463 10005').click();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('3782 822463 10005');
    expect(await t.page.getByLabel('CVC').inputValue()).to.equal('1234');
    expect(await t.page.locator('#card-cvc-error').isHidden()).to.equal(true);
    await t.page.getByLabel('CVC').fill('123');
    await pay().click();
    const four = 'Enter the 4-digit CVC: on an American Express card it is printed on the front.';
    await t.page.getByRole('alert').filter({ hasText: four }).waitFor();
    expect(await description('CVC')).to.equal(four);
    expect(t.paymentRequests()).to.deep.equal([]);

    // Typing clears the field's error; the right length pays, with the token only.
    await t.page.getByLabel('CVC').fill('1234');
    expect(await t.page.getByLabel('CVC').getAttribute('aria-invalid')).to.equal(null);
    expect(await description('CVC')).to.equal('');
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const posted = t.paymentRequests();
    expect(posted).to.have.length(1);
    expect((JSON.parse(posted[0]!.body) as { token: string }).token).to.match(/^tok_dummy_success\.amex\.0005\./);
    t.expectCardNeverSent(AMEX);
    t.expectCardNeverSent(CARDS.success);
  });
});
