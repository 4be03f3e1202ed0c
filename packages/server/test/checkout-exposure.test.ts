import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createLogger, MemoryLedgerStore, silentLogger } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { createServer, parseServerConfig } from '@payhost/server';
import { fixturesDir, startServer, testConfigDocument, WEBHOOK_SECRET, type TestServer } from './support/harness.js';

/** The test configuration with the checkout's settings, and a channel whose default USD gateway is test.signed. */
function checkoutDocument(server: Record<string, unknown>): Record<string, unknown> {
  const document = testConfigDocument();
  return {
    ...document,
    server: { ...(document['server'] as object), ...server },
    channels: [
      ...(document['channels'] as object[]),
      {
        slug: 'signed-store',
        currencies: ['USD'],
        defaultGateways: { USD: 'test.signed' },
        plugins: {
          'test.signed': { active: true, configuration: { supported_currencies: 'USD', webhook_secret: WEBHOOK_SECRET } },
          'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD' } },
        },
      },
    ],
  };
}

function refusal(run: () => unknown): { code?: string; message?: string; details?: Record<string, unknown> } {
  try {
    run();
  } catch (err) {
    return err as { code?: string; message?: string; details?: Record<string, unknown> };
  }
  return {};
}

describe('public checkout: off by default, refused on a public host unless acknowledged, limited gateways, rate limited', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  const pay = (server: TestServer, body: Record<string, unknown>, idempotencyKey = `order-${randomUUID()}`) =>
    server.request('POST', '/checkout/api/payments', { key: null, idempotencyKey, body: { amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, ...body } });

  it('is off when the file does not turn it on: neither the page nor its API is served', async () => {
    const document = testConfigDocument();
    delete (document['server'] as Record<string, unknown>)['checkout'];
    expect(parseServerConfig(document, fixturesDir, {}).server).to.include({ checkout: false, checkoutOnPublicHost: false });
    t = await startServer(document, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    expect((await t.request('GET', '/checkout/', { key: null })).status).to.equal(404);
    const res = await pay(t, { channel: 'us-store', gateway: 'payhost.dummy' });
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal('route_not_found');
  });

  it('on a host other machines reach, it refuses to start unless server.checkoutOnPublicHost says so (then a warning)', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const config = parseServerConfig(checkoutDocument({ checkout: true, host }), fixturesDir, {});
      let error: { code?: string; message?: string; details?: unknown } = {};
      await createServer(config, { store: { store: new MemoryLedgerStore(), kind: 'memory' }, logger: silentLogger() }).catch((err: unknown) => (error = err as typeof error));
      expect(error, host).to.deep.include({ code: 'invalid_configuration', details: { field: 'server.checkout', host, reason: 'checkout_on_public_host' } });
      expect(error.message).to.include('server.checkoutOnPublicHost');
    }
    // Off, or on a loopback host: nothing to refuse.
    expect(refusal(() => parseServerConfig(checkoutDocument({ host: '0.0.0.0' }), fixturesDir, {}))).to.deep.equal({});
    // Acknowledged: it starts, and says so in the log.
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const config = parseServerConfig(checkoutDocument({ checkout: true, host: '0.0.0.0', checkoutOnPublicHost: true }), fixturesDir, {});
    const server = await createServer(config, { store: { store: new MemoryLedgerStore(), kind: 'memory' }, logger });
    await server.close();
    expect(lines.map((line) => JSON.parse(line).msg as string)).to.include.members([
      'server.checkout is on a host other machines can reach (server.checkoutOnPublicHost): anyone who reaches it can make payments through server.checkoutGateways without an API key',
    ]);
  });

  it('listen() refuses too when an embedding application changed the host since', async () => {
    const config = parseServerConfig(checkoutDocument({ checkout: true }), fixturesDir, {});
    const server = await createServer(config, { store: { store: new MemoryLedgerStore(), kind: 'memory' }, logger: silentLogger() });
    try {
      config.server.host = '0.0.0.0';
      let error: { details?: { reason?: string } } = {};
      await server.listen().catch((err: unknown) => (error = err as typeof error));
      expect(error.details?.reason).to.equal('checkout_on_public_host');
    } finally {
      await server.close();
    }
  });

  it('lists and pays only through server.checkoutGateways (default: the dummy gateway); any other is unknown to it, nothing recorded', async () => {
    t = await startServer(checkoutDocument({ checkout: true }), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    const listed = await t.request('GET', '/checkout/api/channels/signed-store/gateways?currency=USD', { key: null });
    expect(listed.status).to.equal(200);
    expect(listed.body.gateways.map((g: { id: string }) => g.id)).to.deep.equal(['payhost.dummy']);
    // The payment API (with its key) still lists both.
    const full = await t.request('GET', '/channels/signed-store/gateways?currency=USD');
    expect(full.body.gateways.map((g: { id: string }) => g.id)).to.have.members(['payhost.dummy', 'test.signed']);
    // A channel's default that the checkout does not offer is not named.
    const channels = await t.request('GET', '/checkout/api/channels', { key: null });
    expect(channels.body.channels.find((c: { slug: string }) => c.slug === 'signed-store').defaultGateways).to.deep.equal({});
    expect(channels.body.channels.find((c: { slug: string }) => c.slug === 'us-store').defaultGateways).to.deep.equal({ USD: 'payhost.dummy' });

    for (const body of [{ channel: 'signed-store', gateway: 'test.signed' }, { channel: 'signed-store' }, { channel: 'us-store', gateway: 'test.signed' }]) {
      const key = `order-${randomUUID()}`;
      const res = await pay(t, body, key);
      expect(res.status, JSON.stringify(body)).to.equal(404);
      expect(res.body, JSON.stringify(body)).to.deep.include({ code: 'unknown_gateway', details: { channel: body.channel, gateway: 'test.signed', reason: 'not_a_checkout_gateway' } });
      // Refused before the ledger: nothing recorded under the key (the checkout's namespace).
      expect(await t.server.store.getIdempotencyRecord(`checkout:${key}`), JSON.stringify(body)).to.equal(null);
    }
    // The dummy gateway, named or as the channel's default, is taken.
    expect((await pay(t, { channel: 'signed-store', gateway: 'payhost.dummy' })).status).to.equal(201);
    const routed = await pay(t, { channel: 'us-store' });
    expect(routed.status).to.equal(201);
    expect(routed.body.payment.gateway).to.equal('payhost.dummy');
  });

  it('another gateway only when server.checkoutGateways names it', async () => {
    t = await startServer(checkoutDocument({ checkout: true, checkoutGateways: ['payhost.dummy', 'test.signed'] }), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    const listed = await t.request('GET', '/checkout/api/channels/signed-store/gateways?currency=USD', { key: null });
    expect(listed.body.gateways.map((g: { id: string }) => g.id)).to.have.members(['payhost.dummy', 'test.signed']);
    const res = await pay(t, { channel: 'signed-store' });
    expect(res.status).to.equal(201);
    expect(res.body.payment.gateway).to.equal('test.signed');
  });

  it('answers 429 rate_limited past server.checkoutRateLimitMax POSTs from one address; the page and reads are not counted', async () => {
    t = await startServer(checkoutDocument({ checkout: true, checkoutRateLimitMax: 3 }), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    for (let i = 0; i < 5; i++) {
      expect((await t.request('GET', '/checkout/api/channels', { key: null })).status).to.equal(200);
      expect((await t.request('GET', '/checkout/', { key: null })).status).to.equal(200);
    }
    const first = await pay(t, { channel: 'us-store', gateway: 'payhost.dummy' });
    expect(first.status).to.equal(201);
    const id: string = first.body.payment.id;
    // Refused ones count too (card testing is mostly declines).
    expect((await pay(t, { channel: 'us-store', gateway: 'test.signed' })).status).to.equal(404);
    expect((await t.request('POST', `/checkout/api/payments/${id}/cancel`, { key: null, idempotencyKey: `cancel-${randomUUID()}`, body: {} })).status).to.not.equal(429);
    const limited = await pay(t, { channel: 'us-store', gateway: 'payhost.dummy' });
    expect(limited.status).to.equal(429);
    expect(limited.body.code).to.equal('rate_limited');
    expect(limited.body.message).to.match(/^Too many checkout requests from this address: retry in /);
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(0);
    // The confirm and cancel routes share the count; the payment API (with its key) does not.
    expect((await t.request('POST', `/checkout/api/payments/${id}/confirm`, { key: null, idempotencyKey: `confirm-${randomUUID()}`, body: {} })).status).to.equal(429);
    expect((await t.request('GET', `/checkout/api/payments/${id}`, { key: null })).status).to.equal(200);
    const viaApi = await t.request('POST', '/payments', { idempotencyKey: `api-${randomUUID()}`, body: { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success } });
    expect(viaApi.status).to.equal(201);
  });

  it('documents 429 on the checkout POST routes of the OpenAPI document', async () => {
    t = await startServer(checkoutDocument({ checkout: true }), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    const document = (await t.request('GET', '/openapi.json', { key: null })).body;
    for (const path of ['/checkout/api/payments', '/checkout/api/payments/{id}/confirm', '/checkout/api/payments/{id}/cancel']) {
      expect(document.paths[path].post.responses, path).to.have.property('429');
    }
    expect(document.paths['/checkout/api/payments/{id}'].get.responses).to.not.have.property('429');
  });
});

describe('public checkout: a card number as the Idempotency-Key', () => {
  it('is refused (400 invalid_input, reason card_number, field idempotency-key), nothing recorded; a UUID is taken', async () => {
    const document = testConfigDocument();
    const t = await startServer({ ...document, server: { ...(document['server'] as object), checkout: true } }, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    try {
      const body = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };
      for (const key of ['4111111111111111', 'order-4242-4242-4242-4242']) {
        const res = await t.request('POST', '/checkout/api/payments', { key: null, idempotencyKey: key, body });
        expect(res.status, key).to.equal(400);
        expect(res.body.details, key).to.deep.equal({ field: 'idempotency-key', reason: 'card_number' });
        expect(res.text, key).to.not.include('4242').and.not.include('4111');
        expect(await t.server.store.getIdempotencyRecord(`checkout:${key}`), key).to.equal(null);
      }
      const confirm = await t.request('POST', `/checkout/api/payments/${randomUUID()}/confirm`, { key: null, idempotencyKey: '4111111111111111', body: {} });
      expect(confirm.body.details).to.deep.equal({ field: 'idempotency-key', reason: 'card_number' });
      expect((await t.request('POST', '/checkout/api/payments', { key: null, idempotencyKey: randomUUID(), body })).status).to.equal(201);
    } finally {
      await t.close();
    }
  });
});
