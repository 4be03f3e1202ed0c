import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * A plugin's webhook answer is sent as the HTTP response. One that cannot be
 * sent (a plugin bug) is answered 500 processing_error, as a failing hook is,
 * and its events are not applied: the processor delivers them again.
 */
describe('server: plugin webhook answers', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  /** Posts `mode` to the answers plugin; returns the response and the log lines the request wrote. */
  async function deliver(mode: string, path = 'webhook') {
    const paymentId = randomUUID();
    const logged = t.logs.length;
    const res = await t.request('POST', `/plugins/global/test.answers/${path}`, { key: null, raw: JSON.stringify({ mode, paymentId }), headers: { 'content-type': 'application/json' } });
    const lines = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
    const applied = lines.some((line) => line['msg'] === 'webhook event for an unknown payment: acknowledged, not applied' && line['paymentId'] === paymentId);
    return { res, lines, applied };
  }

  it('sends a valid answer as it is, applies its events, and gives the plugin the path from its slash', async () => {
    const { res, applied } = await deliver('valid', 'webhook/stripe');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ path: '/webhook/stripe' });
    expect(applied).to.equal(true);
    const text = await deliver('text-body');
    expect(text.res.status).to.equal(202);
    expect(text.res.text).to.equal('queued');
    expect(text.applied).to.equal(true);
  });

  it("sends a plugin's error status with its own body, though the route documents the server's refusals with the Error schema", async () => {
    const { res } = await deliver('own-refusal');
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ error: 'signature_mismatch', retryable: false });
  });

  const unsendable: Array<[string, RegExp]> = [
    ['status-1000', /status 1000/],
    ['status-text', /status "ok"/],
    ['status-102', /status 102/],
    ['bigint-body', /body cannot be serialized as JSON/],
    ['circular-body', /body cannot be serialized as JSON/],
    ['number-body', /body is 42/],
    ['crlf-header', /header x-trace has a value that is not a single-line string/],
    ['bad-header-name', /header name "x trace"/],
    ['number-header', /header x-count has a value that is not a single-line string/],
    ['length-header', /header content-length is set by the server/],
    ['events-object', /events are of type object/],
  ];
  for (const [mode, reason] of unsendable) {
    it(`answers 500 processing_error for an answer with ${mode}, logs why, and applies none of its events`, async () => {
      const { res, lines, applied } = await deliver(mode);
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ code: 'processing_error', message: 'The plugin gave a webhook answer that cannot be sent' });
      expect(res.text).not.to.include('stolen');
      expect(applied).to.equal(false);
      const refusal = lines.find((line) => String(line['msg']).startsWith('plugin webhook answer cannot be sent'));
      expect(refusal).to.include({ level: 50, plugin: 'test.answers' });
      expect(String(refusal?.['reason'])).to.match(reason);
    });
  }
});
