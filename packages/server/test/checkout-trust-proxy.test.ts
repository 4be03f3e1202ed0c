import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { parseServerConfig } from '@payhost/server';
import { startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * server.trustProxy: behind a reverse proxy every connection comes from the proxy, so the checkout rate limit
 * (one allowance per client address) and the request log need the client's address from X-Forwarded-For,
 * believed only when the connection comes from a trusted proxy.
 */
describe('server: trustProxy (client address behind a reverse proxy)', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function start(trustProxy?: unknown): Promise<TestServer> {
    const document = testConfigDocument();
    // Behind a trusted proxy other machines reach the checkout: it needs checkoutOnPublicHost (proxy-exposure.test.ts).
    const proxied = trustProxy === undefined ? {} : { trustProxy, checkoutOnPublicHost: true };
    const server = { ...(document['server'] as object), checkout: true, checkoutRateLimitMax: 1, ...proxied };
    const t = await startServer({ ...document, server }, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    servers.push(t);
    return t;
  }

  /** The statuses of one checkout payment per X-Forwarded-For value, all from this connection address (127.0.0.1). */
  async function pay(t: TestServer, forwardedFor: readonly string[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const client of forwardedFor) {
      const res = await fetch(`${t.url}/checkout/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), 'x-forwarded-for': client },
        body: JSON.stringify({ channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success }),
      });
      statuses.push(res.status);
    }
    return statuses;
  }

  it('from a trusted proxy, each client (X-Forwarded-For) has its own allowance, and the request log names it', async () => {
    const t = await start('127.0.0.1');
    expect(await pay(t, ['203.0.113.1', '203.0.113.2', '198.51.100.7, 203.0.113.3'])).to.deep.equal([201, 201, 201]);
    // The same client again is past its allowance of one.
    expect(await pay(t, ['203.0.113.2'])).to.deep.equal([429]);
    const remote = t.logs.map((line) => JSON.parse(line) as { req?: { url?: string; remoteAddress?: string } }).filter((entry) => entry.req?.url === '/checkout/api/payments');
    expect(remote.map((entry) => entry.req?.remoteAddress)).to.deep.equal(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.2']);
  });

  it('takes a list, a CIDR or a hop count alike', async () => {
    for (const trust of [['10.0.0.1', '127.0.0.0/8'], 1]) {
      const t = await start(trust);
      expect(await pay(t, ['203.0.113.1', '203.0.113.2']), JSON.stringify(trust)).to.deep.equal([201, 201]);
    }
  });

  it('without it (the default), X-Forwarded-For is ignored: every client behind one address shares its allowance', async () => {
    const t = await start();
    expect(await pay(t, ['203.0.113.1', '203.0.113.2', '203.0.113.3'])).to.deep.equal([201, 429, 429]);
  });

  it('from a connection that is not a trusted proxy, X-Forwarded-For never changes the key', async () => {
    const t = await start(['10.0.0.1', '192.168.0.0/16']);
    expect(await pay(t, ['203.0.113.1', '203.0.113.2', '10.0.0.1'])).to.deep.equal([201, 429, 429]);
  });

  it('refuses a value fastify would misread, naming it', () => {
    const base = { auth: { adminApiKey: 'admin-key-admin-key-1234', paymentApiKey: 'payment-key-payment-key-1234' }, channels: [{ slug: 'web', currencies: ['USD'], plugins: {} }] };
    const parse = (trustProxy: unknown) => parseServerConfig({ ...base, server: { trustProxy } }, '/tmp').server.trustProxy;
    expect(parse(false)).to.equal(false);
    expect(parse('10.0.0.1, 10.1.0.0/16,loopback')).to.deep.equal(['10.0.0.1', '10.1.0.0/16', 'loopback']);
    expect(parse(['::1', 'fd00::/8'])).to.deep.equal(['::1', 'fd00::/8']);
    expect(parse(2)).to.equal(2);
    expect(parseServerConfig({ ...base }, '/tmp').server.trustProxy).to.equal(false);
    for (const bad of ['nginx', '10.0.0.1/33', '10.0.0.0/8/1', '', [], 0, 1.5, 'yes', ['10.0.0.1', 'proxy.local'], null]) {
      let error: { code?: string; message?: string } = {};
      try {
        parse(bad);
      } catch (err) {
        error = err as typeof error;
      }
      expect(error.code, JSON.stringify(bad)).to.equal('invalid_configuration');
      expect(error.message, JSON.stringify(bad)).to.include('trustProxy');
    }
  });
});
