import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { CARDS, CheckoutPageHarness } from './page-harness.js';
import { call } from './support.js';

describe('checkout page (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  it('pays with the success card: only a token is posted, the payment is fully charged, its transaction is shown', async () => {
    await t.open();
    // The page lists the configured channels and the gateway of the chosen currency.
    const channels = await t.page.getByLabel('Channel').locator('option').allTextContents();
    expect(channels).to.deep.equal(['US store (us-store)', 'EU store (eu-store)']);
    await t.fillOrder();
    await t.fillCard(CARDS.success);
    const pay = t.page.getByRole('button', { name: 'Pay 25.00 USD' });
    await pay.click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.summary()).to.equal('Payment successful: 25.00 USD captured.');
    expect(await t.page.locator('#result-captured').textContent()).to.equal('25.00 USD');
    // Words, not the ledger's codes: the status, the gateway's name, the transaction's kind.
    expect(await t.page.locator('#result-status').textContent()).to.equal('Fully charged');
    expect(await t.page.locator('#result-gateway').textContent()).to.equal('Dummy');
    const rows = await t.transactionRows();
    expect(rows).to.have.length(1);
    expect(rows[0]?.slice(0, 3)).to.deep.equal(['Charge', 'success', '25.00 USD']);

    const posted = t.paymentRequests();
    expect(posted).to.have.length(1);
    const body = JSON.parse(posted[0]!.body) as Record<string, unknown>;
    expect(body).to.deep.equal({
      channel: 'us-store',
      gateway: 'payhost.dummy',
      amount: '25.00',
      currency: 'USD',
      token: 'tok_dummy_success.visa.4242.12.2034',
      nameOnCard: 'Ada Lovelace',
    });
    expect(posted[0]!.headers['idempotency-key']).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.expectCardNeverSent(CARDS.success);

    // The ledger agrees with the t.page.
    const id = await t.page.locator('#result-id').textContent();
    const payment = await t.server.server.payments.getPayment(id ?? '');
    expect(payment.chargeStatus).to.equal('fully-charged');
    expect(payment.token).to.equal('tok_dummy_success.visa.4242.12.2034');
  });

  it('goes through 3-D Secure with the 3DS test card: challenge, complete, captured', async () => {
    await t.open();
    await t.fillOrder({ currency: 'EUR', amount: '42.10' });
    await t.fillCard(CARDS.threeDSecure);
    await t.page.getByRole('button', { name: 'Pay 42.10 EUR' }).click();

    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    expect(await t.page.locator('#challenge-amount').textContent()).to.equal('42.10 EUR');
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.page.locator('#result-captured').textContent()).to.equal('42.10 EUR');
    const rows = await t.transactionRows();
    expect(rows.map((r) => r.slice(0, 3))).to.deep.equal([
      ['3-D Secure', 'action required', '42.10 EUR'],
      ['Charge', 'success', '42.10 EUR'],
    ]);
    const confirms = t.sent.filter((r) => r.method === 'POST' && r.url.endsWith('/confirm'));
    expect(confirms).to.have.length(1);
    expect(confirms[0]!.headers['idempotency-key']).to.be.a('string').and.not.equal(t.paymentRequests()[0]!.headers['idempotency-key']);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('shows a decline clearly, with the failed transaction', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.declined);
    await t.page.getByRole('button', { name: /^Pay/ }).click();

    await t.resultStatus();
    expect(await t.summary()).to.equal('Payment declined: Your card was declined.');
    expect(await t.page.locator('#result-captured').textContent()).to.equal('0.00 USD');
    const rows = await t.transactionRows();
    expect(rows).to.have.length(1);
    expect(rows[0]?.slice(0, 4)).to.deep.equal(['Authorization', 'failed', '25.00 USD', 'Your card was declined.']);
    expect(await t.page.locator('#result-status').textContent()).to.equal('Not charged');
    expect(await t.page.locator('#transactions tbody td[data-error-code="declined"]').textContent()).to.equal('Your card was declined.');
    expect(await t.page.getByRole('button', { name: 'Try another card' }).isVisible()).to.equal(true);
    t.expectCardNeverSent(CARDS.declined);

    // Another card, another attempt (a new payment, a new Idempotency-Key).
    await t.page.getByRole('button', { name: 'Try another card' }).click();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('');
    await t.page.getByLabel('Card number').fill(CARDS.success);
    await t.page.getByLabel('CVC').fill('123');
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('status').filter({ hasText: 'Payment successful' }).waitFor();
    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[0]).to.not.equal(keys[1]);
    t.expectCardNeverSent(CARDS.success);
  });

  it('3-D Secure the bank refuses: complete authentication, then declined', async () => {
    await t.open();
    await t.fillOrder();
    await t.page.getByRole('button', { name: '4000 0084 0000 1629' }).click(); // the test-card list fills the form
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('4000 0084 0000 1629');
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    await t.resultStatus();
    expect(await t.summary()).to.equal('Payment declined: The card was declined after 3-D Secure authentication failed.');
    const rows = await t.transactionRows();
    expect(rows.map((r) => r.slice(0, 2))).to.deep.equal([
      ['3-D Secure', 'action required'],
      ['Charge', 'failed'],
    ]);
    t.expectCardNeverSent(CARDS.threeDSecureFail);
  });

  it('failing the challenge closes the payment: nothing charged, and it can no longer be confirmed (no second charge)', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.threeDSecure);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('button', { name: 'Fail authentication' }).click();
    expect(await t.resultStatus()).to.equal('not-charged');
    expect(await t.summary()).to.equal('Authentication failed: the payment was cancelled, and nothing was charged.');
    expect(t.sent.filter((r) => r.url.endsWith('/confirm'))).to.deep.equal([]);
    // Closed on the server (the void Cancel payment sends), not only said to be.
    const cancels = t.sent.filter((r) => r.method === 'POST' && r.url.endsWith('/cancel'));
    expect(cancels).to.have.length(1);
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([
      ['3-D Secure', 'action required'],
      ['Void', 'success'],
    ]);
    const id = (await t.page.locator('#result-id').textContent()) ?? '';
    const closed = await t.server.server.payments.getPayment(id);
    expect([closed.chargeStatus, closed.toConfirm, closed.isActive]).to.deep.equal(['not-charged', false, false]);

    // A confirm of it, under a fresh key (another tab, a replayed request), is refused: nothing is captured.
    const confirm = await call(t.server.url, 'POST', `/checkout/api/payments/${id}/confirm`, { body: {}, idempotencyKey: randomUUID() });
    expect(confirm.status).to.be.within(400, 499);
    const after = await t.server.server.payments.getPayment(id);
    expect(after.capturedAmount.toFixed(2)).to.equal('0.00');
    expect(after.chargeStatus).to.equal('not-charged');
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('authorizes only in a channel without auto-capture', async () => {
    await t.open();
    await t.fillOrder({ channel: 'eu-store', currency: 'EUR', amount: '10.00' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 10.00 EUR' }).click();
    await t.resultStatus();
    expect(await t.summary()).to.equal('Payment authorized: 10.00 EUR, to be captured by the shop.');
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([['Authorization', 'success']]);
  });

  it('checks the form in the page: a bad amount, a missing card number or an expiry in the past is not posted', async () => {
    await t.open();
    await t.fillOrder({ amount: '12,50' });
    await t.fillCard(CARDS.success);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('alert').filter({ hasText: 'Enter the amount as a decimal number' }).waitFor();
    expect(await t.page.getByLabel('Amount').getAttribute('aria-invalid')).to.equal('true');

    await t.page.getByLabel('Amount').fill('12.50');
    await t.page.getByLabel('Card number').fill('');
    await t.page.getByRole('button', { name: 'Pay 12.50 USD' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'Enter the card number.' }).waitFor();

    // An expiry date in the past is caught in the page, on the field to fix; this month is still good.
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('Expiry (MM/YY)').fill('01/20');
    await t.page.getByRole('button', { name: 'Pay 12.50 USD' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'This card has expired: check the expiry date, or use another card.' }).waitFor();
    expect(await t.page.getByLabel('Expiry (MM/YY)').getAttribute('aria-invalid')).to.equal('true');
    expect(await t.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).to.equal('card-expiry');
    expect(t.paymentRequests()).to.deep.equal([]);
    const now = new Date();
    await t.page.getByLabel('Expiry (MM/YY)').fill(`${String(now.getMonth() + 1).padStart(2, '0')}/${String(now.getFullYear() % 100).padStart(2, '0')}`);
    await t.page.getByRole('button', { name: 'Pay 12.50 USD' }).click();
    await t.page.getByRole('status').filter({ hasText: 'Payment successful: 12.50 USD captured.' }).waitFor();
    t.expectCardNeverSent(CARDS.success);
  });

  it('says the dummy card form is unavailable when the tokenizer is not served', async () => {
    await t.page.route('**/checkout/vendor/dummy-tokens.js', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"code":"route_not_found","message":"not installed"}' }));
    await t.open();
    await t.fillOrder();
    await t.page.getByText('The dummy card form is unavailable').waitFor();
    expect(await t.page.getByLabel('Card number').isVisible()).to.equal(false);
    expect(await t.page.getByRole('button', { name: /^Pay/ }).isDisabled()).to.equal(true);
  });
});
