import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { CHROMIUM_ARGS, requireChromium, screenshotsDir, startCheckoutServer, type CheckoutServer } from './support.js';

/**
 * The page's document, for the functions playwright runs in the browser (this
 * file is type-checked without the DOM library): only what they use.
 */
declare const document: {
  activeElement: { id: string; tagName: string } | null;
  querySelector(selector: string): { textContent: string | null } | null;
};

/** What the page sent: every request, with its body and headers. */
interface Sent {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

const CARDS = {
  success: '4242424242424242',
  threeDSecure: '4000000000003220',
  threeDSecureFail: '4000008400001629',
  declined: '4000000000000002',
};

/** The ways a card number could show up in a request: bare, grouped, URL-encoded. */
function forms(number: string): string[] {
  const groups = number.match(/.{1,4}/g) ?? [number];
  return [number, groups.join(' '), groups.join('%20'), groups.join('+'), groups.join('-')];
}

describe('checkout page (browser, chromium)', function () {
  this.timeout(60_000);

  let server: CheckoutServer;
  let browser: Browser;
  let context: BrowserContext | null = null;
  let page: Page;
  let sent: Sent[];
  let pageErrors: string[];

  before(async function () {
    const executablePath = requireChromium();
    server = await startCheckoutServer();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    page = await context.newPage();
    sent = [];
    pageErrors = [];
    page.on('request', (request: Request) => {
      sent.push({ method: request.method(), url: request.url(), body: request.postData() ?? '', headers: request.headers() });
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state === 'failed' && context) {
      await mkdir(screenshotsDir, { recursive: true });
      const name = test.fullTitle().replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 120);
      await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true }).catch(() => undefined);
    }
    await context?.close();
    context = null;
  });

  /** Nothing the page sent holds the card number; everything went to the server's own origin. */
  function expectCardNeverSent(number: string): void {
    expect(sent.length).to.be.greaterThan(0);
    for (const request of sent) {
      expect(request.url.startsWith(`${server.url}/`), `request to another origin: ${request.url}`).to.equal(true);
      const haystack = [request.url, request.body, ...Object.values(request.headers)].join('\n');
      for (const form of forms(number)) expect(haystack, `${request.method} ${request.url}`).not.to.include(form);
    }
    expect(pageErrors).to.deep.equal([]);
  }

  function paymentRequests(): Sent[] {
    return sent.filter((r) => r.method === 'POST' && r.url === `${server.url}/checkout/api/payments`);
  }

  async function open(): Promise<void> {
    await page.goto(`${server.url}/checkout`);
    expect(page.url()).to.equal(`${server.url}/checkout/`);
    await page.getByRole('heading', { name: 'Checkout', exact: true }).waitFor();
  }

  async function fillOrder(order: { channel?: string; currency?: string; amount?: string } = {}): Promise<void> {
    await page.getByLabel('Channel').selectOption(order.channel ?? 'us-store');
    await page.getByLabel('Currency').selectOption(order.currency ?? 'USD');
    await page.getByRole('radio', { name: /Dummy/ }).check();
    await page.getByLabel('Amount').fill(order.amount ?? '25.00');
  }

  async function fillCard(number: string): Promise<void> {
    await page.getByLabel('Card number').fill(number.replace(/(\d{4})(?=\d)/g, '$1 '));
    await page.getByLabel('Expiry (MM/YY)').fill('12/34');
    await page.getByLabel('CVC').fill('123');
    await page.getByLabel('Name on card').fill('Ada Lovelace');
  }

  async function resultStatus(): Promise<string> {
    await page.getByRole('heading', { name: 'Payment', exact: true }).waitFor();
    return (await page.locator('#result-status').textContent()) ?? '';
  }

  async function transactionRows(): Promise<string[][]> {
    // The result is shown from the operation's answer; the full list of transactions follows.
    await page.locator('#result:not([hidden]):not([aria-busy])').waitFor();
    const rows = page.getByRole('table', { name: 'Transactions' }).locator('tbody tr');
    const count = await rows.count();
    const out: string[][] = [];
    for (let i = 0; i < count; i++) out.push((await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim()));
    return out;
  }

