import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DUMMY_TEST_CARDS, DUMMY_TOKENS } from '@payhost/plugin-dummy';
import type { SqlLedgerStore } from '@payhost/store-postgres';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { ADMIN_KEY, key, leakingLines, signWebhook, startTestServer, type RequestOptions, type TestServer } from './support/harness.js';

interface Case {
  name: string;
  method: string;
  path: string | (() => string);
  options?: RequestOptions | (() => RequestOptions);
  status: number;
  code: string;
}

/** Every row of every ledger table, hashed: equal before and after means nothing was written. */
async function ledgerFingerprint(store: SqlLedgerStore): Promise<string> {
  return store.driver.session(async (c) => {
    const tables = ['payments', 'transactions', 'idempotency_keys', 'webhook_events', 'customer_accounts', 'plugin_settings'];
    const parts: string[] = [];
    for (const table of tables) {
      const rows = await c.query<{ n: string; h: string | null }>(`SELECT count(*)::text AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${table} t`);
      parts.push(`${table}:${rows[0]?.n}:${rows[0]?.h}`);
    }
    return parts.join(' ');
  });
}

const json = (body: unknown, extra: Omit<RequestOptions, 'body'> = {}): RequestOptions => ({ body, idempotencyKey: key('bad'), ...extra });
const payment = (overrides: Record<string, unknown>) => ({ channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, ...overrides });
/** A payment whose metadata note ends in one byte that is not UTF-8 (0xE9, "é" in ISO-8859-1), with these headers. */
const notUtf8 = (headers: Record<string, string> = {}): RequestOptions => ({
  raw: Buffer.from(JSON.stringify(payment({ metadata: { note: 'caf\u00e9' } })), 'latin1'),
  headers: { 'content-type': 'application/json', ...headers },
  idempotencyKey: key(),
});

