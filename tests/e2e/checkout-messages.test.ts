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
    expect(await roleSaying('You left 3-D Secure, so your last payment was cancelled')).to.equal('status');
    expect(await t.page.getByRole('alert').count()).to.equal(0);
    expect(await focused()).to.equal('notice'); // read out at once, as the step changed

    // An error to fix is an alert, and replaces the information.
    await t.page.getByLabel('Card number').fill('');
    await pay().click();
    expect(await roleSaying('Enter the card number.')).to.equal('alert');
    expect(await t.page.locator('#notice').textContent()).to.equal('');
    expect(await t.page.getByRole('status').filter({ hasText: 'You left 3-D Secure' }).count()).to.equal(0);
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

  it('checks the card number in the page (Luhn check digit, 12 to 19 digits), under the field, before it is tokenized', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard('4242424242424241'); // the test card with its last digit mistyped
    await pay().click();
    const mistyped = 'This card number is not valid: check it for a mistyped digit.';
    expect(await roleSaying(mistyped)).to.equal('alert');
    expect(await t.page.locator('#card-number-error').textContent()).to.equal(mistyped);
    expect(await description('Card number')).to.equal(mistyped);
    expect(await t.page.getByLabel('Card number').getAttribute('aria-invalid')).to.equal('true');
    expect(await focused()).to.equal('card-number');
    expect(await t.page.locator('#token-note').isHidden()).to.equal(true); // nothing was tokenized

    // Two digits swapped are caught too; so is a number too short to be a card's.
    await t.page.getByLabel('Card number').fill('4242 4242 4242 2442');
    expect(await t.page.getByLabel('Card number').getAttribute('aria-invalid')).to.equal(null); // typing clears the mark
    await pay().click();
    await t.page.locator('#card-number-error').filter({ hasText: mistyped }).waitFor();
    await t.page.getByLabel('Card number').fill('4242 4242 42');
    await pay().click();
    await t.message('alert', 'This card number is too short: check it.').waitFor();
    expect(t.paymentRequests()).to.deep.equal([]);

    // Fixed: the field's message and the alert go, and the payment is made with the token only.
    await t.page.getByLabel('Card number').fill('4242 4242 4242 4242');
    expect(await description('Card number')).to.equal('');
    await t.page.getByRole('alert').waitFor({ state: 'hidden' });
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(t.paymentRequests()).to.have.length(1);
    t.expectCardNeverSent(CARDS.success);
    t.expectCardNeverSent('4242424242424241');
  });

  it('takes the alert about card fields away once every field it named is fixed, without another Pay; an alert about anything else stays', async () => {
    await t.open();
    await t.fillOrder();
    const alert = t.page.getByRole('alert');

    // One field: fixing it takes the alert away, as it does the message under the field.
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('CVC').fill('12');
    await pay().click();
    await alert.filter({ hasText: 'Enter the 3-digit CVC' }).waitFor();
    await t.page.getByLabel('CVC').fill('123');
    await alert.waitFor({ state: 'hidden' });
    expect(await t.page.locator('#message').textContent()).to.equal('');

    // Three fields: the alert stays until the last of them is fixed.
    for (const label of ['Card number', 'Expiry (MM/YY)', 'CVC']) await t.page.getByLabel(label).fill('');
    await pay().click();
    await alert.filter({ hasText: 'Enter the card number, the expiry date and the CVC.' }).waitFor();
    await t.page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await t.page.getByLabel('Expiry (MM/YY)').fill('12/34');
    expect(await alert.textContent()).to.equal('Enter the card number, the expiry date and the CVC.');
    await t.page.getByLabel('CVC').fill('123');
    await alert.waitFor({ state: 'hidden' });

    // An expiry in the past; a test card fills the form again, which fixes it too.
    await t.page.getByLabel('Expiry (MM/YY)').fill('01/20');
    await pay().click();
    await alert.filter({ hasText: 'This card has expired' }).waitFor();
    await t.page.getByLabel('Expiry (MM/YY)').fill('');
    await testCard('4242 4242 4242 4242').click();
    await alert.waitFor({ state: 'hidden' });

    // The amount is a field too.
    await t.page.getByLabel('Amount').fill('abc');
    await pay().click();
    await alert.waitFor();
    expect(await t.page.getByLabel('Amount').getAttribute('aria-invalid')).to.equal('true');
    await t.page.getByLabel('Amount').fill('25.00');
    await alert.waitFor({ state: 'hidden' });
    expect(t.paymentRequests()).to.deep.equal([]);

    // An error that is not about a field (the server could not be reached) stays while the card is edited.
    await t.page.route('**/checkout/api/payments', (route) => route.fulfill({ status: 503, contentType: 'text/html', body: '<h1>503</h1>' }));
    await pay().click();
    await alert.filter({ hasText: 'The server is unavailable' }).waitFor();
    await t.page.getByLabel('CVC').fill('456');
    expect(await alert.textContent()).to.include('The server is unavailable');
  });

  it("says the result's late note politely, once: #result-note is a status region in the page before the note comes", async () => {
    // What a screen reader is told: text put into a live region that is on screen, once per change.
    await t.page.addInitScript(() => {
      const said: Array<{ id: string; text: string }> = [];
      (globalThis as unknown as { said: typeof said }).said = said;
      type Node = { nodeType: number; parentElement: Element | null };
      type Element = Node & { id: string; textContent: string | null; closest(s: string): Element | null; checkVisibility(): boolean };
      type Observer = new (callback: (records: Array<{ target: Node }>) => void) => { observe(target: object, options: object): void };
      const { MutationObserver } = globalThis as unknown as { MutationObserver: Observer };
      new MutationObserver((records) => {
        const regions = new Set<Element>();
        for (const { target } of records) {
          const element = target.nodeType === 1 ? (target as Element) : target.parentElement;
          const region = element?.closest('[role="status"], [role="alert"], [aria-live]:not([aria-live="off"])');
          if (region) regions.add(region);
        }
        for (const region of regions) if (region.textContent && region.checkVisibility()) said.push({ id: region.id, text: region.textContent });
      }).observe((globalThis as unknown as { document: object }).document, { subtree: true, childList: true, characterData: true });
    });
    // The read of the whole payment, after the result is drawn from Pay's answer, is held, then fails.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await t.page.route('**/checkout/api/payments/*', async (route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      await held;
      return route.abort('connectionreset');
    });
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.success);
    await pay().click();
    expect(await t.resultStatus()).to.equal('fully-charged');

    // Before the note: its status region is already in the page (empty, out of the layout).
    const note = t.page.locator('#result-note');
    expect(await note.getAttribute('role')).to.equal('status');
    expect(await note.textContent()).to.equal('');
    expect(await note.evaluate((n) => (n as unknown as { checkVisibility(): boolean }).checkVisibility())).to.equal(true);

    release();
    const text = "Only this step's transaction is shown: the payment's full list could not be loaded.";
    await t.message('status', text).waitFor();
    await t.page.locator('#result:not([aria-busy])').waitFor();
    const said = await t.page.evaluate(() => (globalThis as unknown as { said: Array<{ id: string; text: string }> }).said);
    expect(said.filter((s) => s.text.includes('full list could not be loaded'))).to.deep.equal([{ id: 'result-note', text }]);
    expect(await t.page.locator('#notice').textContent()).to.equal('');
  });
});
