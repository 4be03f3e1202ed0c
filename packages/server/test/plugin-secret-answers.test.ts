import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { MemoryLedgerStore } from '@payhost/core';
import { key, startServer, testConfigDocument, type TestServer } from './support/harness.js';

const LEAK_KEY = 'sk_live_LEAKCANARY_0001';

/** The test configuration plus a channel whose only gateway quotes its Secret key in its answers, with the checkout API on. */
function leakyDocument(): Record<string, unknown> {
  const document = testConfigDocument();
  return {
    ...document,
    server: { ...(document['server'] as object), checkout: true, checkoutGateways: ['payhost.dummy', 'acme.leaky'] },
    plugins: [...(document['plugins'] as string[]), './leaky-plugin.mjs'],
    channels: [
      ...(document['channels'] as object[]),
      { slug: 'leak-store', currencies: ['USD'], plugins: { 'acme.leaky': { active: true, configuration: { api_key: LEAK_KEY } } } },
    ],
  };
}

describe("server: a plugin's Secret key quoted in its answers never reaches an API answer", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(leakyDocument(), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  it('POST /payments: the gateway_declined message is scrubbed, and so is GET /payments/:id', async () => {
    const paid = await t.request('POST', '/payments', { body: { channel: 'leak-store', amount: '10.00', currency: 'USD', token: 'tok_1' }, idempotencyKey: key('pay') });
    expect(paid.status, paid.text).to.equal(402);
    expect(paid.body).to.include({ code: 'gateway_declined', message: 'processor error for key [redacted]' });
    expect(paid.text).to.not.include(LEAK_KEY);
    const read = await t.request('GET', `/payments/${paid.body.details.paymentId as string}`);
    expect(read.status, read.text).to.equal(200);
    expect(read.body.transactions[0]).to.include({ isSuccess: false, error: 'processor error for key [redacted]' });
    expect(read.text).to.not.include(LEAK_KEY);
  });

  it('POST /checkout/api/payments (public, no key): the same', async () => {
    const paid = await t.request('POST', '/checkout/api/payments', { key: null, body: { channel: 'leak-store', amount: '10.00', currency: 'USD', token: 'tok_1' }, idempotencyKey: randomUUID() });
    expect(paid.status, paid.text).to.equal(402);
    expect(paid.body).to.include({ code: 'gateway_declined', message: 'processor error for key [redacted]' });
    expect(paid.text).to.not.include(LEAK_KEY);
  });

  it("the plugin's webhook answer to whoever calls its URL", async () => {
    const answer = await t.request('POST', '/plugins/channel/leak-store/acme.leaky/webhook', { key: null, body: { forged: true } });
    expect(answer.status, answer.text).to.equal(400);
    expect(answer.body).to.deep.equal({ code: 'invalid_signature', message: 'signature not made with [redacted]' });
  });
});
