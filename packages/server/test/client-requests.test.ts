import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { ADMIN_KEY, PAYMENT_KEY, instancesOnOneStore, key, startTestServer, type TestServer } from './support/harness.js';
import { rawRequest } from '../../../tests/support/raw-http.js';

/**
 * Requests as HTTP client libraries send them: null for an unset optional, an amount as a JSON number,
 * a header sent twice, keys such as `__proto__`, a client token's amount without its currency, a weak
 * ETag, a plugin at the other scope's path. Each gets an answer that says what to change.
 */

const AMOUNT_MEANING = 'must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)';

describe('server: requests as HTTP clients send them', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  const payment = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };
  const tokenPath = '/channels/us-store/gateways/payhost.dummy/client-token';

  describe('optional fields sent as null', () => {
    it('POST /payments takes null for every optional field as absent, and a retry without them is the same request', async () => {
      const nulls = { gateway: null, customerId: null, customerEmail: null, storePaymentMethod: null, metadata: null, action: null, data: null };
      const idempotencyKey = key('nulls');
      const created = await t.request('POST', '/payments', { body: { ...payment, ...nulls }, idempotencyKey });
      expect(created.status, created.text).to.equal(201);
      expect(created.body.payment).to.include({ gateway: 'payhost.dummy', customerId: null, chargeStatus: 'fully-charged' });
      expect(created.body.payment.metadata).to.deep.equal({});
      const retried = await t.request('POST', '/payments', { body: payment, idempotencyKey });
      expect(retried.status, retried.text).to.equal(201);
      expect(retried.body.payment.id).to.equal(created.body.payment.id);
      // No token (null) and no card on file: the ledger's own answer, not "must be string".
      const noToken = await t.request('POST', '/payments', { body: { ...payment, token: null }, idempotencyKey: key('nulls') });
      expect([noToken.status, noToken.body.code]).to.deep.equal([422, 'no_payment_source']);
    });

    it('still refuses null for a required field (amount, currency, channel) and for a field the body does not have', async () => {
      const refused: Array<[Record<string, unknown>, string, Record<string, unknown>]> = [
        [{ ...payment, amount: null }, `Invalid body.amount: ${AMOUNT_MEANING}`, { in: 'body', field: 'amount', keyword: 'type' }],
        [{ ...payment, currency: null }, 'Invalid body.currency: must be a three-letter ISO 4217 currency code, such as "USD"', { in: 'body', field: 'currency', keyword: 'type' }],
        [{ ...payment, channel: null }, 'Invalid body.channel: must be letters, digits, "_" or "-", starting with a letter or digit', { in: 'body', field: 'channel', keyword: 'type' }],
        [{ ...payment, cardNumber: null }, 'Invalid body: unknown field "cardNumber"', { in: 'body', field: 'cardNumber', keyword: 'additionalProperties' }],
      ];
      for (const [body, message, details] of refused) {
        const res = await t.request('POST', '/payments', { body, idempotencyKey: key('nulls') });
        expect(res.body, JSON.stringify(body)).to.deep.equal({ code: 'invalid_input', message, details });
      }
    });

    it('names an unknown field only when it reads as a field name: a card number, controls or bidi characters as a key are not repeated', async () => {
      for (const name of ['4111111111111111', 'a\u202Eb', 'line\r\nbreak', 'a b', '']) {
        const res = await t.request('POST', '/payments', { body: { ...payment, [name]: 1 }, idempotencyKey: key('unknown-name') });
        expect(res.body, JSON.stringify(name)).to.deep.equal({
          code: 'invalid_input',
          message: 'Invalid body: an unknown field (its name is not repeated: not a plain field name)',
          details: { in: 'body', keyword: 'additionalProperties' },
        });
      }
      const plain = await t.request('POST', '/payments', { body: { ...payment, card_number_2: 1 }, idempotencyKey: key('unknown-name') });
      expect(plain.body).to.deep.include({ message: 'Invalid body: unknown field "card_number_2"' });
    });

    it('a follow-up takes a null amount as none (capture all), a client token null fields as absent', async () => {
      const authorized = await t.request('POST', '/payments', { body: { ...payment, action: 'authorize' }, idempotencyKey: key('nulls') });
      const captured = await t.request('POST', `/payments/${authorized.body.payment.id}/capture`, { body: { amount: null }, idempotencyKey: key('nulls') });
      expect(captured.status, captured.text).to.equal(200);
      expect(captured.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '10.00' });
      const token = await t.request('POST', tokenPath, { body: { customerId: null, amount: null, currency: null, data: null } });
      expect(token.status, token.text).to.equal(200);
      expect(token.body.clientToken).to.be.a('string');
    });
  });

  describe('client token amount', () => {
    it('refuses an amount without a currency, which nothing could check it against', async () => {
      for (const amount of ['10.001', '10.00']) {
        const res = await t.request('POST', tokenPath, { body: { amount } });
        expect(res.status, amount).to.equal(400);
        expect(res.body).to.deep.include({ code: 'invalid_input', message: 'Invalid body: amount needs currency, the currency the amount is in' });
      }
      expect((await t.request('POST', tokenPath, { body: { amount: '10.001', currency: 'USD' } })).body.code).to.equal('invalid_amount');
      expect((await t.request('POST', tokenPath, { body: { amount: '10.00', currency: 'USD' } })).status).to.equal(200);
    });
  });

  describe('messages that say what to change', () => {
    it('a number amount is told what an amount is, as a malformed string is', async () => {
      const create = await t.request('POST', '/payments', { body: { ...payment, amount: 10 }, idempotencyKey: key('msg') });
      const details = { in: 'body', field: 'amount', keyword: 'type' };
      expect(create.body).to.deep.equal({ code: 'invalid_input', message: `Invalid body.amount: ${AMOUNT_MEANING}`, details });
      const token = await t.request('POST', tokenPath, { body: { amount: 10, currency: 'USD' } });
      expect(token.body).to.deep.equal({ code: 'invalid_input', message: `Invalid body.amount: ${AMOUNT_MEANING}`, details });
      const currency = await t.request('POST', '/payments', { body: { ...payment, currency: 840 }, idempotencyKey: key('msg') });
      expect(currency.body.message).to.equal('Invalid body.currency: must be a three-letter ISO 4217 currency code, such as "USD"');
    });

    it('two Idempotency-Key headers: "send one", whether as two lines or joined into one', async () => {
      const body = JSON.stringify(payment);
      const twoLines = await rawRequest(
        t.url,
        `POST /payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nIdempotency-Key: first-key-0001\r\nIdempotency-Key: second-key-0002\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(twoLines.status).to.equal(400);
      expect(twoLines.body).to.deep.include({ code: 'invalid_input' });
      expect((twoLines.body as { message: string }).message).to.match(/^Send one Idempotency-Key header/);
      const joined = await t.request('POST', '/payments', { body: payment, headers: { 'idempotency-key': 'first-key-0001, second-key-0002' } });
      expect((joined.body as { message: string }).message).to.match(/^Send one Idempotency-Key header/);
      const follow = await t.request('POST', `/payments/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/refund`, { headers: { 'idempotency-key': 'first-key-0001, second-key-0002' } });
      expect((follow.body as { message: string }).message).to.match(/^Send one Idempotency-Key header/);
    });

    it('a "__proto__" key is refused as such (valid JSON, not "not valid JSON"), at any depth; malformed JSON is still invalid_json', async () => {
      const raw = (text: string) => t.request('POST', '/payments', { raw: text, headers: { 'content-type': 'application/json' }, idempotencyKey: key('proto') });
      for (const text of ['{"channel":"us-store","amount":"1.00","currency":"USD","metadata":{"__proto__":{}}}', '{"__proto__":{"admin":true}}', '{"data":{"constructor":{"prototype":{}}}}']) {
        const res = await raw(text);
        expect(res.status, text).to.equal(400);
        expect(res.body.code, text).to.equal('invalid_input');
        expect(res.body.message, text).to.include('"__proto__" key').and.include('refuses');
      }
      const broken = await raw('{"channel":');
      expect(broken.body).to.deep.equal({ code: 'invalid_json', message: 'Request body is not valid JSON' });
    });

    it('a webhook to an active plugin without webhooks names the plugin and channel, as other unknown_plugin answers do', async () => {
      const res = await t.request('POST', '/plugins/channel/us-store/payhost.dummy/x', { key: null, raw: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(404);
      expect(res.body).to.deep.equal({ code: 'unknown_plugin', message: 'Plugin "payhost.dummy" does not handle webhooks', details: { plugin: 'payhost.dummy', channel: 'us-store' } });
    });
  });

  describe('plugin configuration paths', () => {
    it('a per-channel plugin on the global path (and a global one on a channel path) is 404 unknown_plugin saying where it is', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const options = { key: ADMIN_KEY, ...(method === 'PUT' ? { body: { active: true } } : {}) };
        const global = await t.request(method, '/admin/global/plugins/payhost.dummy', options);
        expect([global.status, global.body.code], `${method} global`).to.deep.equal([404, 'unknown_plugin']);
        expect(global.body.message).to.equal('Plugin "payhost.dummy" is configured per channel: use /admin/channels/<channel>/plugins/payhost.dummy');
        expect(global.body.details).to.deep.equal({ plugin: 'payhost.dummy', channel: null, reason: 'configured_per_channel' });
        const channel = await t.request(method, '/admin/channels/us-store/plugins/test.audit', options);
        expect([channel.status, channel.body.code], `${method} channel`).to.deep.equal([404, 'unknown_plugin']);
        expect(channel.body.message).to.equal('Plugin "test.audit" is global: use /admin/global/plugins/test.audit');
        expect(channel.body.details).to.deep.equal({ plugin: 'test.audit', channel: 'us-store', reason: 'configured_globally' });
      }
      // A configuration the plugin refuses is still invalid_configuration.
      const refused = await t.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { configuration: { supported_currencies: 'USDD' } } });
      expect([refused.status, refused.body.code]).to.deep.equal([400, 'invalid_configuration']);
    });
  });

  describe('If-Match', () => {
    const start = instancesOnOneStore();

    it('a weak ETag never matches (strong comparison): 412 precondition_failed, nothing changed; the strong one does', async () => {
      const server = await start(new MemoryLedgerStore());
      const path = '/admin/channels/us-store/plugins/payhost.dummy';
      const read = await server.request('GET', path, { key: ADMIN_KEY });
      const etag = read.headers.get('etag');
      expect(etag).to.equal('"0"');
      const weak = await server.request('PUT', path, { key: ADMIN_KEY, body: { active: false }, headers: { 'if-match': `W/${etag}` } });
      expect(weak.status).to.equal(412);
      expect(weak.body).to.deep.include({ code: 'precondition_failed', details: { plugin: 'payhost.dummy', channel: 'us-store' } });
      expect(weak.body.message).to.include('weak W/"0" matches no revision').and.include('("0")');
      expect((await server.request('GET', path, { key: ADMIN_KEY })).body.active).to.equal(true);
      const strong = await server.request('PUT', path, { key: ADMIN_KEY, body: { active: false }, headers: { 'if-match': etag ?? '' } });
      expect(strong.status, strong.text).to.equal(200);
      expect(strong.body.active).to.equal(false);
    });
  });
});