describe('bad-input catalog: 4xx with a stable code, never a 5xx, ledger unchanged', () => {
  let t: TestServer;
  let store: SqlLedgerStore;
  let captured = '';
  let authorized = '';
  const reusedKey = key('reused');

  before(async function () {
    // Opening a PGlite database takes seconds on a busy machine (a copy of a migrated one: the first is created).
    this.timeout(120_000);
    store = await openMigratedPgliteStore();
    t = await startTestServer({ store, kind: 'pglite' });
    const c = await t.request('POST', '/payments', json(payment({}), { idempotencyKey: reusedKey }));
    expect(c.status).to.equal(201);
    captured = c.body.payment.id;
    const a = await t.request('POST', '/payments', json(payment({ action: 'authorize', amount: '4.00' })));
    expect(a.status).to.equal(201);
    authorized = a.body.payment.id;
  });
  after(async () => {
    await t.close();
  });

  const big = 'x'.repeat(20 * 1024);
  const cases: Case[] = [
    // POST /payments: body shape
    { name: 'malformed JSON', method: 'POST', path: '/payments', options: () => ({ raw: '{bad', headers: { 'content-type': 'application/json' }, idempotencyKey: key() }), status: 400, code: 'invalid_json' },
    { name: 'empty JSON body', method: 'POST', path: '/payments', options: () => ({ raw: '', headers: { 'content-type': 'application/json' }, idempotencyKey: key() }), status: 400, code: 'invalid_json' },
    { name: 'body is an array', method: 'POST', path: '/payments', options: () => json([]), status: 400, code: 'invalid_input' },
    { name: 'body is a string', method: 'POST', path: '/payments', options: () => json('pay me'), status: 400, code: 'invalid_input' },
    { name: 'body is null', method: 'POST', path: '/payments', options: () => json(null), status: 400, code: 'invalid_input' },
    { name: 'missing channel', method: 'POST', path: '/payments', options: () => json({ amount: '1.00', currency: 'USD' }), status: 400, code: 'invalid_input' },
    { name: 'missing amount', method: 'POST', path: '/payments', options: () => json({ channel: 'us-store', currency: 'USD' }), status: 400, code: 'invalid_input' },
    { name: 'missing currency', method: 'POST', path: '/payments', options: () => json({ channel: 'us-store', amount: '1.00' }), status: 400, code: 'invalid_input' },
    { name: 'unknown field', method: 'POST', path: '/payments', options: () => json(payment({ cardNumber: '4242424242424242' })), status: 400, code: 'invalid_input' },
    // amounts
    { name: 'amount as a JSON number', method: 'POST', path: '/payments', options: () => json(payment({ amount: 10 })), status: 400, code: 'invalid_input' },
    { name: 'negative amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: '-1.00' })), status: 400, code: 'invalid_input' },
    { name: 'NaN amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: 'NaN' })), status: 400, code: 'invalid_input' },
    { name: 'exponent amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: '1e3' })), status: 400, code: 'invalid_input' },
    { name: 'empty amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: '' })), status: 400, code: 'invalid_input' },
    { name: 'amount with spaces', method: 'POST', path: '/payments', options: () => json(payment({ amount: ' 1.00' })), status: 400, code: 'invalid_input' },
    { name: 'absurdly large amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: '9999999999999999' })), status: 400, code: 'invalid_input' },
    { name: 'zero amount', method: 'POST', path: '/payments', options: () => json(payment({ amount: '0.00' })), status: 400, code: 'invalid_amount' },
    { name: 'too precise for USD', method: 'POST', path: '/payments', options: () => json(payment({ amount: '10.001' })), status: 400, code: 'invalid_amount' },
    { name: 'decimals for JPY', method: 'POST', path: '/payments', options: () => json(payment({ amount: '10.5', currency: 'JPY' })), status: 400, code: 'invalid_amount' },
    { name: 'too precise for KWD', method: 'POST', path: '/payments', options: () => json(payment({ amount: '1.2345', currency: 'KWD' })), status: 400, code: 'invalid_amount' },
    // currencies, channels, gateways
    { name: 'four-letter currency', method: 'POST', path: '/payments', options: () => json(payment({ currency: 'USDD' })), status: 400, code: 'invalid_input' },
    { name: 'non-ISO currency', method: 'POST', path: '/payments', options: () => json(payment({ currency: 'XYZ' })), status: 400, code: 'unknown_currency' },
    { name: 'currency the channel does not sell', method: 'POST', path: '/payments', options: () => json(payment({ currency: 'GBP' })), status: 422, code: 'currency_not_supported' },
    { name: 'currency the gateway does not take', method: 'POST', path: '/payments', options: () => json(payment({ currency: 'EUR', gateway: 'test.signed' })), status: 422, code: 'currency_not_supported' },
    { name: 'unknown channel', method: 'POST', path: '/payments', options: () => json(payment({ channel: 'mars' })), status: 404, code: 'unknown_channel' },
    { name: 'malformed channel slug', method: 'POST', path: '/payments', options: () => json(payment({ channel: 'bad slug!' })), status: 400, code: 'invalid_input' },
    { name: 'unknown gateway', method: 'POST', path: '/payments', options: () => json(payment({ gateway: 'nope' })), status: 404, code: 'unknown_gateway' },
    { name: 'inactive gateway', method: 'POST', path: '/payments', options: () => json(payment({ channel: 'eu-store', currency: 'EUR', gateway: 'test.signed' })), status: 422, code: 'inactive_gateway' },
    // other fields
    { name: 'token of the wrong type', method: 'POST', path: '/payments', options: () => json(payment({ token: 42 })), status: 400, code: 'invalid_input' },
    { name: 'a card number as token', method: 'POST', path: '/payments', options: () => json(payment({ token: '4242424242424242' })), status: 400, code: 'invalid_input' },
    { name: 'unknown action', method: 'POST', path: '/payments', options: () => json(payment({ action: 'capture' })), status: 400, code: 'invalid_input' },
    { name: 'storePaymentMethod as a string', method: 'POST', path: '/payments', options: () => json(payment({ storePaymentMethod: 'yes' })), status: 400, code: 'invalid_input' },
    { name: 'metadata as an array', method: 'POST', path: '/payments', options: () => json(payment({ metadata: [1, 2] })), status: 400, code: 'invalid_input' },
    // text PostgreSQL cannot store (NUL, unpaired surrogates) and nesting that would exhaust the stack
    { name: 'NUL in a metadata value', method: 'POST', path: '/payments', options: () => json(payment({ metadata: { note: 'a\u0000b' } })), status: 400, code: 'invalid_input' },
    { name: 'NUL in a metadata key', method: 'POST', path: '/payments', options: () => json(payment({ metadata: { 'no\u0000te': 'x' } })), status: 400, code: 'invalid_input' },
    { name: 'a metadata number JSON cannot keep (1e400 parses to Infinity)', method: 'POST', path: '/payments', options: () => ({ raw: JSON.stringify(payment({})).replace(/}$/, ',"metadata":{"n":1e400}}'), headers: { 'content-type': 'application/json' }, idempotencyKey: key() }), status: 400, code: 'invalid_input' },
    { name: 'unpaired surrogate in metadata', method: 'POST', path: '/payments', options: () => json(payment({ metadata: { note: 'x\ud800y' } })), status: 400, code: 'invalid_input' },
    { name: 'NUL in the token', method: 'POST', path: '/payments', options: () => json(payment({ token: 'tok\u0000' })), status: 400, code: 'invalid_input' },
    { name: 'NUL in the email', method: 'POST', path: '/payments', options: () => json(payment({ customerEmail: 'a\u0000@example.com' })), status: 400, code: 'invalid_input' },
    { name: 'NUL deep in data', method: 'POST', path: '/payments', options: () => json(payment({ data: { a: [{ b: '\u0000' }] } })), status: 400, code: 'invalid_input' },
    { name: 'metadata nested 2000 levels deep', method: 'POST', path: '/payments', options: () => ({ raw: JSON.stringify(payment({})).replace(/}$/, `,"metadata":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`), headers: { 'content-type': 'application/json' }, idempotencyKey: key() }), status: 400, code: 'invalid_input' },
    { name: 'email too long', method: 'POST', path: '/payments', options: () => json(payment({ customerEmail: `${'a'.repeat(400)}@example.com` })), status: 400, code: 'invalid_input' },
    { name: 'no token and no card on file', method: 'POST', path: '/payments', options: () => json(payment({ token: undefined, customerId: 'stranger' })), status: 422, code: 'no_payment_source' },
    // headers
    { name: 'missing Idempotency-Key', method: 'POST', path: '/payments', options: () => ({ body: payment({}) }), status: 400, code: 'invalid_input' },
    { name: 'too short Idempotency-Key', method: 'POST', path: '/payments', options: () => ({ body: payment({}), idempotencyKey: 'abc' }), status: 400, code: 'invalid_input' },
    { name: 'Idempotency-Key reused with other parameters', method: 'POST', path: '/payments', options: () => json(payment({ amount: '11.00' }), { idempotencyKey: reusedKey }), status: 409, code: 'idempotency_key_reused' },
    { name: 'no API key', method: 'POST', path: '/payments', options: () => json(payment({}), { key: null }), status: 401, code: 'unauthorized' },
    { name: 'wrong API key', method: 'POST', path: '/payments', options: () => json(payment({}), { key: 'not-the-key-not-the-key' }), status: 401, code: 'unauthorized' },
    { name: 'admin key on a payment route', method: 'POST', path: '/payments', options: () => json(payment({}), { key: ADMIN_KEY }), status: 401, code: 'unauthorized' },
    { name: 'malformed Authorization header', method: 'POST', path: '/payments', options: () => json(payment({}), { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } }), status: 401, code: 'unauthorized' },
    { name: 'text/plain body', method: 'POST', path: '/payments', options: () => ({ raw: 'amount=10', headers: { 'content-type': 'text/plain' }, idempotencyKey: key() }), status: 415, code: 'unsupported_media_type' },
    { name: 'oversized body', method: 'POST', path: '/payments', options: () => json(payment({ metadata: { note: big } })), status: 413, code: 'payload_too_large' },
    // bytes: UTF-8 only, uncompressed (a byte that is not UTF-8 is refused, never stored as U+FFFD)
    { name: 'a byte that is not UTF-8', method: 'POST', path: '/payments', options: () => notUtf8(), status: 400, code: 'invalid_json' },
    { name: 'charset=iso-8859-1', method: 'POST', path: '/payments', options: () => notUtf8({ 'content-type': 'application/json; charset=iso-8859-1' }), status: 415, code: 'unsupported_media_type' },
    { name: 'charset=utf-16 on an ASCII body', method: 'POST', path: '/payments', options: () => json(payment({}), { headers: { 'content-type': 'application/json; charset=utf-16' } }), status: 415, code: 'unsupported_media_type' },
    { name: 'Content-Encoding: gzip', method: 'POST', path: '/payments', options: () => ({ raw: gzipSync(JSON.stringify(payment({}))), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, idempotencyKey: key() }), status: 415, code: 'unsupported_media_type' },
    { name: 'Content-Encoding: gzip on an uncompressed body', method: 'POST', path: '/payments', options: () => json(payment({}), { headers: { 'content-encoding': 'gzip' } }), status: 415, code: 'unsupported_media_type' },
    { name: 'admin: a byte that is not UTF-8', method: 'PUT', path: '/admin/global/plugins/test.audit', options: () => ({ raw: Buffer.from('{"active":true,"configuration":{"note":"caf\u00e9"}}', 'latin1'), headers: { 'content-type': 'application/json' }, key: ADMIN_KEY }), status: 400, code: 'invalid_json' },
    // operations on payments
    { name: 'payment id that is not a UUID', method: 'GET', path: '/payments/not-a-uuid', status: 400, code: 'invalid_input' },
    // ajv-formats' `uuid` takes the urn:uuid: prefix; an id is a plain UUID (an existing payment's id, so a 404 would be the bug)
    { name: 'payment id as urn:uuid:', method: 'GET', path: () => `/payments/urn:uuid:${captured}`, status: 400, code: 'invalid_input' },
    { name: 'capture of a payment id as urn:uuid:', method: 'POST', path: () => `/payments/urn:uuid:${authorized}/capture`, options: () => json({}), status: 400, code: 'invalid_input' },
    { name: 'admin: review of a transaction id as urn:uuid:', method: 'POST', path: () => `/admin/review/urn:uuid:${randomUUID()}`, options: () => json({ outcome: 'failed', note: 'checked' }, { key: ADMIN_KEY }), status: 400, code: 'invalid_input' },
    { name: 'unknown payment', method: 'GET', path: () => `/payments/${randomUUID()}`, status: 404, code: 'payment_not_found' },
    { name: 'capture of an unknown payment', method: 'POST', path: () => `/payments/${randomUUID()}/capture`, options: () => json({}), status: 404, code: 'payment_not_found' },
    { name: 'negative refund', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => json({ amount: '-1.00' }), status: 400, code: 'invalid_input' },
    { name: 'zero refund', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => json({ amount: '0.00' }), status: 400, code: 'invalid_amount' },
    { name: 'refund above captured', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => json({ amount: '1000.00' }), status: 422, code: 'amount_exceeds' },
    { name: 'too precise refund', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => json({ amount: '1.001' }), status: 400, code: 'invalid_amount' },
    { name: 'refund amount as a number', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => json({ amount: 1 }), status: 400, code: 'invalid_input' },
    { name: 'refund without Idempotency-Key', method: 'POST', path: () => `/payments/${captured}/refund`, options: () => ({ body: { amount: '1.00' } }), status: 400, code: 'invalid_input' },
    { name: 'capture above authorized', method: 'POST', path: () => `/payments/${authorized}/capture`, options: () => json({ amount: '5.00' }), status: 422, code: 'amount_exceeds' },
    { name: 'capture with an unknown field', method: 'POST', path: () => `/payments/${authorized}/capture`, options: () => json({ amount: '1.00', force: true }), status: 400, code: 'invalid_input' },
    { name: 'void after capture', method: 'POST', path: () => `/payments/${captured}/void`, options: () => json({}), status: 422, code: 'operation_not_allowed' },
    { name: 'confirm when nothing waits for confirmation', method: 'POST', path: () => `/payments/${captured}/confirm`, options: () => json({}), status: 422, code: 'operation_not_allowed' },
    { name: 'confirm data that is not an object', method: 'POST', path: () => `/payments/${captured}/confirm`, options: () => json({ data: 'x' }), status: 400, code: 'invalid_input' },
    { name: 'confirm data with a NUL', method: 'POST', path: () => `/payments/${authorized}/confirm`, options: () => json({ data: { threeDSecure: '\u0000' } }), status: 400, code: 'invalid_input' },
    // gateways and client tokens
    { name: 'gateways of an unknown channel', method: 'GET', path: '/channels/mars/gateways?currency=USD', status: 404, code: 'unknown_channel' },
    { name: 'gateways with a malformed currency', method: 'GET', path: '/channels/us-store/gateways?currency=US', status: 400, code: 'invalid_input' },
    { name: 'gateways with a non-ISO currency', method: 'GET', path: '/channels/us-store/gateways?currency=XYZ', status: 400, code: 'unknown_currency' },
    { name: 'gateways with an unknown query parameter', method: 'GET', path: '/channels/us-store/gateways?limit=5', status: 400, code: 'invalid_input' },
    { name: 'client token for an unknown gateway', method: 'POST', path: '/channels/us-store/gateways/nope/client-token', options: () => json({}), status: 404, code: 'unknown_gateway' },
    { name: 'client token for an inactive gateway', method: 'POST', path: '/channels/eu-store/gateways/test.signed/client-token', options: () => json({}), status: 422, code: 'inactive_gateway' },
    { name: 'client token with a too precise amount', method: 'POST', path: '/channels/us-store/gateways/payhost.dummy/client-token', options: () => json({ amount: '1.001', currency: 'USD' }), status: 400, code: 'invalid_amount' },
    { name: 'client token with an unknown field', method: 'POST', path: '/channels/us-store/gateways/payhost.dummy/client-token', options: () => json({ secret: 'x' }), status: 400, code: 'invalid_input' },
    // customers
    { name: 'payment sources without a channel', method: 'GET', path: '/customers/c1/payment-sources', status: 400, code: 'invalid_input' },
    { name: 'customer id longer than 200 characters', method: 'GET', path: `/customers/${'c'.repeat(250)}/payment-sources?channel=us-store`, status: 400, code: 'invalid_input' },
    { name: 'malformed percent-encoding in a path parameter', method: 'GET', path: '/customers/%E0%A4%A/payment-sources?channel=us-store', status: 400, code: 'invalid_input' },
    { name: 'payment sources of an unknown channel', method: 'GET', path: '/customers/c1/payment-sources?channel=mars', status: 404, code: 'unknown_channel' },
    // admin
    { name: 'admin: unknown plugin', method: 'PUT', path: '/admin/channels/us-store/plugins/nope', options: () => json({ active: true }, { key: ADMIN_KEY }), status: 404, code: 'unknown_plugin' },
    { name: 'admin: unknown channel', method: 'PUT', path: '/admin/channels/mars/plugins/payhost.dummy', options: () => json({ active: true }, { key: ADMIN_KEY }), status: 404, code: 'unknown_channel' },
    { name: 'admin: active as a string', method: 'PUT', path: '/admin/channels/us-store/plugins/payhost.dummy', options: () => json({ active: 'yes' }, { key: ADMIN_KEY }), status: 400, code: 'invalid_input' },
    { name: 'admin: numeric configuration value', method: 'PUT', path: '/admin/channels/us-store/plugins/payhost.dummy', options: () => json({ configuration: { public_key: 5 } }, { key: ADMIN_KEY }), status: 400, code: 'invalid_input' },
    { name: 'admin: a boolean field given a word', method: 'PUT', path: '/admin/channels/us-store/plugins/payhost.dummy', options: () => json({ configuration: { auto_capture: 'perhaps' } }, { key: ADMIN_KEY }), status: 400, code: 'invalid_configuration' },
    { name: 'admin: a typo in supported currencies', method: 'PUT', path: '/admin/channels/us-store/plugins/payhost.dummy', options: () => json({ configuration: { supported_currencies: 'USDD' } }, { key: ADMIN_KEY }), status: 400, code: 'invalid_configuration' },
    { name: 'admin: a global plugin through a channel route', method: 'PUT', path: '/admin/channels/us-store/plugins/test.audit', options: () => json({ active: false }, { key: ADMIN_KEY }), status: 404, code: 'unknown_plugin' },
    { name: 'admin: a channel plugin through the global route', method: 'GET', path: '/admin/global/plugins/payhost.dummy', options: () => ({ key: ADMIN_KEY }), status: 404, code: 'unknown_plugin' },
    { name: 'admin: payment key', method: 'PUT', path: '/admin/global/plugins/test.audit', options: () => json({ active: false }), status: 401, code: 'unauthorized' },
    { name: 'admin: withdrawing the changes of an unknown plugin', method: 'DELETE', path: '/admin/channels/us-store/plugins/nope', options: () => ({ key: ADMIN_KEY }), status: 404, code: 'unknown_plugin' },
    { name: 'admin: withdrawing in an unknown channel', method: 'DELETE', path: '/admin/channels/mars/plugins/payhost.dummy', options: () => ({ key: ADMIN_KEY }), status: 404, code: 'unknown_channel' },
    { name: 'admin: withdrawing a channel plugin through the global route', method: 'DELETE', path: '/admin/global/plugins/payhost.dummy', options: () => ({ key: ADMIN_KEY }), status: 404, code: 'unknown_plugin' },
    { name: 'admin: withdrawing with the payment key', method: 'DELETE', path: '/admin/global/plugins/test.audit', options: () => ({}), status: 401, code: 'unauthorized' },
    // webhooks
    {
      name: 'webhook with a bad signature',
      method: 'POST',
      path: '/plugins/channel/us-store/test.signed/webhook',
      options: () => ({ key: null, raw: JSON.stringify({ id: 'e1', paymentId: captured, amount: '1.00', currency: 'USD' }), headers: { 'x-test-signature': signWebhook('something else') } }),
      status: 400,
      code: 'invalid_signature',
    },
    {
      name: 'webhook without a signature',
      method: 'POST',
      path: '/plugins/channel/us-store/test.signed/webhook',
      options: () => ({ key: null, raw: JSON.stringify({ id: 'e2', paymentId: captured, amount: '1.00', currency: 'USD' }) }),
      status: 400,
      code: 'invalid_signature',
    },
    { name: 'webhook of an unknown plugin', method: 'POST', path: '/plugins/channel/us-store/nope/webhook', options: () => ({ key: null, raw: '{}' }), status: 404, code: 'unknown_plugin' },
    { name: 'webhook of an unknown channel', method: 'POST', path: '/plugins/channel/mars/test.signed/webhook', options: () => ({ key: null, raw: '{}' }), status: 404, code: 'unknown_channel' },
    { name: 'webhook of an inactive global plugin route', method: 'POST', path: '/plugins/global/payhost.dummy/webhook', options: () => ({ key: null, raw: '{}' }), status: 404, code: 'unknown_plugin' },
    // routes
    { name: 'unknown route', method: 'GET', path: '/nope', status: 404, code: 'route_not_found' },
    { name: 'wrong method', method: 'DELETE', path: () => `/payments/${captured}`, status: 405, code: 'method_not_allowed' },
  ];

  it(`has at least 60 cases (${cases.length})`, () => {
    expect(cases.length).to.be.at.least(60);
  });

  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const before = await ledgerFingerprint(store);
      const version = t.server.manager.configVersion;
      const path = typeof c.path === 'function' ? c.path() : c.path;
      const options = typeof c.options === 'function' ? c.options() : c.options;
      const res = await t.request(c.method, path, options);
      expect(res.status, res.text).to.equal(c.status);
      expect(res.body, res.text).to.have.property('code', c.code);
      expect(res.body.message).to.be.a('string').and.not.match(/\n\s+at /);
      expect(await ledgerFingerprint(store)).to.equal(before);
      expect(t.server.manager.configVersion).to.equal(version);
    });
  }

  it('says what is wrong with a path segment too long for the router (not just "Malformed request")', async () => {
    for (const path of [`/payments/${'a'.repeat(500)}`, `/customers/${'c'.repeat(450)}/payment-sources?channel=us-store`]) {
      const res = await t.request('GET', path);
      expect(res.status, path).to.equal(400);
      expect(res.body).to.deep.equal({ code: 'invalid_input', message: 'A path segment is longer than 400 characters (no id, slug or plugin id is)' });
    }
    const percent = await t.request('GET', '/customers/%E0%A4%A/payment-sources?channel=us-store');
    expect(percent.body).to.deep.equal({ code: 'invalid_input', message: 'Malformed URL: invalid percent-encoding' });
  });

  it('names what a schema refuses in words (the unknown field, the allowed values, what a pattern asks for), and in details: where, which field, which keyword', async () => {
    const at = (where: string, field: string, keyword: string) => ({ in: where, field, keyword });
    const expectations: Array<[string, string, RequestOptions, string, Record<string, unknown>]> = [
      ['POST', '/payments', json(payment({ cardNumber: '4242' })), 'Invalid body: unknown field "cardNumber"', at('body', 'cardNumber', 'additionalProperties')],
      ['POST', '/payments', json(payment({ billing: { postalCode: '94103', zip: '94103' } })), 'Invalid body.billing: unknown field "zip"', at('body', 'billing.zip', 'additionalProperties')],
      ['POST', '/payments', json(payment({ action: 'charge' })), 'Invalid body.action: must be one of "process", "authorize"', at('body', 'action', 'enum')],
      ['POST', '/payments', json(payment({ amount: '-5' })), 'Invalid body.amount: must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)', at('body', 'amount', 'pattern')],
      ['POST', '/payments', json(payment({ currency: 'US' })), 'Invalid body.currency: must be a three-letter ISO 4217 currency code, such as "USD"', at('body', 'currency', 'pattern')],
      ['POST', '/payments', json({ amount: '1.00', currency: 'USD' }), "Invalid body: must have required property 'channel'", at('body', 'channel', 'required')],
      ['POST', '/payments', json(payment({}), { idempotencyKey: 'with a space' }), 'Invalid headers.idempotency-key: must be printable ASCII without spaces', at('headers', 'idempotency-key', 'pattern')],
      ['POST', '/payments', json(payment({}), { idempotencyKey: 'short' }), 'Invalid headers.idempotency-key: must be at least 8 characters long', at('headers', 'idempotency-key', 'minLength')],
      ['GET', '/payments/not-a-uuid', {}, 'Invalid params.id: must be a UUID', at('params', 'id', 'pattern')],
      ['GET', `/payments/urn:uuid:${randomUUID()}`, {}, 'Invalid params.id: must be a UUID', at('params', 'id', 'pattern')],
      ['POST', '/payments', json(payment({ customerEmail: 'not an email' })), 'Invalid body.customerEmail: must be an email address', at('body', 'customerEmail', 'format')],
      ['GET', '/channels/-bad/gateways', {}, 'Invalid params.channel: must be letters, digits, "_" or "-", starting with a letter or digit', at('params', 'channel', 'pattern')],
      ['GET', '/channels/us-store/gateways?limit=5', {}, 'Invalid querystring: unknown field "limit"', at('querystring', 'limit', 'additionalProperties')],
      ['PUT', '/admin/global/plugins/test.audit', json({ configuration: { 'a/b': 5 } }, { key: ADMIN_KEY }), 'Invalid body.configuration.a/b: must be string,boolean,null', at('body', 'configuration.a/b', 'type')],
    ];
    for (const [method, path, options, message, details] of expectations) {
      const res = await t.request(method, path, options);
      expect(res.status, `${method} ${path}`).to.equal(400);
      expect(res.body, `${method} ${path}`).to.deep.equal({ code: 'invalid_input', message, details });
    }
    // The whole body refused (not an object): no field to name.
    const array = await t.request('POST', '/payments', json([]));
    expect(array.body.details).to.deep.equal({ in: 'body', keyword: 'type' });
  });

  // Runs last in this file: every request above has been logged by then.
  it('wrote no configured secret, API key or test card number to any log line', () => {
    expect(t.logs.length).to.be.greaterThan(20);
    expect(leakingLines(t.logs, Object.keys(DUMMY_TEST_CARDS))).to.deep.equal([]);
  });
});