  it('pays with the success card: only a token is posted, the payment is fully charged, its transaction is shown', async () => {
    await open();
    // The page lists the configured channels and the gateway of the chosen currency.
    const channels = await page.getByLabel('Channel').locator('option').allTextContents();
    expect(channels).to.deep.equal(['US store (us-store)', 'EU store (eu-store)']);
    await fillOrder();
    await fillCard(CARDS.success);
    const pay = page.getByRole('button', { name: 'Pay 25.00 USD' });
    await pay.click();

    expect(await resultStatus()).to.equal('fully-charged');
    expect(await page.getByRole('status').textContent()).to.equal('Payment successful: 25.00 USD captured.');
    expect(await page.locator('#result-captured').textContent()).to.equal('25.00 USD');
    const rows = await transactionRows();
    expect(rows).to.have.length(1);
    expect(rows[0]?.slice(0, 3)).to.deep.equal(['capture', 'success', '25.00 USD']);

    const posted = paymentRequests();
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
    expectCardNeverSent(CARDS.success);

    // The ledger agrees with the page.
    const id = await page.locator('#result-id').textContent();
    const payment = await server.server.payments.getPayment(id ?? '');
    expect(payment.chargeStatus).to.equal('fully-charged');
    expect(payment.token).to.equal('tok_dummy_success.visa.4242.12.2034');
  });

  it('goes through 3-D Secure with the 3DS test card: challenge, complete, captured', async () => {
    await open();
    await fillOrder({ currency: 'EUR', amount: '42.10' });
    await fillCard(CARDS.threeDSecure);
    await page.getByRole('button', { name: 'Pay 42.10 EUR' }).click();

    await page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    expect(await page.locator('#challenge-amount').textContent()).to.equal('42.10 EUR');
    await page.getByRole('button', { name: 'Complete authentication' }).click();

    expect(await resultStatus()).to.equal('fully-charged');
    expect(await page.locator('#result-captured').textContent()).to.equal('42.10 EUR');
    const rows = await transactionRows();
    expect(rows.map((r) => r.slice(0, 3))).to.deep.equal([
      ['action_to_confirm', 'action required', '42.10 EUR'],
      ['capture', 'success', '42.10 EUR'],
    ]);
    const confirms = sent.filter((r) => r.method === 'POST' && r.url.endsWith('/confirm'));
    expect(confirms).to.have.length(1);
    expect(confirms[0]!.headers['idempotency-key']).to.be.a('string').and.not.equal(paymentRequests()[0]!.headers['idempotency-key']);
    expectCardNeverSent(CARDS.threeDSecure);
  });

