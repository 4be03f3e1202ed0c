import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { parseServerConfig } from '@payhost/server';
import { fixturesDir, key, signWebhook, startTestServer, testConfigDocument, type TestServer } from './support/harness.js';

/** A JSON event of about `bytes` bytes (its note pads it), as a processor's large event (an invoice of many lines). */
function largeEvent(bytes: number): string {
  return JSON.stringify({ id: `evt_large_${bytes}`, kind: 'capture', paymentId: 'no-such-payment', amount: '1.00', currency: 'USD', note: 'x'.repeat(bytes) });
}

describe('server: webhook deliveries have their own body limit (server.webhookBodyLimit)', () => {
  let t: TestServer;
  // The API's own limit at its default, 64 KiB.
  before(async () => (t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' }, { bodyLimit: 64 * 1024 })));
  after(() => t.close());

  const deliver = (body: string, signature = signWebhook(body)) =>
    t.request('POST', '/plugins/channel/us-store/test.signed/webhook', { key: null, raw: body, headers: { 'content-type': 'application/json', 'x-test-signature': signature } });

  it('defaults to 1 MiB, bounded 1 KiB to 10 MiB', () => {
    const parse = (webhookBodyLimit?: number) => parseServerConfig({ ...testConfigDocument(), server: webhookBodyLimit === undefined ? {} : { webhookBodyLimit } }, fixturesDir, {}).server.webhookBodyLimit;
    expect(parse()).to.equal(1024 * 1024);
    expect(parse(2048)).to.equal(2048);
    for (const bad of [1023, 10 * 1024 * 1024 + 1, 1.5]) expect(() => parse(bad), String(bad)).to.throw(/server\.webhookBodyLimit/);
  });

  it('a 70 KB event reaches the plugin (its answer, not 413); a 70 KB payment request is still 413', async () => {
    const body = largeEvent(70_000);
    expect(Buffer.byteLength(body)).to.be.above(64 * 1024);
    // Signed: the plugin verified it (the event names no payment: the server's 404 for the processor to retry).
    const signed = await deliver(body);
    expect(signed.status, signed.text).to.not.equal(413);
    expect(signed.body?.code).to.not.equal('payload_too_large');
    // Signed wrongly: the plugin's own refusal, so the body was read whole.
    const forged = await deliver(body, 'f'.repeat(64));
    expect(forged.status).to.equal(400);
    expect(forged.body).to.deep.include({ code: 'invalid_signature' });

    const payment = await t.request('POST', '/payments', {
      idempotencyKey: key('large'),
      body: { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, metadata: { note: 'x'.repeat(70_000) } },
    });
    expect(payment.status).to.equal(413);
    expect(payment.body).to.have.property('code', 'payload_too_large');
  });

  it('past server.webhookBodyLimit a delivery is 413 payload_too_large', async () => {
    const res = await deliver(largeEvent(1024 * 1024 + 1));
    expect(res.status).to.equal(413);
    expect(res.body).to.have.property('code', 'payload_too_large');
  });
});

describe('server: X-Content-Type-Options: nosniff on every answer', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' })));
  after(() => t.close());

  it('an API 404 (which echoes the URL in its JSON), a 401 and a 200 carry it', async () => {
    const missing = await t.request('GET', '/no-such-route/<script>alert(1)</script>');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.have.property('code', 'route_not_found');
    expect(missing.headers.get('x-content-type-options')).to.equal('nosniff');
    const unauthorized = await t.request('GET', '/payments/p1', { key: null });
    expect(unauthorized.status).to.equal(401);
    expect(unauthorized.headers.get('x-content-type-options')).to.equal('nosniff');
    const health = await t.request('GET', '/health', { key: null });
    expect(health.status).to.equal(200);
    expect(health.headers.get('x-content-type-options')).to.equal('nosniff');
    const gateways = await t.request('GET', '/channels/us-store/gateways?currency=USD');
    expect(gateways.status).to.equal(200);
    expect(gateways.headers.get('x-content-type-options')).to.equal('nosniff');
  });
});
