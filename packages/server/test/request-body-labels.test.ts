import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * A body labelled US-ASCII is UTF-8 too (ASCII is a subset) and a Content-Encoding listing only identity
 * leaves it as sent: both are taken. An ASCII label on bytes that are not ASCII, and a list naming any other
 * coding, are still refused.
 */
describe('server: request body charset and Content-Encoding labels', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(testConfigDocument(), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  const payment = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };

  it('takes an ASCII body labelled us-ascii, ascii, ISO646-US, ANSI_X3.4-1968 or csASCII', async () => {
    for (const charset of ['us-ascii', 'ascii', 'ISO646-US', 'ANSI_X3.4-1968', '"csASCII"']) {
      const taken = await t.request('POST', '/payments', { raw: Buffer.from(JSON.stringify(payment)), headers: { 'content-type': `application/json; charset=${charset}` }, idempotencyKey: key('ascii') });
      expect(taken.status, `${charset}: ${taken.text}`).to.equal(201);
    }
  });

  it('refuses a body labelled us-ascii holding a byte above 0x7F (400 invalid_json), even valid UTF-8', async () => {
    const raw = Buffer.from(JSON.stringify({ ...payment, metadata: { note: 'caf\u00e9' } }), 'utf8');
    const refused = await t.request('POST', '/payments', { raw, headers: { 'content-type': 'application/json; charset=us-ascii' }, idempotencyKey: key('ascii') });
    expect(refused.status, refused.text).to.equal(400);
    expect(refused.body).to.deep.equal({ code: 'invalid_json', message: 'Request body is not ASCII, as its charset says: send JSON encoded as UTF-8 (charset=utf-8)' });
  });

  it('takes a Content-Encoding listing only identity, in any case; refuses a list with another coding (415)', async () => {
    for (const encoding of ['Identity, identity', 'IDENTITY', 'identity,identity , identity', ' identity ,']) {
      const taken = await t.request('POST', '/payments', { body: payment, headers: { 'content-encoding': encoding }, idempotencyKey: key('encoding') });
      expect(taken.status, `${encoding}: ${taken.text}`).to.equal(201);
    }
    for (const encoding of ['identity, gzip', 'gzip, identity', 'Identity, BR']) {
      const refused = await t.request('POST', '/payments', { body: payment, headers: { 'content-encoding': encoding }, idempotencyKey: key('encoding') });
      expect(refused.status, `${encoding}: ${refused.text}`).to.equal(415);
      expect(refused.body).to.deep.include({ code: 'unsupported_media_type', details: { contentEncoding: encoding } });
    }
  });
});
