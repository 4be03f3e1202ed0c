import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The checkout page's files are served by @fastify/static (@fastify/send), which refuses a Range past the
 * file's end (416) and a precondition that does not hold (412) with errors of its own: answered with
 * their status and a stable code, logged as a client's request, never 500 internal_error.
 */
describe('server: a client error a library raises keeps its status (checkout files: 416, 412)', () => {
  let t: TestServer;
  before(async () => {
    const document = testConfigDocument();
    t = await startServer({ ...document, server: { ...(document['server'] as object), checkout: true } }, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  it("a Range past the end: 416 range_not_satisfiable with Content-Range giving the file's size", async () => {
    const whole = await t.request('GET', '/checkout/style.css', { key: null });
    expect(whole.status).to.equal(200);
    const size = Buffer.byteLength(whole.text);
    const res = await t.request('GET', '/checkout/style.css', { key: null, headers: { range: 'bytes=999999-' } });
    expect(res.status, res.text).to.equal(416);
    expect(res.body).to.deep.equal({ code: 'range_not_satisfiable', message: "The requested Range is not within the file: Content-Range gives the file's size" });
    expect(res.headers.get('content-range')).to.equal(`bytes */${size}`);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    // A Range within the file is still served.
    const part = await t.request('GET', '/checkout/style.css', { key: null, headers: { range: 'bytes=0-3' } });
    expect([part.status, part.headers.get('content-range')]).to.deep.equal([206, `bytes 0-3/${size}`]);
  });

  it('If-Match that does not match, If-Unmodified-Since before the file: 412 precondition_failed', async () => {
    for (const [path, headers] of [
      ['/checkout/style.css', { 'if-match': '"nope"' }],
      ['/checkout/app.js', { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' }],
    ] as const) {
      const res = await t.request('GET', path, { key: null, headers });
      expect(res.status, `${path} ${res.text}`).to.equal(412);
      expect(res.body.code).to.equal('precondition_failed');
    }
  });

  it('is logged as a refused request (info, no stack), never "unhandled error"', async () => {
    const before = t.logs.length;
    await t.request('GET', '/checkout/style.css', { key: null, headers: { range: 'bytes=999999-' } });
    const lines = t.logs.slice(before).map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown; code?: string });
    expect(lines.filter((line) => line.msg === 'unhandled error')).to.deep.equal([]);
    const refused = lines.find((line) => line.msg === 'request refused by a library');
    expect(refused).to.deep.include({ level: 30, code: 'range_not_satisfiable', statusCode: 416 });
    expect(refused).to.not.have.property('err');
  });

  it('a body that is not JSON is still 400 invalid_json', async () => {
    const res = await t.request('POST', '/payments', { raw: '{"channel":', headers: { 'content-type': 'application/json' }, idempotencyKey: 'not-json-0001' });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ code: 'invalid_json', message: 'Request body is not valid JSON' });
  });
});
