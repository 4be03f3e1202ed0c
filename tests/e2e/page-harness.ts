import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Request } from 'playwright-core';
import { CHROMIUM_ARGS, requireChromium, screenshotsDir, startCheckoutServer, type CheckoutServer, type CheckoutServerOptions } from './support.js';

/** What the page sent: every request, with its body and headers. */
export interface Sent {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

export const CARDS = {
  success: '4242424242424242',
  threeDSecure: '4000000000003220',
  threeDSecureFail: '4000008400001629',
  declined: '4000000000000002',
};

/** The page's history, for the functions playwright runs in the browser (no DOM library here). */
declare const history: { state: { paymentId?: string } | null };

/** What a proxy answers in place of a lost answer. */
export interface ProxyAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** A proxy's timeout page. */
export const GATEWAY_TIMEOUT: ProxyAnswer = { status: 504, contentType: 'text/html', body: '<h1>504 Gateway Time-out</h1>' };

/** The ways a card number could show up in a request: bare, grouped, URL-encoded. */
export function forms(number: string): string[] {
  const groups = number.match(/.{1,4}/g) ?? [number];
  return [number, groups.join(' '), groups.join('%20'), groups.join('+'), groups.join('-')];
}

/**
 * One browser test suite of the checkout page: a server and a chromium for
 * the suite, a fresh page per test (every request it sends recorded, a
 * screenshot saved when the test fails), and the steps the tests share.
 */
export class CheckoutPageHarness {
  server!: CheckoutServer;
  page!: Page;
  sent: Sent[] = [];
  pageErrors: string[] = [];
  private browser: Browser | null = null;
  private context: BrowserContext | null = null;

  /** Registers the suite's hooks in the calling describe block. */
  static use(serverOptions: CheckoutServerOptions = {}): CheckoutPageHarness {
    const t = new CheckoutPageHarness();
    before(async () => {
      const executablePath = requireChromium();
      t.server = await startCheckoutServer(serverOptions);
      t.browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    });
    after(async () => {
      await t.browser?.close();
      await t.server?.close();
    });
    beforeEach(async () => t.openContext());
    afterEach(async function () {
      await t.closeContext(this.currentTest);
    });
    return t;
  }

  private async openContext(): Promise<void> {
    this.context = await (this.browser as Browser).newContext({ viewport: { width: 1200, height: 1000 } });
    this.page = await this.context.newPage();
    this.sent = [];
    this.pageErrors = [];
    this.page.on('request', (request: Request) => {
      this.sent.push({ method: request.method(), url: request.url(), body: request.postData() ?? '', headers: request.headers() });
    });
    this.page.on('pageerror', (err) => this.pageErrors.push(err.message));
  }

