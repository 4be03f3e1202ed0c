import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { ADMIN_KEY, WEBHOOK_SECRET, key, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * A JSON body is UTF-8 (RFC 8259), uncompressed: bytes that are not UTF-8 are refused, never read as
 * U+FFFD (two bodies that differ would then be one request to the idempotency check, and the text stored
 * would not be what was sent), and so is a charset or a Content-Encoding the server would misread. The
 * same on every JSON route, the checkout's included; webhook routes take the raw bytes as they come.
 */
describe('server: request body bytes (UTF-8 JSON, no Content-Encoding)', () => {
  let t: TestServer;
  before(async () => {
    const document = testConfigDocument();
    t = await startServer({ ...document, server: { ...(document['server'] as object), checkout: true } }, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  const payment = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };
  /** `body` as JSON whose non-ASCII characters are written as single ISO-8859-1 bytes (é is 0xE9, not UTF-8). */
  const latin1 = (body: unknown) => Buffer.from(JSON.stringify(body), 'latin1');

  it('refuses a byte that is not UTF-8 (400 invalid_json): one key with 0xE9, then 0xE8, is never one payment', async () => {
    const idempotencyKey = key('bytes');
    const headers = { 'content-type': 'application/json' };
    const first = await t.request('POST', '/payments', { raw: latin1({ ...payment, metadata: { note: 'caf\u00e9' } }), headers, idempotencyKey });
    expect(first.status, first.text).to.equal(400);
    expect(first.body).to.deep.equal({ code: 'invalid_json', message: 'Request body is not valid UTF-8: send JSON encoded as UTF-8' });
    const second = await t.request('POST', '/payments', { raw: latin1({ ...payment, metadata: { note: 'caf\u00e8' } }), headers, idempotencyKey });
    expect(second.status, second.text).to.equal(400);
    expect(second.body).to.have.property('code', 'invalid_json');
    // Neither claimed the key: the same request in UTF-8 is a new payment, and its note is kept as sent.
    const utf8 = await t.request('POST', '/payments', { raw: Buffer.from(JSON.stringify({ ...payment, metadata: { note: 'caf\u00e9' } }), 'utf8'), headers, idempotencyKey });
    expect(utf8.status, utf8.text).to.equal(201);
    expect(utf8.body.payment.metadata).to.deep.equal({ note: 'caf\u00e9' });
  });

  it('refuses a charset other than UTF-8 (415 unsupported_media_type), and takes utf-8 in any case, quoted or not', async () => {
    const refused = await t.request('POST', '/payments', { raw: latin1({ ...payment, metadata: { note: 'caf\u00e9' } }), headers: { 'content-type': 'application/json; charset=iso-8859-1' }, idempotencyKey: key('charset') });
    expect(refused.status, refused.text).to.equal(415);
    expect(refused.body).to.deep.equal({
      code: 'unsupported_media_type',
      message: 'Content-Type charset "iso-8859-1" is not supported: send the body as UTF-8 (charset=utf-8, or no charset)',
      details: { charset: 'iso-8859-1' },
    });
    for (const contentType of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8']) {
      const taken = await t.request('POST', '/payments', { body: { ...payment, metadata: { note: 'caf\u00e9' } }, headers: { 'content-type': contentType }, idempotencyKey: key('charset') });
      expect(taken.status, `${contentType}: ${taken.text}`).to.equal(201);
      expect(taken.body.payment.metadata).to.deep.equal({ note: 'caf\u00e9' });
    }
  });

  it('refuses a Content-Encoding other than identity (415), compressed or not, and takes identity', async () => {
    for (const encoding of ['gzip', 'br, gzip']) {
      const refused = await t.request('POST', '/payments', { body: payment, headers: { 'content-encoding': encoding }, idempotencyKey: key('encoding') });
      expect(refused.status, refused.text).to.equal(415);
      expect(refused.body).to.include({ code: 'unsupported_media_type' });
      expect(refused.body.message).to.equal(`Content-Encoding "${encoding}" is not supported: send the body uncompressed (no Content-Encoding, or identity)`);
    }
    const identity = await t.request('POST', '/payments', { body: payment, headers: { 'content-encoding': 'identity' }, idempotencyKey: key('encoding') });
    expect(identity.status, identity.text).to.equal(201);
  });

  it('applies to the public checkout API and the admin API alike', async () => {
    const checkout = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, nameOnCard: 'Ren\u00e9e' };
    const bytes = await t.request('POST', '/checkout/api/payments', { key: null, raw: latin1(checkout), headers: { 'content-type': 'application/json' }, idempotencyKey: randomUUID() });
    expect(bytes.status, bytes.text).to.equal(400);
    expect(bytes.body).to.have.property('code', 'invalid_json');
    const charset = await t.request('POST', '/checkout/api/payments', { key: null, raw: latin1(checkout), headers: { 'content-type': 'application/json; charset=windows-1252' }, idempotencyKey: randomUUID() });
    expect(charset.status, charset.text).to.equal(415);
    const admin = await t.request('PUT', '/admin/global/plugins/test.audit', { key: ADMIN_KEY, raw: latin1({ configuration: { note: 'caf\u00e9' } }), headers: { 'content-type': 'application/json' } });
    expect(admin.status, admin.text).to.equal(400);
    expect(admin.body).to.have.property('code', 'invalid_json');
    const read = await t.request('GET', '/admin/global/plugins/test.audit', { key: ADMIN_KEY });
    expect(read.body.configuration).to.include({ note: 'hello' });
  });

  it('leaves webhook bodies raw: a signed body that is not UTF-8, with another charset, reaches the plugin byte for byte', async () => {
    const created = await t.request('POST', '/payments', {
      body: { channel: 'us-store', gateway: 'test.signed', currency: 'USD', amount: '3.00', token: 'sig-token', action: 'authorize' },
      idempotencyKey: key('webhook'),
    });
    expect(created.status, created.text).to.equal(201);
    const id = created.body.payment.id;
    const raw = latin1({ id: `evt-${id}`, paymentId: id, amount: '3.00', currency: 'USD', note: 'caf\u00e9' });
    const delivered = await t.request('POST', '/plugins/channel/us-store/test.signed/webhook', {
      key: null,
      raw,
      headers: { 'content-type': 'application/json; charset=iso-8859-1', 'x-test-signature': createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex') },
    });
    expect(delivered.status, delivered.text).to.equal(200);
    const read = await t.request('GET', `/payments/${id}`);
    expect(read.body.payment).to.include({ chargeStatus: 'fully-charged' });
  });
});
