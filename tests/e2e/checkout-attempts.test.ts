import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

describe('checkout page: what it says about the current attempt (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const note = () => t.page.locator('#token-note');
  const alert = (text: string) => t.page.getByRole('alert').filter({ hasText: text });

  it('the token note follows the current attempt: refused by the server, gone once the card is edited or an attempt posts nothing', async () => {
    await t.open();
    // Too large for USD (more minor units than the ledger holds): the server refuses it, 400 invalid_input.
    await t.fillOrder({ amount: '100000000000000' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await alert('is too large for USD').waitFor();
    expect(await note().textContent()).to.equal('Token sent to the server, which refused it: tok_dummy_success.visa.4242.12.2034');

    // Another card being typed: the note no longer describes it.
    await t.page.getByLabel('Card number').pressSequentially('4');
    expect(await note().isHidden()).to.equal(true);

    // An attempt the page stops before posting anything says nothing about a token.
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('Amount').fill('25.00');
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    await t.page.getByRole('button', { name: 'New payment' }).click();
    expect(await note().isHidden()).to.equal(true);
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    expect(await note().textContent()).to.equal('Token sent to the server: tok_dummy_success.visa.4242.12.2034');
    await t.page.getByRole('button', { name: 'New payment' }).click();
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('CVC').fill('');
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await alert('Enter the CVC.').waitFor();
    expect(await note().isHidden()).to.equal(true);
    await t.page.getByLabel('Card number').fill('');
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await alert('Enter the card number and the CVC.').waitFor();
    expect(t.paymentRequests()).to.have.length(3);
    t.expectCardNeverSent(CARDS.success);
  });

  it('the token note of an earlier refused attempt goes when the next one is stopped in the page', async () => {
    await t.open();
    await t.fillOrder({ amount: '100000000000000' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await alert('is too large for USD').waitFor();
    await t.page.getByLabel('Amount').fill('25.00');
    await t.page.getByLabel('Expiry (MM/YY)').fill('01/20'); // caught in the page: nothing posted
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await alert('This card has expired').waitFor();
    expect(await note().isHidden()).to.equal(true);
    expect(t.paymentRequests()).to.have.length(1);
  });

  it("says in words what a proxy's HTML error page to Pay means, and that paying again is safe: the same Idempotency-Key", async () => {
    // The server charges; a proxy in front of it answers with its own 502 page.
    await t.loseFirstAnswer('**/checkout/api/payments', { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>' });
    await t.openFilled(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    const message = alert('may have gone through');
    await message.waitFor();
    const text = (await message.textContent()) ?? '';
    expect(text).to.match(/^The server could not be reached: the proxy in front of it got no valid answer \(HTTP 502\)\. The payment may have gone through/);
    expect(text).not.to.include('<');

    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await t.expectChargedOnceUnderOneKey('25.00');
  });

  it("says in words what a proxy's 503 page means when the checkout cannot be loaded", async () => {
    let failures = 1;
    await t.page.route('**/checkout/api/channels', (route) =>
      failures-- > 0 ? route.fulfill({ status: 503, contentType: 'text/html', body: '<h1>Service Unavailable</h1>' }) : route.fallback(),
    );
    await t.page.goto(`${t.server.url}/checkout/`);
    await alert('Could not load the checkout: The server is unavailable at the moment (HTTP 503).').waitFor();
    await t.page.getByRole('button', { name: 'Retry loading the checkout' }).click();
    await t.page.getByRole('radio', { name: /Dummy/ }).waitFor();
  });
});
