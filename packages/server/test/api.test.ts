import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore, silentLogger } from '@payhost/core';
import { createServer, parseServerConfig } from '@payhost/server';
import { DUMMY_TEST_CARDS, DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { ADMIN_KEY, AUDIT_TOKEN, PAYMENT_KEY, fixturesDir, key, leakingLines, startTestServer, testConfigDocument, type TestServer } from './support/harness.js';

describe('server API over HTTP', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  const pay = (body: Record<string, unknown>, idempotencyKey = key('pay')) =>
    t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success, ...body }, idempotencyKey });

  describe('health and documentation', () => {
    it('GET /health needs no key and reports the store and configuration version', async () => {
      const res = await t.request('GET', '/health', { key: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok', store: 'memory', configVersion: 1, channels: 2 });
    });

    it('GET /health/ready needs no key and answers when the store does (tests/server/store-outage.test.ts: when it does not)', async () => {
      const res = await t.request('GET', '/health/ready', { key: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ready', store: 'memory' });
    });

    it('GET /openapi.json documents every route from the schemas', async () => {
      const res = await t.request('GET', '/openapi.json', { key: null });
      expect(res.status).to.equal(200);
      expect(res.body.openapi).to.match(/^3\./);
      for (const path of ['/payments', '/payments/{id}', '/payments/{id}/refund', '/channels/{channel}/gateways', '/admin/global/plugins/{plugin}']) {
        expect(res.body.paths, path).to.have.property(path);
      }
      expect(res.body.paths['/payments'].post.requestBody.content['application/json'].schema.required).to.include('amount');
      expect(res.body.paths['/payments'].post.security).to.deep.equal([{ paymentKey: [] }]);
      expect(res.body.paths['/admin/global/plugins/{plugin}'].put.security).to.deep.equal([{ adminKey: [] }]);
      expect(res.body.paths['/health'].get.security).to.equal(undefined);
      expect(res.body.paths['/health/ready'].get.security).to.equal(undefined);
      expect(Object.keys(res.body.components.securitySchemes)).to.deep.equal(['paymentKey', 'adminKey']);
    });

    it('GET /openapi.json lists the errors each route can answer: 503 for readiness, 503/504/415 for the API', async () => {
      const { paths } = (await t.request('GET', '/openapi.json', { key: null })).body;
      const statuses = (path: string, method: string) => Object.keys(paths[path][method].responses).sort();
      // Readiness: its own 503 store_unavailable, and no key, so no 401.
      expect(statuses('/health/ready', 'get')).to.deep.equal(['200', '500', '503']);
      expect(paths['/health/ready'].get.responses['503'].content['application/json'].schema).to.deep.equal(paths['/payments'].post.responses['400'].content['application/json'].schema);
      // Routes with a body: too large, not JSON, the store out of reach; those that call a plugin, a plugin too slow.
      for (const [path, method] of [['/payments', 'post'], ['/payments/{id}/capture', 'post'], ['/channels/{channel}/gateways/{gateway}/client-token', 'post']] as const) {
        expect(statuses(path, method), `${method} ${path}`).to.include.members(['400', '401', '413', '415', '500', '502', '503', '504']);
      }
      expect(statuses('/admin/channels/{channel}/plugins/{plugin}', 'put')).to.include.members(['400', '401', '412', '413', '415', '500', '502', '503']).and.not.include('504');
      // Routes without a body cannot answer 413 or 415 (nor, calling no plugin, 502 or 504: openapi-document.test.ts).
      for (const [path, method] of [['/payments/{id}', 'get'], ['/channels/{channel}/gateways', 'get'], ['/admin/review', 'get']] as const) {
        expect(statuses(path, method), `${method} ${path}`).to.include.members(['401', '500', '503']);
        expect(statuses(path, method), `${method} ${path}`).not.to.include('413').and.not.to.include('415');
      }
    });

    it('GET /openapi.json marks an optional body as not required, and it is: a capture with no body captures everything', async () => {
      const { paths } = (await t.request('GET', '/openapi.json', { key: null })).body;
      // These take no body as {} (the README: "Body (optional; no body is {})"): a client need not send one.
      const optional = [
        ['/payments/{id}/capture', 'post'],
        ['/payments/{id}/refund', 'post'],
        ['/payments/{id}/void', 'post'],
        ['/payments/{id}/confirm', 'post'],
        ['/channels/{channel}/gateways/{gateway}/client-token', 'post'],
      ] as const;
      for (const [path, method] of optional) expect(paths[path][method].requestBody.required, `${method} ${path}`).to.equal(false);
      for (const [path, method] of [['/payments', 'post'], ['/admin/channels/{channel}/plugins/{plugin}', 'put'], ['/admin/review/{transactionId}', 'post']] as const) {
        expect(paths[path][method].requestBody.required, `${method} ${path}`).to.equal(true);
      }
      const authorized = await pay({ channel: 'eu-store', currency: 'EUR' });
      expect(authorized.status).to.equal(201);
      const captured = await t.request('POST', `/payments/${authorized.body.payment.id}/capture`, { idempotencyKey: key('capture') });
      expect(captured.status).to.equal(200);
      expect(captured.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '10.00' });
    });

    it('GET /openapi.json lists 401 only on the routes behind a key (not on the public checkout API)', async () => {
      const config = parseServerConfig({ ...testConfigDocument(), server: { ...(testConfigDocument()['server'] as object), checkout: true } }, fixturesDir, {});
      const server = await createServer(config, { logger: silentLogger(), store: { store: new MemoryLedgerStore(), kind: 'memory' } });
      try {
        const url = await server.listen();
        const { paths } = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: { required: boolean } }>> };
        const statuses = (path: string, method: string) => Object.keys(paths[path]![method]!.responses);
        for (const [path, method] of [['/checkout/api/payments', 'post'], ['/checkout/api/payments/{id}/confirm', 'post'], ['/checkout/api/payments/{id}', 'get'], ['/checkout/api/channels/{channel}/gateways', 'get'], ['/health/ready', 'get']] as const) {
          expect(statuses(path, method), `${method} ${path}`).not.to.include('401');
        }
        expect(paths['/checkout/api/payments/{id}/confirm']!['post']!.requestBody!.required).to.equal(false);
        for (const [path, method] of [['/payments', 'post'], ['/payments/{id}', 'get'], ['/channels/{channel}/gateways', 'get'], ['/admin/review', 'get']] as const) {
          expect(statuses(path, method), `${method} ${path}`).to.include('401');
        }
        // The public routes indeed answer without a key.
        const read = await fetch(`${url}/checkout/api/payments/${randomUUID()}`);
        expect(read.status).to.equal(404);
      } finally {
        await server.close();
      }
    });

    it('the checkout API takes a payment id in upper case too (UUIDs are case-insensitive), not as urn:uuid:', async () => {
      const config = parseServerConfig({ ...testConfigDocument(), server: { ...(testConfigDocument()['server'] as object), checkout: true } }, fixturesDir, {});
      const server = await createServer(config, { logger: silentLogger(), store: { store: new MemoryLedgerStore(), kind: 'memory' } });
      try {
        const url = await server.listen();
        const post = (path: string, body: unknown) =>
          fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
        const created = await post('/checkout/api/payments', { channel: 'us-store', amount: '12.00', currency: 'USD', token: DUMMY_TOKENS.threeDSecure });
        expect(created.status).to.equal(201);
        const id = ((await created.json()) as { payment: { id: string } }).payment.id;
        const read = await fetch(`${url}/checkout/api/payments/${id.toUpperCase()}`);
        expect(read.status).to.equal(200);
        // Written plainly only: urn:uuid:<id> (which ajv-formats' uuid takes) is malformed, not another payment.
        const urn = await fetch(`${url}/checkout/api/payments/urn:uuid:${id}`);
        expect([urn.status, ((await urn.json()) as { code: string }).code]).to.deep.equal([400, 'invalid_input']);
        const confirmed = await post(`/checkout/api/payments/${id.toUpperCase()}/confirm`, {});
        expect(confirmed.status).to.equal(200);
        expect(((await confirmed.json()) as { payment: { id: string; chargeStatus: string } }).payment).to.include({ id, chargeStatus: 'fully-charged' });
      } finally {
        await server.close();
      }
    });

    it('answers a method a path does not take with 405 method_not_allowed and an Allow header, an unknown path with 404', async () => {
      const list = await t.request('GET', '/payments');
      expect(list.status).to.equal(405);
      expect(list.headers.get('allow')).to.equal('POST');
      expect(list.body).to.deep.equal({ code: 'method_not_allowed', message: 'GET is not allowed on /payments: use POST' });
      const remove = await t.request('DELETE', `/payments/${randomUUID()}`);
      expect(remove.status).to.equal(405);
      expect(remove.headers.get('allow')).to.equal('GET, HEAD');
      const hook = await t.request('GET', '/plugins/channel/us-store/payhost.dummy/webhook', { key: null });
      expect(hook.status).to.equal(405);
      expect(hook.headers.get('allow')).to.equal('POST');
      const unknown = await t.request('GET', '/nope');
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.deep.equal({ code: 'route_not_found', message: 'No route GET /nope' });
    });

    it('answers a non-JSON body with 415 unsupported_media_type in the documented Error shape', async () => {
      const res = await t.request('POST', '/payments', { raw: 'channel=us-store', headers: { 'content-type': 'text/plain' }, idempotencyKey: key('ct') });
      expect(res.status).to.equal(415);
      expect(res.body).to.deep.equal({ code: 'unsupported_media_type', message: 'Content-Type must be application/json' });
    });
  });

  describe('authentication', () => {
    it('refuses payment routes without a key, with a wrong key, and with the admin key', async () => {
      for (const k of [null, 'wrong-key-wrong-key-wrong', ADMIN_KEY]) {
        const res = await t.request('GET', '/channels/us-store/gateways', { key: k });
        expect(res.status, String(k)).to.equal(401);
        expect(res.body.code).to.equal('unauthorized');
      }
    });

    it('takes the bearer scheme name in any case', async () => {
      for (const scheme of ['bearer', 'BEARER']) {
        const res = await t.request('GET', '/channels/us-store/gateways?currency=USD', { key: null, headers: { authorization: `${scheme} ${PAYMENT_KEY}` } });
        expect(res.status, scheme).to.equal(200);
      }
    });

    it('refuses admin routes with the payment key', async () => {
      const res = await t.request('GET', '/admin/global/plugins/test.audit');
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('unauthorized');
    });
  });

  describe('gateways and client tokens', () => {
    it('lists gateways by currency (currency routing)', async () => {
      const usd = await t.request('GET', '/channels/us-store/gateways?currency=USD');
      expect(usd.status).to.equal(200);
      expect(usd.body.gateways.map((g: { id: string }) => g.id)).to.deep.equal(['payhost.dummy', 'test.signed']);
      const jpy = await t.request('GET', '/channels/us-store/gateways?currency=JPY');
      expect(jpy.body.gateways.map((g: { id: string }) => g.id)).to.deep.equal(['payhost.dummy']);
      const eur = await t.request('GET', '/channels/eu-store/gateways?currency=EUR');
      expect(eur.body.gateways[0].config).to.deep.include({ field: 'api_key', value: 'pk_test_dummy' });
    });

    it('creates a fresh client token each time', async () => {
      const a = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: {} });
      const b = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: { amount: '5.00', currency: 'USD', customerId: 'c1' } });
      expect(a.status).to.equal(200);
      expect(a.body.clientToken).to.be.a('string').and.not.equal(b.body.clientToken);
      const withData = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: { data: { returnUrl: 'https://shop.example/return' } } });
      expect(withData.status).to.equal(200);
      const badData = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: { data: 'x' } });
      expect(badData.status).to.equal(400);
      expect(badData.body.code).to.equal('invalid_input');
    });

    it('refuses a client token for a currency the channel does not sell (422), as a payment in it would be', async () => {
      const res = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: { currency: 'GBP' } });
      expect(res.status).to.equal(422);
      expect(res.body).to.include({ code: 'currency_not_supported', message: 'Channel "us-store" does not sell in GBP' });
    });

    it('takes a client-token request without a body (every field is optional), and still refuses a body that is not an object', async () => {
      const bare = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token');
      expect(bare.status, bare.text).to.equal(200);
      expect(bare.body.clientToken).to.be.a('string');
      const notObject = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { body: [] });
      expect(notObject.status).to.equal(400);
      expect(notObject.body.code).to.equal('invalid_input');
      const emptyJson = await t.request('POST', '/channels/us-store/gateways/payhost.dummy/client-token', { raw: '', headers: { 'content-type': 'application/json' } });
      expect(emptyJson.status).to.equal(400);
      expect(emptyJson.body.code).to.equal('invalid_json');
    });
  });

  describe('payments', () => {
    it('POST /payments charges, GET shows the payment and its transactions', async () => {
      const created = await pay({ metadata: { order: 'o-1' } });
      expect(created.status).to.equal(201);
      expect(created.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '10.00', currency: 'USD', gateway: 'payhost.dummy' });
      expect(created.body.payment.metadata).to.deep.equal({ order: 'o-1' });
      expect(created.body.transaction).to.include({ kind: 'capture', isSuccess: true, amount: '10.00' });
      const fetched = await t.request('GET', `/payments/${created.body.payment.id}`);
      expect(fetched.status).to.equal(200);
      expect(fetched.body.payment.id).to.equal(created.body.payment.id);
      expect(fetched.body.transactions.map((x: { kind: string }) => x.kind)).to.include('capture');
    });

    it('takes a payment id in upper case (UUIDs are case-insensitive), and a replay in either case is the same operation', async () => {
      const created = await pay({ action: 'authorize', amount: '30.00' });
      const id: string = created.body.payment.id;
      const upper = id.toUpperCase();
      expect(upper).not.to.equal(id);
      const fetched = await t.request('GET', `/payments/${upper}`);
      expect(fetched.status, fetched.text).to.equal(200);
      expect(fetched.body.payment.id).to.equal(id);
      const idempotencyKey = key('upper');
      const capture = await t.request('POST', `/payments/${upper}/capture`, { body: { amount: '20.00' }, idempotencyKey });
      expect(capture.status, capture.text).to.equal(200);
      expect(capture.body.payment).to.include({ id, capturedAmount: '20.00' });
      const replay = await t.request('POST', `/payments/${id}/capture`, { body: { amount: '20.00' }, idempotencyKey });
      expect(replay.status).to.equal(200);
      expect(replay.body).to.deep.equal(capture.body);
      const missing = await t.request('GET', `/payments/${randomUUID().toUpperCase()}`);
      expect(missing.status).to.equal(404);
      expect(missing.body.code).to.equal('payment_not_found');
    });

    it('replays a repeated Idempotency-Key without a second charge', async () => {
      const idempotencyKey = key('same');
      const first = await pay({}, idempotencyKey);
      const second = await pay({}, idempotencyKey);
      expect(second.status).to.equal(201);
      expect(second.body).to.deep.equal(first.body);
      const conflicting = await pay({ amount: '11.00' }, idempotencyKey);
      expect(conflicting.status).to.equal(409);
      expect(conflicting.body.code).to.equal('idempotency_key_reused');
    });

    it('authorizes, captures partially, refunds partially, keeping amounts exact', async () => {
      const created = await pay({ action: 'authorize', amount: '30.00' });
      expect(created.body.payment).to.include({ chargeStatus: 'not-charged', authorizedAmount: '30.00' });
      const id = created.body.payment.id;
      const capture = await t.request('POST', `/payments/${id}/capture`, { body: { amount: '20.00' }, idempotencyKey: key() });
      expect(capture.status).to.equal(200);
      expect(capture.body.payment).to.include({ chargeStatus: 'partially-charged', capturedAmount: '20.00' });
      const refund = await t.request('POST', `/payments/${id}/refund`, { body: { amount: '5.50' }, idempotencyKey: key() });
      expect(refund.body.payment).to.include({ chargeStatus: 'partially-refunded', capturedAmount: '14.50' });
      const over = await t.request('POST', `/payments/${id}/refund`, { body: { amount: '100.00' }, idempotencyKey: key() });
      expect(over.status).to.equal(422);
      expect(over.body.code).to.equal('amount_exceeds');
    });

    it('voids an authorization, in a 3-decimal currency', async () => {
      const created = await pay({ action: 'authorize', amount: '1.234', currency: 'KWD' });
      const voided = await t.request('POST', `/payments/${created.body.payment.id}/void`, { idempotencyKey: key() });
      expect(voided.status).to.equal(200);
      expect(voided.body.transaction).to.include({ kind: 'void', isSuccess: true, amount: '1.234' });
      expect(voided.body.payment.isActive).to.equal(false);
    });

    it('goes through 3-D Secure: action required, then confirm captures', async () => {
      const created = await pay({ token: DUMMY_TOKENS.threeDSecure, amount: '500', currency: 'JPY' });
      expect(created.status).to.equal(201);
      expect(created.body.payment.toConfirm).to.equal(true);
      expect(created.body.transaction).to.include({ kind: 'action_to_confirm', actionRequired: true });
      const confirmed = await t.request('POST', `/payments/${created.body.payment.id}/confirm`, { body: {}, idempotencyKey: key() });
      expect(confirmed.status).to.equal(200);
      expect(confirmed.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '500', toConfirm: false });
    });

    it('closes a payment whose 3-D Secure failed with a void (it is no longer waiting for confirmation)', async () => {
      const created = await pay({ token: DUMMY_TOKENS.threeDSecureFail });
      const id = created.body.payment.id;
      const failed = await t.request('POST', `/payments/${id}/confirm`, { idempotencyKey: key() });
      expect(failed.status).to.equal(402);
      expect(failed.body.details.errorCode).to.equal('declined');
      const voided = await t.request('POST', `/payments/${id}/void`, { idempotencyKey: key() });
      expect(voided.status, JSON.stringify(voided.body)).to.equal(200);
      expect(voided.body.payment).to.include({ isActive: false, toConfirm: false, chargeStatus: 'not-charged', capturedAmount: '0.00' });
    });

    it('answers a decline with 402 gateway_declined and records the failed transaction', async () => {
      const res = await pay({ token: DUMMY_TOKENS.expired });
      expect(res.status).to.equal(402);
      expect(res.body.code).to.equal('gateway_declined');
      expect(res.body.details.errorCode).to.equal('expired');
      const fetched = await t.request('GET', `/payments/${res.body.details.paymentId}`);
      const failed = fetched.body.transactions.find((x: { id: string }) => x.id === res.body.details.transactionId);
      expect(failed).to.include({ isSuccess: false, errorCode: 'expired' });
    });

    it('stores a card and lists it as a payment source, then charges it without a token', async () => {
      const stored = await pay({ customerId: 'cust-42', storePaymentMethod: true });
      expect(stored.status).to.equal(201);
      const sources = await t.request('GET', '/customers/cust-42/payment-sources?channel=us-store');
      expect(sources.status).to.equal(200);
      expect(sources.body.sources).to.have.length(1);
      expect(sources.body.sources[0].creditCardInfo).to.include({ last4: '4242' });
      const reuse = await t.request('POST', '/payments', {
        body: { channel: 'us-store', currency: 'USD', amount: '3.00', customerId: 'cust-42' },
        idempotencyKey: key(),
      });
      expect(reuse.status).to.equal(201);
      expect(reuse.body.payment.chargeStatus).to.equal('fully-charged');
      const nobody = await t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '3.00', customerId: 'cust-none' }, idempotencyKey: key() });
      expect(nobody.status).to.equal(422);
      expect(nobody.body.code).to.equal('no_payment_source');
      expect(nobody.body.message).to.include('not associated to an account on the processor and no token was passed');
      // Nothing was recorded, so the answer names no payment (a GET of it would be 404).
      expect(nobody.body.details).to.deep.equal({ paymentId: null, customerId: 'cust-none', gateway: 'payhost.dummy' });
    });

    it('passes `data` to the gateway (here the dummy\'s nameOnCard), and a retry with other data is a reused key', async () => {
      const idempotencyKey = key('data');
      const paid = await pay({ customerId: 'cust-data', storePaymentMethod: true, data: { nameOnCard: 'Ada Lovelace' } }, idempotencyKey);
      expect(paid.status).to.equal(201);
      const sources = await t.request('GET', '/customers/cust-data/payment-sources?channel=us-store');
      expect(sources.body.sources[0].creditCardInfo).to.include({ nameOnCard: 'Ada Lovelace' });
      const other = await pay({ customerId: 'cust-data', storePaymentMethod: true, data: { nameOnCard: 'Grace Hopper' } }, idempotencyKey);
      expect(other.status).to.equal(409);
      expect(other.body.code).to.equal('idempotency_key_reused');
      const notObject = await pay({ data: ['nameOnCard'] });
      expect(notObject.status).to.equal(400);
      expect(notObject.body.code).to.equal('invalid_input');
    });
  });

  describe('admin', () => {
    it('reads global plugin configuration masked, and a masked value written back keeps the secret', async () => {
      const read = await t.request('GET', '/admin/global/plugins/test.audit', { key: ADMIN_KEY });
      expect(read.status).to.equal(200);
      expect(read.body.configuration).to.deep.equal({ api_token: '****7788', password: '', note: 'hello' });
      expect(read.text).not.to.include(AUDIT_TOKEN);
      const write = await t.request('PUT', '/admin/global/plugins/test.audit', { key: ADMIN_KEY, body: { configuration: { ...read.body.configuration, note: 'changed' } } });
      expect(write.status).to.equal(200);
      expect(write.body.configuration).to.deep.equal({ api_token: '****7788', password: '', note: 'changed' });
      expect(t.server.manager.getPluginConfiguration('test.audit', null).configuration['api_token']).to.equal('****7788');
      const stored = t.server.manager.config.globalPlugins['test.audit']?.configuration;
      expect(stored?.['api_token']).to.equal(AUDIT_TOKEN);
      expect(stored?.['password']).to.equal('audit-password-1');
    });

    it('changes a channel plugin live: deactivating the gateway takes effect on the next request', async () => {
      const before = await t.request('GET', '/channels/eu-store/gateways?currency=EUR');
      expect(before.body.gateways).to.have.length(1);
      const off = await t.request('PUT', '/admin/channels/eu-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { active: false } });
      expect(off.status).to.equal(200);
      expect(off.body.active).to.equal(false);
      expect((await t.request('GET', '/channels/eu-store/gateways?currency=EUR')).body.gateways).to.deep.equal([]);
      const refused = await t.request('POST', '/payments', { body: { channel: 'eu-store', currency: 'EUR', amount: '1.00', token: DUMMY_TOKENS.success }, idempotencyKey: key() });
      expect(refused.status).to.equal(422);
      expect(refused.body.code).to.equal('currency_not_supported');
      const on = await t.request('PUT', '/admin/channels/eu-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { active: true } });
      expect(on.body.active).to.equal(true);
      const read = await t.request('GET', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY });
      expect(read.body.configuration.secret_key).to.equal('****9999');
    });

    it('logs each change at info with the fields it changed, never their values', async () => {
      const from = t.logs.length;
      const read = await t.request('GET', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY });
      // What an admin screen does: every field sent back, one of them changed, the secret new.
      const body = { active: true, configuration: { ...read.body.configuration, public_key: 'pk_test_changed', secret_key: 'sk_dummy_new_secret_4321' } };
      const write = await t.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body });
      expect(write.status).to.equal(200);
      const off = await t.request('PUT', '/admin/global/plugins/test.answers', { key: ADMIN_KEY, body: { active: false } });
      expect(off.status).to.equal(200);
      const lines = t.logs.slice(from).map((line) => JSON.parse(line)).filter((line) => line.msg === 'plugin configuration changed');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.deep.include({ level: 30, plugin: 'payhost.dummy', channel: 'us-store', active: true, wasActive: true, changedFields: ['public_key', 'secret_key'] });
      expect(lines[0].configVersion).to.be.a('number');
      expect(lines[1]).to.deep.include({ plugin: 'test.answers', channel: null, active: false, wasActive: true, changedFields: [] });
      expect(t.logs.slice(from).join('\n')).not.to.include('sk_dummy_new_secret_4321').and.not.to.include('pk_test_changed');
      // Put back what the other tests expect.
      await t.request('PUT', '/admin/global/plugins/test.answers', { key: ADMIN_KEY, body: { active: true } });
      await t.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { configuration: { public_key: read.body.configuration.public_key, secret_key: 'sk_dummy_secret_value_9999' } } });
      const restored = await t.request('GET', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY });
      expect(restored.body).to.deep.equal(read.body);
    });

    it('refuses environment references in a change, so no admin can read the environment through a public field', async () => {
      const before = await t.request('GET', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY });
      const res = await t.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { configuration: { public_key: '${HOME}:${PATH}' } } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.include({ code: 'invalid_configuration' });
      expect(res.body.message).to.include('configuration file only');
      const after = await t.request('GET', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY });
      expect(after.body).to.deep.equal(before.body);
    });

    it('rejects an invalid configuration change and keeps the old one', async () => {
      const res = await t.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { configuration: { supported_currencies: 'USDD' } } });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_configuration');
      expect((await t.request('GET', '/channels/us-store/gateways?currency=USD')).body.gateways).to.have.length(2);
    });
  });

  // The last suite of this file: every request above has been logged by then.
  describe('logs', () => {
    it('wrote no configured secret, API key or test card number to any log line', () => {
      expect(t.logs.length).to.be.greaterThan(20);
      expect(leakingLines(t.logs, Object.keys(DUMMY_TEST_CARDS))).to.deep.equal([]);
    });
  });
});
