import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { call, PAYMENT_KEY, startCheckoutServer, type CheckoutServer } from './support.js';

const pay = (overrides: Record<string, unknown> = {}) => ({
  channel: 'us-store',
  gateway: 'payhost.dummy',
  amount: '25.00',
  currency: 'USD',
  token: 'tok_dummy_success.visa.4242.12.2034',
  ...overrides,
});

describe('checkout API (HTTP, no browser)', () => {
  let server: CheckoutServer;
  const get = (path: string) => call(server.url, 'GET', path);
  /** POST with a fresh Idempotency-Key, the one given, or none (null). */
  const post = (path: string, body: unknown, idempotencyKey: string | null = randomUUID()) =>
    call(server.url, 'POST', path, idempotencyKey === null ? { body } : { body, idempotencyKey });

  before(async () => {
    server = await startCheckoutServer();
  });
  after(async () => {
    await server?.close();
  });

  describe('the page', () => {
    it('is served at /checkout/ (and /checkout redirects there), with a strict content security policy', async () => {
      const redirect = await get('/checkout');
      expect(redirect.status).to.equal(301);
      expect(new URL(redirect.headers.get('location') ?? '', `${server.url}/checkout`).href).to.equal(`${server.url}/checkout/`);

      const page = await get('/checkout/');
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.text).to.include('<script type="module" src="app.js"></script>');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).to.include("default-src 'self'");
      expect(csp).to.include("script-src 'self' https://js.stripe.com");
      expect(csp).to.include("frame-ancestors 'none'");
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    });

    it('serves app.js, the modules it imports, and style.css, and nothing from outside /checkout/', async () => {
      // app.js and every module it imports, followed through their static imports.
      const modules = ['app.js'];
      const origins = new Set<string>();
      for (let i = 0; i < modules.length; i++) {
        const module = await get(`/checkout/${modules[i]}`);
        expect(module.status, modules[i]).to.equal(200);
        expect(module.headers.get('content-type'), modules[i]).to.match(/javascript/);
        for (const [, path] of module.text.matchAll(/^import [^;]* from '\.\/([a-z-]+\.js)';$/gm)) if (!modules.includes(path as string)) modules.push(path as string);
        for (const m of module.text.matchAll(/https?:\/\/[^\s'"`)]+/g)) origins.add(new URL(m[0]).origin);
      }
      expect(modules).to.include.members(['api.js', 'page.js', 'dummy-card.js', 'stripe-card.js', 'result.js']);
      // The only origin the page may contact besides its own is Stripe's, for Stripe gateways.
      expect([...origins]).to.deep.equal(['https://js.stripe.com']);
      expect((await get('/checkout/style.css')).headers.get('content-type')).to.match(/^text\/css/);
      expect((await get('/checkout/../package.json')).status).to.equal(404);
      expect((await get('/checkout/nope.js')).body).to.deep.include({ code: 'route_not_found' });
    });

    it('serves the dummy tokenizer from @payhost/plugin-dummy/browser: an ES module with no imports', async () => {
      const vendor = await get('/checkout/vendor/dummy-tokens.js');
      expect(vendor.status).to.equal(200);
      expect(vendor.headers.get('content-type')).to.match(/^text\/javascript/);
      expect(vendor.text).to.include('export function tokenizeCard');
      expect(vendor.text).not.to.match(/^\s*import\s/m);
      expect(vendor.text).not.to.include('sourceMappingURL');
    });
  });

  describe('GET /checkout/api/channels and gateways', () => {
    it('lists the channels with their currencies, without an API key', async () => {
      const { status, body, headers } = await get('/checkout/api/channels');
      expect(status).to.equal(200);
      expect(headers.get('cache-control')).to.equal('no-store');
      expect(body.channels).to.deep.equal([
        { slug: 'us-store', name: 'US store', currencies: ['USD', 'EUR'], defaultGateways: { USD: 'payhost.dummy', EUR: 'payhost.dummy' } },
        { slug: 'eu-store', name: 'EU store', currencies: ['EUR'], defaultGateways: {} },
      ]);
    });

    it('lists the gateways of a channel for a currency, with their public config only', async () => {
      const { status, body } = await get('/checkout/api/channels/us-store/gateways?currency=USD');
      expect(status).to.equal(200);
      expect(body.gateways).to.have.length(1);
      expect(body.gateways[0]).to.deep.include({ id: 'payhost.dummy', name: 'Dummy', currencies: ['USD', 'EUR'] });
      expect(body.gateways[0].config).to.deep.include({ field: 'api_key', value: 'pk_test_dummy' });
      expect((await get('/checkout/api/channels/us-store/gateways?currency=JPY')).body).to.deep.equal({ gateways: [] });
    });

    it('rejects a bad currency, a bad slug, an unknown query field and an unknown channel', async () => {
      const bad = await get('/checkout/api/channels/us-store/gateways?currency=US');
      expect(bad.status).to.equal(400);
      expect(bad.body).to.deep.equal({ code: 'invalid_input', message: 'Invalid querystring.currency: must be a three-letter ISO 4217 currency code, such as "USD"', details: { in: 'querystring', field: 'currency', keyword: 'pattern' } });
      expect((await get('/checkout/api/channels/us%20store/gateways')).body).to.include({ code: 'invalid_input' });
      expect((await get('/checkout/api/channels/us-store/gateways?currency=USD&x=1')).body).to.include({ code: 'invalid_input' });
      const unknown = await get('/checkout/api/channels/mars/gateways?currency=USD');
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.include({ code: 'unknown_channel' });
    });
  });

  describe('POST /checkout/api/payments', () => {
    it('creates and processes a payment from a token', async () => {
      const { status, body } = await post('/checkout/api/payments', pay());
      expect(status).to.equal(201);
      expect(body.payment).to.include({ channel: 'us-store', gateway: 'payhost.dummy', chargeStatus: 'fully-charged', capturedAmount: '25.00', currency: 'USD' });
      expect(body.payment.metadata).to.deep.equal({ source: 'checkout' });
      expect(body.transaction).to.include({ kind: 'capture', isSuccess: true, amount: '25.00' });
      expect(body.payment).not.to.have.property('token');
    });

    it('follows the payment API idempotency conventions: a repeated key replays, a key reused for another body conflicts', async () => {
      const key = randomUUID();
      const first = await post('/checkout/api/payments', pay({ amount: '7.00' }), key);
      const again = await post('/checkout/api/payments', pay({ amount: '7.00' }), key);
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body.payment.id).to.equal(first.body.payment.id);
      expect(again.body.transaction.id).to.equal(first.body.transaction.id);
      const transactions = await server.server.payments.listTransactions(first.body.payment.id);
      expect(transactions).to.have.length(1);

      const other = await post('/checkout/api/payments', pay({ amount: '8.00' }), key);
      expect(other.status).to.equal(409);
      expect(other.body).to.include({ code: 'idempotency_key_reused' });
    });

    it('validates the request: Idempotency-Key, required fields, formats, no extra fields', async () => {
      // Each refusal names the field in the message and, stable for clients to match on, in details.
      const cases: Array<[string, unknown, string | null, string, Record<string, string>]> = [
        ['no Idempotency-Key', pay(), null, "Invalid headers: must have required property 'idempotency-key'", { in: 'headers', field: 'idempotency-key', keyword: 'required' }],
        ['short Idempotency-Key', pay(), 'short', 'Invalid headers.idempotency-key: must be at least 8 characters long', { in: 'headers', field: 'idempotency-key', keyword: 'minLength' }],
        ['no token', { ...pay(), token: undefined }, randomUUID(), "Invalid body: must have required property 'token'", { in: 'body', field: 'token', keyword: 'required' }],
        ['empty token', pay({ token: '' }), randomUUID(), 'Invalid body.token: must not be empty', { in: 'body', field: 'token', keyword: 'minLength' }],
        ['bad amount', pay({ amount: '12,50' }), randomUUID(), 'Invalid body.amount: must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)', { in: 'body', field: 'amount', keyword: 'pattern' }],
        ['number amount', pay({ amount: 12.5 }), randomUUID(), 'Invalid body.amount: must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)', { in: 'body', field: 'amount', keyword: 'type' }],
        ['bad currency', pay({ currency: 'DOLLARS' }), randomUUID(), 'Invalid body.currency: must be a three-letter ISO 4217 currency code, such as "USD"', { in: 'body', field: 'currency', keyword: 'pattern' }],
        ['card data field', pay({ cardNumber: '4242424242424242' }), randomUUID(), 'Invalid body: unknown field "cardNumber"', { in: 'body', field: 'cardNumber', keyword: 'additionalProperties' }],
        ['customer field', pay({ customerId: 'c1' }), randomUUID(), 'Invalid body: unknown field "customerId"', { in: 'body', field: 'customerId', keyword: 'additionalProperties' }],
      ];
      for (const [name, body, key, message, details] of cases) {
        const response = await post('/checkout/api/payments', body, key);
        expect(response.status, name).to.equal(400);
        expect(response.body, name).to.deep.equal({ code: 'invalid_input', message, details });
      }
      const notJson = await call(server.url, 'POST', '/checkout/api/payments', { raw: '{"channel":', idempotencyKey: randomUUID(), headers: { 'content-type': 'application/json' } });
      expect(notJson.status).to.equal(400);
      expect(notJson.body).to.include({ code: 'invalid_json' });
    });

    it('refuses a card number passed as the token', async () => {
      const response = await post('/checkout/api/payments', pay({ token: '4242424242424242' }));
      expect(response.status).to.equal(400);
      expect(response.body.code).to.equal('invalid_input');
      expect(response.body.message).to.match(/looks like a card number/);
    });

    it('maps routing errors: unknown gateway 404, currency the channel does not sell 422, bad precision 400', async () => {
      const gateway = await post('/checkout/api/payments', pay({ gateway: 'payhost.nope' }));
      expect(gateway.status).to.equal(404);
      expect(gateway.body).to.include({ code: 'unknown_gateway' });
      const currency = await post('/checkout/api/payments', pay({ channel: 'eu-store', currency: 'USD' }));
      expect(currency.status).to.equal(422);
      expect(currency.body).to.include({ code: 'currency_not_supported' });
      const precision = await post('/checkout/api/payments', pay({ amount: '1.001' }));
      expect(precision.status).to.equal(400);
      expect(precision.body).to.include({ code: 'invalid_amount' });
    });

    it('answers a decline with 402 gateway_declined and the payment and transaction ids; the payment shows the failed transaction', async () => {
      const declined = await post('/checkout/api/payments', pay({ token: 'tok_dummy_declined' }));
      expect(declined.status).to.equal(402);
      expect(declined.body).to.include({ code: 'gateway_declined', message: 'Your card was declined.' });
      expect(declined.body.details).to.include({ errorCode: 'declined' });
      const { paymentId, transactionId } = declined.body.details as { paymentId: string; transactionId: string };
      const shown = await get(`/checkout/api/payments/${paymentId}`);
      expect(shown.status).to.equal(200);
      expect(shown.body.payment.chargeStatus).to.equal('not-charged');
      expect(shown.body.transactions).to.have.length(1);
      expect(shown.body.transactions[0]).to.include({ id: transactionId, isSuccess: false, errorCode: 'declined', error: 'Your card was declined.' });
    });
  });

  describe('3-D Secure: POST /checkout/api/payments/:id/confirm', () => {
    it('confirms a payment waiting for 3-D Secure; a repeated key replays the confirmation', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      expect(created.status).to.equal(201);
      expect(created.body.payment.toConfirm).to.equal(true);
      expect(created.body.transaction).to.include({ kind: 'action_to_confirm', actionRequired: true });
      expect(created.body.transaction.actionRequiredData).to.include({ type: 'three_d_secure' });

      const key = randomUUID();
      const confirmed = await post(`/checkout/api/payments/${created.body.payment.id}/confirm`, undefined, key);
      expect(confirmed.status).to.equal(200);
      expect(confirmed.body.payment).to.include({ chargeStatus: 'fully-charged', toConfirm: false, capturedAmount: '25.00' });
      const replayed = await post(`/checkout/api/payments/${created.body.payment.id}/confirm`, {}, key);
      expect(replayed.body.transaction.id).to.equal(confirmed.body.transaction.id);

      const shown = await get(`/checkout/api/payments/${created.body.payment.id}`);
      expect(shown.body.transactions.map((t: { kind: string }) => t.kind)).to.deep.equal(['action_to_confirm', 'capture']);
    });

    it('answers a failed 3-D Secure with 402', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds_fail' }));
      const confirmed = await post(`/checkout/api/payments/${created.body.payment.id}/confirm`, {});
      expect(confirmed.status).to.equal(402);
      expect(confirmed.body).to.include({ code: 'gateway_declined' });
      expect(confirmed.body.details).to.include({ paymentId: created.body.payment.id, errorCode: 'declined' });
    });

    it('validates the request: Idempotency-Key, id, body', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      const id = created.body.payment.id as string;
      const noKey = await post(`/checkout/api/payments/${id}/confirm`, {}, null);
      expect(noKey.status).to.equal(400);
      expect(noKey.body).to.deep.equal({ code: 'invalid_input', message: "Invalid headers: must have required property 'idempotency-key'", details: { in: 'headers', field: 'idempotency-key', keyword: 'required' } });
      const badId = await post('/checkout/api/payments/not-a-uuid/confirm', {});
      expect(badId.status).to.equal(400);
      expect(badId.body).to.deep.equal({ code: 'invalid_input', message: 'Invalid params.id: must be a UUID', details: { in: 'params', field: 'id', keyword: 'pattern' } });
      const extra = await post(`/checkout/api/payments/${id}/confirm`, { token: 'x' });
      expect(extra.body).to.deep.equal({ code: 'invalid_input', message: 'Invalid body: unknown field "token"', details: { in: 'body', field: 'token', keyword: 'additionalProperties' } });
      // Gateway data is the host's to give (a Stripe seller account, a saved customer), never a shopper's.
      const data = await post(`/checkout/api/payments/${id}/confirm`, { data: { connectedAccountId: 'acct_1Shopper', stripeCustomerId: 'cus_victim' } });
      expect(data.status).to.equal(400);
      expect(data.body).to.deep.equal({ code: 'invalid_input', message: 'Invalid body: unknown field "data"', details: { in: 'body', field: 'data', keyword: 'additionalProperties' } });
      expect((await get(`/checkout/api/payments/${id}`)).body.payment.toConfirm, 'nothing confirmed').to.equal(true);
      const unknown = await post(`/checkout/api/payments/${randomUUID()}/confirm`, {});
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.include({ code: 'payment_not_found' });
      const charged = await post('/checkout/api/payments', pay());
      const notWaiting = await post(`/checkout/api/payments/${charged.body.payment.id}/confirm`, {});
      expect(notWaiting.status).to.equal(422);
      expect(notWaiting.body).to.include({ code: 'operation_not_allowed' });
    });
  });

  describe('3-D Secure: POST /checkout/api/payments/:id/cancel', () => {
    const cancel = (id: string, body: unknown = undefined, key: string | null = randomUUID()) => post(`/checkout/api/payments/${id}/cancel`, body, key);

    it('voids a payment waiting for 3-D Secure: nothing charged, inactive; a repeated key replays the cancellation', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      const id = created.body.payment.id as string;
      expect(created.body.payment.toConfirm).to.equal(true);

      const key = randomUUID();
      const cancelled = await cancel(id, undefined, key);
      expect(cancelled.status).to.equal(200);
      expect(cancelled.headers.get('cache-control')).to.equal('no-store');
      expect(cancelled.body.payment).to.include({ id, chargeStatus: 'not-charged', toConfirm: false, isActive: false, authorizedAmount: '0.00', capturedAmount: '0.00' });
      expect(cancelled.body.transaction).to.include({ kind: 'void', isSuccess: true });
      const replayed = await cancel(id, {}, key);
      expect(replayed.status).to.equal(200);
      expect(replayed.body.transaction.id).to.equal(cancelled.body.transaction.id);
      // The key lives in the checkout's namespace, as confirm's does.
      expect((await server.server.payments.listTransactions(id)).at(-1)?.idempotencyKey).to.equal(`checkout:${key}`);

      const shown = await get(`/checkout/api/payments/${id}`);
      expect(shown.body.transactions.map((t: { kind: string }) => t.kind)).to.deep.equal(['action_to_confirm', 'void']);
      // Cancelled means closed: it can be neither confirmed nor cancelled again.
      const confirmed = await post(`/checkout/api/payments/${id}/confirm`, {});
      expect([confirmed.status, confirmed.body.code]).to.deep.equal([422, 'operation_not_allowed']);
      const again = await cancel(id);
      expect([again.status, again.body.code]).to.deep.equal([422, 'operation_not_allowed']);
    });

    it('also closes a payment whose 3-D Secure failed (still waiting for confirmation)', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds_fail' }));
      const id = created.body.payment.id as string;
      expect((await post(`/checkout/api/payments/${id}/confirm`, {})).status).to.equal(402);
      const cancelled = await cancel(id, {});
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body.payment).to.include({ chargeStatus: 'not-charged', toConfirm: false, isActive: false });
    });

    it('refuses a payment that is not waiting for customer action with operation_not_allowed: charged, or authorized (the shop releases those)', async () => {
      const charged = await post('/checkout/api/payments', pay());
      const refused = await cancel(charged.body.payment.id);
      expect(refused.status).to.equal(422);
      expect(refused.body).to.include({ code: 'operation_not_allowed' });
      expect(refused.body.details).to.include({ paymentId: charged.body.payment.id, operation: 'void', chargeStatus: 'fully-charged' });

      // eu-store only authorizes: the ledger would void that authorization, the public route does not.
      const authorized = await post('/checkout/api/payments', pay({ channel: 'eu-store', currency: 'EUR' }));
      expect(authorized.body.payment).to.include({ authorizedAmount: '25.00', toConfirm: false, isActive: true });
      const kept = await cancel(authorized.body.payment.id, {});
      expect(kept.status).to.equal(422);
      expect(kept.body).to.include({ code: 'operation_not_allowed' });
      expect(kept.body.message).to.include('not waiting for customer action');
      const after = await server.server.payments.getPayment(authorized.body.payment.id);
      expect([after.isActive, after.authorizedAmount.toFixed(2)]).to.deep.equal([true, '25.00']);
    });

    it('only cancels payments the checkout created: any other is payment_not_found, and stays waiting', async () => {
      const created = await call(server.url, 'POST', '/payments', {
        body: { ...pay({ token: 'tok_dummy_3ds' }), metadata: { source: 'checkout' } },
        idempotencyKey: randomUUID(),
        headers: { authorization: `Bearer ${PAYMENT_KEY}` },
      });
      const id = created.body.payment.id as string;
      const hidden = await cancel(id, {});
      expect(hidden.status).to.equal(404);
      expect(hidden.body).to.include({ code: 'payment_not_found' });
      expect((await server.server.payments.getPayment(id)).toConfirm).to.equal(true);
      const unknown = await cancel(randomUUID());
      expect([unknown.status, unknown.body.code]).to.deep.equal([404, 'payment_not_found']);
    });

    it('is in the OpenAPI document: public (no 401), an optional body, the errors it answers', async () => {
      const { body } = await get('/openapi.json');
      const route = body.paths['/checkout/api/payments/{id}/cancel'].post;
      expect(route.tags).to.deep.equal(['checkout']);
      expect(route.security).to.equal(undefined);
      expect(route.requestBody.required).to.equal(false);
      expect(route.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).to.include.members(['header:idempotency-key', 'path:id']);
      expect(Object.keys(route.responses)).to.include.members(['200', '400', '402', '404', '409', '422', '503']).and.not.include('401');
    });

    it('validates the request: Idempotency-Key, id, body', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      const id = created.body.payment.id as string;
      const noKey = await cancel(id, {}, null);
      expect(noKey.status).to.equal(400);
      expect(noKey.body).to.deep.equal({ code: 'invalid_input', message: "Invalid headers: must have required property 'idempotency-key'", details: { in: 'headers', field: 'idempotency-key', keyword: 'required' } });
      expect((await cancel('not-a-uuid', {})).body).to.deep.equal({ code: 'invalid_input', message: 'Invalid params.id: must be a UUID', details: { in: 'params', field: 'id', keyword: 'pattern' } });
      expect((await cancel(id, { reason: 'x' })).body).to.deep.equal({ code: 'invalid_input', message: 'Invalid body: unknown field "reason"', details: { in: 'body', field: 'reason', keyword: 'additionalProperties' } });
      expect((await get(`/checkout/api/payments/${id}`)).body.payment.toConfirm, 'nothing cancelled').to.equal(true);
    });
  });

  describe('GET /checkout/api/payments/:id', () => {
    it('validates the id and only shows payments the checkout created', async () => {
      expect((await get('/checkout/api/payments/123')).body).to.deep.equal({ code: 'invalid_input', message: 'Invalid params.id: must be a UUID', details: { in: 'params', field: 'id', keyword: 'pattern' } });
      expect((await get(`/checkout/api/payments/${randomUUID()}`)).status).to.equal(404);

      // A payment made through the private payment API is not visible (nor confirmable) here.
      const privateKey = randomUUID();
      // Not even one that claims to come from the checkout in its metadata.
      const created = await call(server.url, 'POST', '/payments', {
        body: { ...pay({ token: 'tok_dummy_3ds' }), metadata: { source: 'checkout' } },
        idempotencyKey: privateKey,
        headers: { authorization: `Bearer ${PAYMENT_KEY}` },
      });
      expect(created.status).to.equal(201);
      const id = created.body.payment.id as string;
      const hidden = await get(`/checkout/api/payments/${id}`);
      expect(hidden.status).to.equal(404);
      expect(hidden.body).to.include({ code: 'payment_not_found' });
      expect((await post(`/checkout/api/payments/${id}/confirm`, {})).status).to.equal(404);
      expect((await server.server.payments.getPayment(id)).toConfirm).to.equal(true);
    });

    it("keeps its idempotency keys apart from the payment API's: a public caller cannot claim or probe the shop's keys", async () => {
      const shared = `order-${randomUUID()}`;
      expect((await post('/checkout/api/payments', pay({ amount: '0.01' }), shared)).status).to.equal(201);
      // The shop's backend later uses the same key for its own payment: it is its own, not a replay or a conflict.
      const shop = await call(server.url, 'POST', '/payments', { body: pay(), idempotencyKey: shared, headers: { authorization: `Bearer ${PAYMENT_KEY}` } });
      expect(shop.status).to.equal(201);
      expect(shop.body.payment.total).to.equal('25.00');
      // And the payment API cannot reach into the checkout's namespace.
      const reserved = await call(server.url, 'POST', '/payments', { body: pay(), idempotencyKey: `checkout:${shared}`, headers: { authorization: `Bearer ${PAYMENT_KEY}` } });
      expect(reserved.status).to.equal(400);
      expect(reserved.body.code).to.equal('invalid_input');
      // Replays on the checkout side still work, under the same client key.
      const replay = await post('/checkout/api/payments', pay({ amount: '0.01' }), shared);
      expect([replay.status, replay.body.payment.total]).to.deep.equal([201, '0.01']);
    });
  });

  describe('server.checkout: false', () => {
    it('serves neither the page nor its API', async () => {
      const off = await startCheckoutServer({ checkout: false });
      try {
        for (const path of ['/checkout', '/checkout/', '/checkout/app.js', '/checkout/vendor/dummy-tokens.js', '/checkout/api/channels']) {
          const response = await call(off.url, 'GET', path);
          expect(response.status, path).to.equal(404);
          expect(response.body, path).to.include({ code: 'route_not_found' });
        }
        const posted = await call(off.url, 'POST', '/checkout/api/payments', { body: pay(), idempotencyKey: randomUUID() });
        expect(posted.status).to.equal(404);
      } finally {
        await off.close();
      }
    });
  });
});