  it('shows a decline clearly, with the failed transaction', async () => {
    await open();
    await fillOrder();
    await fillCard(CARDS.declined);
    await page.getByRole('button', { name: /^Pay/ }).click();

    await resultStatus();
    expect(await page.getByRole('status').textContent()).to.equal('Payment declined: Your card was declined.');
    expect(await page.locator('#result-captured').textContent()).to.equal('0.00 USD');
    const rows = await transactionRows();
    expect(rows).to.have.length(1);
    expect(rows[0]?.slice(0, 4)).to.deep.equal(['auth', 'failed', '25.00 USD', 'Your card was declined. (declined)']);
    expect(await page.getByRole('button', { name: 'Try another card' }).isVisible()).to.equal(true);
    expectCardNeverSent(CARDS.declined);

    // Another card, another attempt (a new payment, a new Idempotency-Key).
    await page.getByRole('button', { name: 'Try another card' }).click();
    expect(await page.getByLabel('Card number').inputValue()).to.equal('');
    await page.getByLabel('Card number').fill(CARDS.success);
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('status').filter({ hasText: 'Payment successful' }).waitFor();
    const keys = paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[0]).to.not.equal(keys[1]);
    expectCardNeverSent(CARDS.success);
  });

  it('3-D Secure the bank refuses: complete authentication, then declined', async () => {
    await open();
    await fillOrder();
    await page.getByRole('button', { name: '4000 0084 0000 1629' }).click(); // the test-card list fills the form
    expect(await page.getByLabel('Card number').inputValue()).to.equal('4000 0084 0000 1629');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await resultStatus();
    expect(await page.getByRole('status').textContent()).to.equal('Payment declined: The card was declined after 3-D Secure authentication failed.');
    const rows = await transactionRows();
    expect(rows.map((r) => r.slice(0, 2))).to.deep.equal([
      ['action_to_confirm', 'action required'],
      ['capture', 'failed'],
    ]);
    expectCardNeverSent(CARDS.threeDSecureFail);
  });

  it('failing the challenge confirms nothing: the payment is not charged', async () => {
    await open();
    await fillOrder();
    await fillCard(CARDS.threeDSecure);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    expect(await resultStatus()).to.equal('not-charged');
    expect(await page.getByRole('status').textContent()).to.match(/^Authentication failed/);
    expect(sent.filter((r) => r.url.endsWith('/confirm'))).to.deep.equal([]);
    expect((await transactionRows()).map((r) => r[0])).to.deep.equal(['action_to_confirm']);
    expectCardNeverSent(CARDS.threeDSecure);
  });

  it('authorizes only in a channel without auto-capture', async () => {
    await open();
    await fillOrder({ channel: 'eu-store', currency: 'EUR', amount: '10.00' });
    await fillCard(CARDS.success);
    await page.getByRole('button', { name: 'Pay 10.00 EUR' }).click();
    await resultStatus();
    expect(await page.getByRole('status').textContent()).to.equal('Payment authorized: 10.00 EUR, to be captured by the shop.');
    expect((await transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([['auth', 'success']]);
  });

  it('checks the form in the page: a bad amount or a missing card number is not posted', async () => {
    await open();
    await fillOrder({ amount: '12,50' });
    await fillCard(CARDS.success);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter the amount as a decimal number' }).waitFor();
    expect(await page.getByLabel('Amount').getAttribute('aria-invalid')).to.equal('true');

    await page.getByLabel('Amount').fill('12.50');
    await page.getByLabel('Card number').fill('');
    await page.getByRole('button', { name: 'Pay 12.50 USD' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter the card number.' }).waitFor();
    expect(paymentRequests()).to.deep.equal([]);
  });

  // ------------------------------------------------------------ failures on the way (page.route)

  /** The element that has focus, once it is `id` (fails after 5 s otherwise). */
  async function waitForFocus(id: string): Promise<void> {
    await page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5_000 }).catch(async () => {
      const active = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
      expect(active, 'focused element').to.equal(id);
    });
  }

  it('shows a charge from the answer to Pay even when the payment cannot be read afterwards: no second payment', async () => {
    // Every read of the payment fails (a dropped connection): the result must not depend on it.
    await page.route('**/checkout/api/payments/*', (route) => (route.request().method() === 'GET' ? route.abort('connectionreset') : route.fallback()));
    await open();
    await fillOrder();
    await fillCard(CARDS.success);
    await page.getByRole('button', { name: 'Pay 25.00 USD' }).click();

    expect(await resultStatus()).to.equal('fully-charged');
    expect(await page.getByRole('status').textContent()).to.equal('Payment successful: 25.00 USD captured.');
    expect((await transactionRows()).map((r) => r.slice(0, 3))).to.deep.equal([['capture', 'success', '25.00 USD']]);
    expect(await page.locator('#result-note').textContent()).to.match(/full list could not be loaded/);
    expect(await page.getByRole('button', { name: /^Pay/ }).isVisible()).to.equal(false);
    expect(paymentRequests()).to.have.length(1);
    const payment = await server.server.payments.getPayment((await page.locator('#result-id').textContent()) ?? '');
    expect(payment.chargeStatus).to.equal('fully-charged');
    expect(pageErrors).to.deep.equal([]);
  });

  it("keeps the Idempotency-Key after a proxy's 504 to Pay: paying again replays the first payment, never a second charge", async () => {
    // The server charges, then the proxy in front of it times out: the page gets a 504 page, not the answer.
    const answered: string[] = [];
    let first = true;
    await page.route('**/checkout/api/payments', async (route) => {
      const response = await route.fetch();
      answered.push(((await response.json()) as { payment: { id: string } }).payment.id);
      if (!first) return route.fulfill({ response });
      first = false;
      return route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' });
    });
    await open();
    await fillOrder();
    await fillCard(CARDS.success);
    await page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
    expect(await page.locator('#checkout').isVisible()).to.equal(true);

    await page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    expect(await resultStatus()).to.equal('fully-charged');
    const keys = paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    expect(answered).to.have.length(2);
    expect(answered[1]).to.equal(answered[0]);
    expect(await page.locator('#result-id').textContent()).to.equal(answered[0]);
    expect(pageErrors).to.deep.equal([]);
  });

  it('keeps the Idempotency-Key of a confirmation answered 502 outcome_unknown: completing again does not confirm twice', async () => {
    let first = true;
    await page.route('**/checkout/api/payments/*/confirm', async (route) => {
      if (!first) return route.fallback();
      first = false;
      await route.fetch(); // the server confirmed (and captured)...
      return route.fulfill({ status: 502, contentType: 'application/json', body: '{"code":"outcome_unknown","message":"The gateway did not say what it did."}' });
    });
    await open();
    await fillOrder();
    await fillCard(CARDS.threeDSecure);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
    await page.getByRole('button', { name: 'Complete authentication' }).click();

    expect(await resultStatus()).to.equal('fully-charged');
    const confirms = sent.filter((r) => r.method === 'POST' && r.url.endsWith('/confirm'));
    expect(confirms).to.have.length(2);
    expect(confirms[1]!.headers['idempotency-key']).to.equal(confirms[0]!.headers['idempotency-key']);
    expect((await transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([
      ['action_to_confirm', 'action required'],
      ['capture', 'success'],
    ]);
  });

  it('Fail authentication reads the payment first: one a lost answer already confirmed is shown as charged, not "nothing was charged"', async () => {
    // Complete authentication reaches the server, which captures; its answer is lost.
    let first = true;
    await page.route('**/checkout/api/payments/*/confirm', async (route) => {
      if (!first) return route.fallback();
      first = false;
      await route.fetch();
      return route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' });
    });
    await open();
    await fillOrder();
    await fillCard(CARDS.threeDSecure);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.getByRole('alert').filter({ hasText: 'The server answered 504.' }).waitFor();
    await page.getByRole('button', { name: 'Fail authentication' }).click();

    expect(await resultStatus()).to.equal('fully-charged');
    const summary = (await page.getByRole('status').textContent()) ?? '';
    expect(summary).to.include('Payment successful: 25.00 USD captured.');
    expect(summary).not.to.include('nothing was charged');
    expect(await page.locator('#result-captured').textContent()).to.equal('25.00 USD');
  });

  it('shows a decline from the answer to Pay even when the payment cannot be read', async () => {
    await page.route('**/checkout/api/payments/*', (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"The ledger database is unavailable"}' })
        : route.fallback(),
    );
    await open();
    await fillOrder();
    await fillCard(CARDS.declined);
    await page.getByRole('button', { name: /^Pay/ }).click();

    await page.getByRole('heading', { name: 'Payment', exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('status').textContent()).to.equal('Payment declined: Your card was declined.');
    expect(await page.locator('#result-note').textContent()).to.match(/^The payment's details could not be loaded \(payment id [0-9a-f-]{36}\)\.$/);
    expect(await page.getByRole('button', { name: 'Try another card' }).isVisible()).to.equal(true);
    expect(pageErrors).to.deep.equal([]);
  });

  it('keeps keyboard focus: on the 3-D Secure challenge once it can be used, on the message after a server error', async () => {
    await open();
    await fillOrder();
    await fillCard(CARDS.threeDSecure);
    await page.getByLabel('CVC').press('Enter');
    await page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    await waitForFocus('challenge-complete');

    await page.route('**/checkout/api/payments', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"The ledger database is unavailable"}' }),
    );
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await resultStatus();
    await page.getByRole('button', { name: 'Try another card' }).click();
    await fillCard(CARDS.success);
    await page.getByLabel('CVC').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The ledger database is unavailable' }).waitFor();
    await waitForFocus('message');
  });

  describe('Stripe gateway (Stripe.js faked with page.route)', () => {
    const STRIPE = { id: 'payhost.stripe', name: 'Stripe', currencies: ['USD'], config: [{ field: 'api_key', value: 'pk_test_e2e' }] };
    const FAKE_STRIPE_JS = `let n = 0;
      window.Stripe = () => ({
        elements: () => ({ create: () => ({ mount() {}, on() {}, clear() {} }) }),
        createPaymentMethod: async () => ({ paymentMethod: { id: 'pm_fake_' + ++n } }),
      });`;

    /** Lists a Stripe gateway next to the server's own; js.stripe.com answers per `stripeJs`. */
    async function withStripe(stripeJs: () => 'fail' | 'serve'): Promise<void> {
      await page.route('**/checkout/api/channels/*/gateways*', async (route) => {
        const response = await route.fetch();
        const { gateways } = (await response.json()) as { gateways: unknown[] };
        return route.fulfill({ response, json: { gateways: [...gateways, STRIPE] } });
      });
      await page.route('https://js.stripe.com/**', (route) =>
        stripeJs() === 'fail' ? route.abort('internetdisconnected') : route.fulfill({ contentType: 'text/javascript', body: FAKE_STRIPE_JS }),
      );
    }

    it('choosing Stripe again retries a failed load of Stripe.js', async () => {
      let online = false;
      await withStripe(() => (online ? 'serve' : 'fail'));
      await open();
      await page.getByRole('radio', { name: /Stripe/ }).check();
      await page.locator('#stripe-status').filter({ hasText: 'Stripe is unavailable' }).waitFor();
      expect(await page.getByRole('button', { name: /^Pay/ }).isDisabled()).to.equal(true);

      online = true;
      await page.getByRole('radio', { name: /Dummy/ }).check();
      await page.getByRole('radio', { name: /Stripe/ }).check();
      await page.locator('#stripe-status').filter({ hasText: "Card details are collected by Stripe.js in Stripe's own frame." }).waitFor({ timeout: 5_000 });
      expect(await page.getByRole('button', { name: /^Pay/ }).isEnabled()).to.equal(true);
    });

    it('retries a Stripe payment of unknown outcome with the same PaymentMethod and Idempotency-Key', async () => {
      await withStripe(() => 'serve');
      // The proxy in front of the server times out on every attempt.
      await page.route('**/checkout/api/payments', (route) => route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504</h1>' }));
      await open();
      await page.getByRole('radio', { name: /Stripe/ }).check();
      const pay = page.getByRole('button', { name: 'Pay 25.00 USD' });
      await pay.click();
      await page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
      await pay.click();
      await page.waitForFunction(() => document.querySelector('#pay')?.textContent?.startsWith('Pay 25.00'));
      const posted = paymentRequests();
      expect(posted).to.have.length(2);
      expect(posted[1]!.headers['idempotency-key']).to.equal(posted[0]!.headers['idempotency-key']);
      expect(JSON.parse(posted[1]!.body).token).to.equal('pm_fake_1');
      expect(JSON.parse(posted[0]!.body).token).to.equal('pm_fake_1');
    });
  });

  it('a failed request for the gateways can be retried', async () => {
    let failures = 1;
    await page.route('**/checkout/api/channels/*/gateways*', (route) =>
      failures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"down"}' }) : route.fallback(),
    );
    await open();
    await page.getByRole('alert').filter({ hasText: 'Could not load the gateways: down' }).waitFor();
    await page.getByRole('button', { name: 'Retry loading the gateways' }).click({ timeout: 5_000 });
    await page.getByRole('radio', { name: /Dummy/ }).waitFor();
    expect(await page.getByRole('alert').isVisible()).to.equal(false);
    await fillCard(CARDS.success);
    expect(await page.getByRole('button', { name: 'Pay 25.00 USD' }).isEnabled()).to.equal(true);
  });

  it('a failed request for the channels can be retried', async () => {
    let failures = 1;
    await page.route('**/checkout/api/channels', (route) =>
      failures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"down"}' }) : route.fallback(),
    );
    await page.goto(`${server.url}/checkout/`);
    await page.getByRole('alert').filter({ hasText: 'Could not load the checkout: down' }).waitFor();
    await page.getByRole('button', { name: 'Retry loading the checkout' }).click({ timeout: 5_000 });
    await page.getByRole('radio', { name: /Dummy/ }).waitFor();
    expect(await page.getByRole('alert').isVisible()).to.equal(false);
    expect(await page.getByRole('button', { name: 'Retry loading the checkout' }).isVisible()).to.equal(false);
  });

  it('says the dummy card form is unavailable when the tokenizer is not served', async () => {
    await page.route('**/checkout/vendor/dummy-tokens.js', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"code":"route_not_found","message":"not installed"}' }));
    await open();
    await fillOrder();
    await page.getByText('The dummy card form is unavailable').waitFor();
    expect(await page.getByLabel('Card number').isVisible()).to.equal(false);
    expect(await page.getByRole('button', { name: /^Pay/ }).isDisabled()).to.equal(true);
  });
});
