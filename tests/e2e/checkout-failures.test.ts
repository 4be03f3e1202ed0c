import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

/**
 * The page's document, for the functions playwright runs in the browser (this
 * file is type-checked without the DOM library): only what they use.
 */
declare const document: {
  activeElement: { id: string; tagName: string } | null;
  querySelector(selector: string): { textContent: string | null } | null;
};

describe('checkout page when answers are lost or fail (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  /** The element that has focus, once it is `id` (fails after 5 s otherwise). */
  async function waitForFocus(id: string): Promise<void> {
    await t.page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5_000 }).catch(async () => {
      const active = await t.page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
      expect(active, 'focused element').to.equal(id);
    });
  }

  it('shows a charge from the answer to Pay even when the payment cannot be read afterwards: no second payment', async () => {
    // Every read of the payment fails (a dropped connection): the result must not depend on it.
    await t.page.route('**/checkout/api/payments/*', (route) => (route.request().method() === 'GET' ? route.abort('connectionreset') : route.fallback()));
    await t.openFilled(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.summary()).to.equal('Payment successful: 25.00 USD captured.');
    expect((await t.transactionRows()).map((r) => r.slice(0, 3))).to.deep.equal([['Charge', 'success', '25.00 USD']]);
    expect(await t.page.locator('#result-note').textContent()).to.match(/full list could not be loaded/);
    expect(await t.page.getByRole('button', { name: /^Pay/ }).isVisible()).to.equal(false);
    expect(t.paymentRequests()).to.have.length(1);
    const payment = await t.server.server.payments.getPayment((await t.page.locator('#result-id').textContent()) ?? '');
    expect(payment.chargeStatus).to.equal('fully-charged');
    expect(t.pageErrors).to.deep.equal([]);
  });

  it("keeps the Idempotency-Key after a proxy's 504 to Pay: paying again replays the first payment, never a second charge", async () => {
    // The server charges, then the proxy in front of it times out: the page gets a 504 page, not the answer.
    const answered: string[] = [];
    let first = true;
    await t.page.route('**/checkout/api/payments', async (route) => {
      const response = await route.fetch();
      answered.push(((await response.json()) as { payment: { id: string } }).payment.id);
      if (!first) return route.fulfill({ response });
      first = false;
      return route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' });
    });
    await t.openFilled(CARDS.success);
    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
    expect(await t.page.locator('#checkout').isVisible()).to.equal(true);

    await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
    expect(await t.resultStatus()).to.equal('fully-charged');
    const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    expect(answered).to.have.length(2);
    expect(answered[1]).to.equal(answered[0]);
    expect(await t.page.locator('#result-id').textContent()).to.equal(answered[0]);
    expect(t.pageErrors).to.deep.equal([]);
  });

  it('keeps the Idempotency-Key of a confirmation answered 502 outcome_unknown: completing again does not confirm twice', async () => {
    // The server confirms (and captures); its answer is replaced by a 502 outcome_unknown.
    await t.loseFirstAnswer('**/checkout/api/payments/*/confirm', { status: 502, contentType: 'application/json', body: '{"code":"outcome_unknown","message":"The gateway did not say what it did."}' });
    await t.openFilled(CARDS.threeDSecure);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    const confirms = t.sent.filter((r) => r.method === 'POST' && r.url.endsWith('/confirm'));
    expect(confirms).to.have.length(2);
    expect(confirms[1]!.headers['idempotency-key']).to.equal(confirms[0]!.headers['idempotency-key']);
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([
      ['3-D Secure', 'action required'],
      ['Charge', 'success'],
    ]);
  });

  it('Fail authentication on a payment a lost answer already confirmed: not cancelled, shown as charged, not "nothing was charged"', async () => {
    // Complete authentication reaches the server, which captures; its answer is lost.
    await t.loseFirstAnswer('**/checkout/api/payments/*/confirm');
    await t.openFilled(CARDS.threeDSecure);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'The server took too long to answer' }).waitFor();
    await t.page.getByRole('button', { name: 'Fail authentication' }).click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    const summary = (await t.summary()) ?? '';
    expect(summary).to.equal('This payment is no longer waiting for authentication, so it was not cancelled. Payment successful: 25.00 USD captured.');
    expect(await t.page.locator('#result-captured').textContent()).to.equal('25.00 USD');
  });

  it('shows a decline from the answer to Pay even when the payment cannot be read', async () => {
    await t.page.route('**/checkout/api/payments/*', (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"The ledger database is unavailable"}' })
        : route.fallback(),
    );
    await t.openFilled(CARDS.declined);
    await t.page.getByRole('button', { name: /^Pay/ }).click();

    await t.page.getByRole('heading', { name: 'Payment', exact: true }).waitFor({ timeout: 10_000 });
    expect(await t.summary()).to.equal('Payment declined: Your card was declined.');
    expect(await t.page.locator('#result-note').textContent()).to.match(/^The payment's details could not be loaded \(payment id [0-9a-f-]{36}\)\.$/);
    expect(await t.page.getByRole('button', { name: 'Try another card' }).isVisible()).to.equal(true);
    expect(t.pageErrors).to.deep.equal([]);
  });

  it('keeps keyboard focus: on the 3-D Secure challenge once it can be used, on the message after a server error', async () => {
    await t.openFilled(CARDS.threeDSecure);
    await t.page.getByLabel('CVC').press('Enter');
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    await waitForFocus('challenge-complete');

    await t.page.route('**/checkout/api/payments', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"The ledger database is unavailable"}' }),
    );
    await t.page.getByRole('button', { name: 'Fail authentication' }).click();
    await t.resultStatus();
    await t.page.getByRole('button', { name: 'Try another card' }).click();
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('CVC').press('Enter');
    await t.page.getByRole('alert').filter({ hasText: 'The ledger database is unavailable' }).waitFor();
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
      await t.page.route('**/checkout/api/channels/*/gateways*', async (route) => {
        const response = await route.fetch();
        const { gateways } = (await response.json()) as { gateways: unknown[] };
        return route.fulfill({ response, json: { gateways: [...gateways, STRIPE] } });
      });
      await t.page.route('https://js.stripe.com/**', (route) =>
        stripeJs() === 'fail' ? route.abort('internetdisconnected') : route.fulfill({ contentType: 'text/javascript', body: FAKE_STRIPE_JS }),
      );
    }

    it('choosing Stripe again retries a failed load of Stripe.js', async () => {
      let online = false;
      await withStripe(() => (online ? 'serve' : 'fail'));
      await t.open();
      await t.page.getByRole('radio', { name: /Stripe/ }).check();
      await t.page.locator('#stripe-status').filter({ hasText: 'Stripe is unavailable' }).waitFor();
      expect(await t.page.getByRole('button', { name: /^Pay/ }).isDisabled()).to.equal(true);

      online = true;
      await t.page.getByRole('radio', { name: /Dummy/ }).check();
      await t.page.getByRole('radio', { name: /Stripe/ }).check();
      await t.page.locator('#stripe-status').filter({ hasText: "Card details are collected by Stripe.js in Stripe's own frame." }).waitFor({ timeout: 5_000 });
      expect(await t.page.getByRole('button', { name: /^Pay/ }).isEnabled()).to.equal(true);
    });

    it('retries a Stripe payment of unknown outcome with the same PaymentMethod and Idempotency-Key', async () => {
      await withStripe(() => 'serve');
      // The proxy in front of the server times out on every attempt.
      await t.page.route('**/checkout/api/payments', (route) => route.fulfill({ status: 504, contentType: 'text/html', body: '<h1>504</h1>' }));
      await t.open();
      await t.page.getByRole('radio', { name: /Stripe/ }).check();
      const pay = t.page.getByRole('button', { name: 'Pay 25.00 USD' });
      await pay.click();
      await t.page.getByRole('alert').filter({ hasText: 'may have gone through' }).waitFor();
      await pay.click();
      await t.page.waitForFunction(() => document.querySelector('#pay')?.textContent?.startsWith('Pay 25.00'));
      const posted = t.paymentRequests();
      expect(posted).to.have.length(2);
      expect(posted[1]!.headers['idempotency-key']).to.equal(posted[0]!.headers['idempotency-key']);
      expect(JSON.parse(posted[1]!.body).token).to.equal('pm_fake_1');
      expect(JSON.parse(posted[0]!.body).token).to.equal('pm_fake_1');
    });
  });

  it('a failed request for the gateways can be retried', async () => {
    let failures = 1;
    await t.page.route('**/checkout/api/channels/*/gateways*', (route) =>
      failures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"down"}' }) : route.fallback(),
    );
    await t.open();
    await t.page.getByRole('alert').filter({ hasText: 'Could not load the gateways: down' }).waitFor();
    await t.page.getByRole('button', { name: 'Retry loading the gateways' }).click({ timeout: 5_000 });
    await t.page.getByRole('radio', { name: /Dummy/ }).waitFor();
    expect(await t.page.getByRole('alert').isVisible()).to.equal(false);
    await t.fillCard(CARDS.success);
    expect(await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).isEnabled()).to.equal(true);
  });

  it('a failed request for the channels can be retried', async () => {
    let failures = 1;
    await t.page.route('**/checkout/api/channels', (route) =>
      failures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"store_unavailable","message":"down"}' }) : route.fallback(),
    );
    await t.page.goto(`${t.server.url}/checkout/`);
    await t.page.getByRole('alert').filter({ hasText: 'Could not load the checkout: down' }).waitFor();
    await t.page.getByRole('button', { name: 'Retry loading the checkout' }).click({ timeout: 5_000 });
    await t.page.getByRole('radio', { name: /Dummy/ }).waitFor();
    expect(await t.page.getByRole('alert').isVisible()).to.equal(false);
    expect(await t.page.getByRole('button', { name: 'Retry loading the checkout' }).isVisible()).to.equal(false);
  });

  describe('requests that never answer (a test clock drives the time limits)', () => {
    /** A route whose first `count` requests hang (never answered, until the page gives up); `calls` counts every request. */
    async function hang(pattern: string, count: number): Promise<{ calls: () => number }> {
      let calls = 0;
      await t.page.route(pattern, (route) => {
        calls++;
        return calls <= count ? new Promise<void>(() => undefined) : route.fallback();
      });
      return { calls: () => calls };
    }

    /** Advances the page's clock in small steps until `done()` holds (the page's own retries wait 500 ms). */
    async function advanceUntil(done: () => boolean | Promise<boolean>): Promise<void> {
      for (let i = 0; i < 100 && !(await done()); i++) {
        await t.page.clock.runFor(250);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await done(), 'the page went on').to.equal(true);
    }

    it('a read of the channels that hangs is given up after 20 s, retried once, then offered for retry', async () => {
      await t.page.clock.install();
      const channels = await hang('**/checkout/api/channels', 2);
      await t.page.goto(`${t.server.url}/checkout/`);
      await advanceUntil(() => channels.calls() === 1);
      await t.page.clock.runFor(19_000);
      expect(channels.calls(), 'still waiting before the time limit').to.equal(1);
      await t.page.clock.runFor(1_000);
      await advanceUntil(() => channels.calls() === 2);
      await t.page.clock.runFor(20_000);
      await t.page.getByRole('alert').filter({ hasText: 'Could not load the checkout: The server did not answer in time.' }).waitFor({ timeout: 5_000 });
      await t.page.getByRole('button', { name: 'Retry loading the checkout' }).click({ timeout: 5_000 });
      await t.page.getByRole('radio', { name: /Dummy/ }).waitFor({ timeout: 5_000 });
      expect(channels.calls()).to.equal(3);
      expect(t.pageErrors).to.deep.equal([]);
    });

    it('Pay that hangs is given up after 90 s and sent again with the same Idempotency-Key: charged once', async () => {
      await t.page.clock.install();
      const pay = await hang('**/checkout/api/payments', 1);
      await t.openFilled(CARDS.success);
      await t.page.getByRole('button', { name: 'Pay 25.00 USD' }).click();
      await advanceUntil(() => pay.calls() === 1);
      await t.page.clock.runFor(90_000);
      await advanceUntil(() => pay.calls() === 2);

      expect(await t.resultStatus()).to.equal('fully-charged');
      const keys = t.paymentRequests().map((r) => r.headers['idempotency-key']);
      expect(keys).to.have.length(2);
      expect(keys[1]).to.equal(keys[0]);
      const payment = await t.server.server.payments.getPayment((await t.page.locator('#result-id').textContent()) ?? '');
      expect(payment.chargeStatus).to.equal('fully-charged');
      expect(t.pageErrors).to.deep.equal([]);
    });
  });
});