  private async closeContext(test: Mocha.Test | undefined): Promise<void> {
    if (test?.state === 'failed' && this.context) {
      await mkdir(screenshotsDir, { recursive: true });
      const name = test.fullTitle().replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 120);
      await this.page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true }).catch(() => undefined);
    }
    await this.context?.close();
    this.context = null;
  }

  /** Nothing the page sent holds the card number; everything went to the server's own origin. */
  expectCardNeverSent(number: string): void {
    expect(this.sent.length).to.be.greaterThan(0);
    for (const request of this.sent) {
      expect(request.url.startsWith(`${this.server.url}/`), `request to another origin: ${request.url}`).to.equal(true);
      const haystack = [request.url, request.body, ...Object.values(request.headers)].join('\n');
      for (const form of forms(number)) expect(haystack, `${request.method} ${request.url}`).not.to.include(form);
    }
    expect(this.pageErrors).to.deep.equal([]);
  }

  /** After a lost answer and a second Pay: both posts under one Idempotency-Key, and the one payment charged `amount`. */
  async expectChargedOnceUnderOneKey(amount: string): Promise<void> {
    expect(await this.resultStatus()).to.equal('fully-charged');
    const keys = this.paymentRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    const payment = await this.server.server.payments.getPayment((await this.page.locator('#result-id').textContent()) ?? '');
    expect(payment.capturedAmount.toFixed(2)).to.equal(amount);
  }

  paymentRequests(): Sent[] {
    return this.sent.filter((r) => r.method === 'POST' && r.url === `${this.server.url}/checkout/api/payments`);
  }

  /** The cancels the page posted (any payment). */
  cancelRequests(): Sent[] {
    return this.sent.filter((r) => r.method === 'POST' && /\/checkout\/api\/payments\/[0-9a-f-]{36}\/cancel$/.test(r.url));
  }

  /**
   * The first request to `urlGlob` reaches the server, which acts on it, but its answer is lost: the page
   * gets `answer` (a proxy's error page) instead. Later requests go through.
   */
  async loseFirstAnswer(urlGlob: string, answer: ProxyAnswer = GATEWAY_TIMEOUT): Promise<void> {
    let first = true;
    await this.page.route(urlGlob, async (route) => {
      if (!first) return route.fallback();
      first = false;
      await route.fetch();
      return route.fulfill(answer);
    });
  }

  async open(): Promise<void> {
    await this.page.goto(`${this.server.url}/checkout`);
    expect(this.page.url()).to.equal(`${this.server.url}/checkout/`);
    await this.page.getByRole('heading', { name: 'Checkout', exact: true }).waitFor();
  }

  async fillOrder(order: { channel?: string; currency?: string; amount?: string } = {}): Promise<void> {
    await this.page.getByLabel('Channel').selectOption(order.channel ?? 'us-store');
    await this.page.getByLabel('Currency').selectOption(order.currency ?? 'USD');
    await this.page.getByRole('radio', { name: /Dummy/ }).check();
    await this.page.getByLabel('Amount').fill(order.amount ?? '25.00');
  }

  async fillCard(number: string): Promise<void> {
    await this.page.getByLabel('Card number').fill(number.replace(/(\d{4})(?=\d)/g, '$1 '));
    await this.page.getByLabel('Expiry (MM/YY)').fill('12/34');
    await this.page.getByLabel('CVC').fill('123');
    await this.page.getByLabel('Name on card').fill('Ada Lovelace');
  }

  /** Opens the page and fills the order (the default one unless given) and `card`. */
  async openFilled(card: string, order: { channel?: string; currency?: string; amount?: string } = {}): Promise<void> {
    await this.open();
    await this.fillOrder(order);
    await this.fillCard(card);
  }

  /** Opens the page, pays with the 3-D Secure test card by `pay` and waits for the challenge; the payment's id the page keeps in its history state. */
  async openToChallenge(pay: Locator): Promise<string> {
    await this.openFilled(CARDS.threeDSecure);
    await pay.click();
    await this.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    return (await this.page.evaluate(() => history.state?.paymentId)) ?? '';
  }

  /** The result's summary line (a status: said politely, not an alert). */
  async summary(): Promise<string> {
    return (await this.page.locator('#result-summary[role="status"]').textContent()) ?? '';
  }

  /** A visible message with `text` in the page's alert (errors) or status (information) region. */
  message(role: 'alert' | 'status', text: string) {
    return this.page.getByRole(role).filter({ hasText: text });
  }

  async resultStatus(): Promise<string> {
    await this.page.getByRole('heading', { name: 'Payment', exact: true }).waitFor();
    // The ledger's code; the badge shows it in words ("Fully charged").
    return (await this.page.locator('#result-status').getAttribute('data-status')) ?? '';
  }

  async transactionRows(): Promise<string[][]> {
    // The result is shown from the operation's answer; the full list of transactions follows.
    await this.page.locator('#result:not([hidden]):not([aria-busy])').waitFor();
    const rows = this.page.getByRole('table', { name: 'Transactions' }).locator('tbody tr');
    const count = await rows.count();
    const out: string[][] = [];
    for (let i = 0; i < count; i++) out.push((await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim()));
    return out;
  }
}
