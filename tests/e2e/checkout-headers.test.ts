import { expect } from 'chai';
import { PAYMENT_KEY, call, startCheckoutServer, type CheckoutServer } from './support.js';

describe('checkout headers on every answer under /checkout, the 404 and 405 too (HTTP, no browser)', () => {
  let server: CheckoutServer;
  const request = (method: string, path: string) => call(server.url, method, path);

  before(async () => {
    server = await startCheckoutServer();
  });
  after(async () => {
    await server?.close();
  });

  /** The headers every checkout answer carries; `api`: also no-store (the page's files have the static server's caching). */
  function expectCheckoutHeaders(headers: Headers, what: string, api: boolean): void {
    expect(headers.get('content-security-policy') ?? '', what).to.include("default-src 'self'").and.include("frame-ancestors 'none'");
    expect(headers.get('x-frame-options'), what).to.equal('DENY');
    expect(headers.get('x-content-type-options'), what).to.equal('nosniff');
    expect(headers.get('referrer-policy'), what).to.equal('no-referrer');
    if (api) expect(headers.get('cache-control'), what).to.equal('no-store');
  }

  it("the not-found handler's 404 and 405 under /checkout/api carry the CSP, nosniff and no-store", async () => {
    const missing = await request('GET', '/checkout/api/nope');
    expect([missing.status, missing.body.code]).to.deep.equal([404, 'route_not_found']);
    expectCheckoutHeaders(missing.headers, 'GET /checkout/api/nope', true);

    // GET on a path that only takes POST.
    const wrongMethod = await request('GET', '/checkout/api/payments');
    expect([wrongMethod.status, wrongMethod.body.code]).to.deep.equal([405, 'method_not_allowed']);
    expectCheckoutHeaders(wrongMethod.headers, 'GET /checkout/api/payments', true);

    const wrongPaymentMethod = await request('DELETE', '/checkout/api/payments/00000000-0000-4000-8000-000000000000');
    expect(wrongPaymentMethod.status).to.equal(405);
    expectCheckoutHeaders(wrongPaymentMethod.headers, 'DELETE /checkout/api/payments/:id', true);
  });

  it("a page file that does not exist is a 404 with the page's headers; the routes' own answers keep them", async () => {
    const missing = await request('GET', '/checkout/nope.js');
    expect(missing.status).to.equal(404);
    expectCheckoutHeaders(missing.headers, 'GET /checkout/nope.js', false);

    expectCheckoutHeaders((await request('GET', '/checkout/')).headers, 'GET /checkout/', false);
    expectCheckoutHeaders((await request('GET', '/checkout')).headers, 'GET /checkout', false);
    expectCheckoutHeaders((await request('GET', '/checkout/api/channels')).headers, 'GET /checkout/api/channels', true);
    // A route's own refusal (a malformed id) too.
    const refused = await request('GET', '/checkout/api/payments/not-a-uuid');
    expect(refused.status).to.equal(400);
    expectCheckoutHeaders(refused.headers, 'GET /checkout/api/payments/not-a-uuid', true);
  });

  it('a percent-encoded path the router decodes to the checkout gets its headers too (framing, no-store)', async () => {
    // The router serves "/%63heckout/" as "/checkout/": a raw prefix test let it be framed.
    const page = await request('GET', '/%63heckout/');
    expect(page.status).to.equal(200);
    expectCheckoutHeaders(page.headers, 'GET /%63heckout/', false);
    expectCheckoutHeaders((await request('GET', '/%63heckout/app.js')).headers, 'GET /%63heckout/app.js', false);
    const channels = await request('GET', '/checkout/%61pi/channels');
    expect(channels.status).to.equal(200);
    expectCheckoutHeaders(channels.headers, 'GET /checkout/%61pi/channels', true);
    const missing = await request('GET', '/%63heckout/%61pi/nope');
    expect(missing.status).to.equal(404);
    expectCheckoutHeaders(missing.headers, 'GET /%63heckout/%61pi/nope', true);
  });

  it('the payment API answers, successes and refusals alike, are never cached (no-store)', async () => {
    const auth = { authorization: `Bearer ${PAYMENT_KEY}` };
    const unknown = await request('GET', '/payments/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).to.equal(401);
    expect(unknown.headers.get('cache-control')).to.equal('no-store');
    const listing = await call(server.url, 'GET', '/channels/us-store/gateways?currency=USD', { headers: auth });
    expect(listing.status, listing.text).to.equal(200);
    expect(listing.headers.get('cache-control')).to.equal('no-store');
    expect(listing.headers.get('content-security-policy')).to.equal(null);
  });

  it('leaves the rest of the server alone: no checkout policy on its 404', async () => {
    const missing = await request('GET', '/nope');
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('content-security-policy')).to.equal(null);
  });
});
