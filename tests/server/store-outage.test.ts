import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';
import { createPostgresStore } from '@payhost/store-postgres';
import { checkReachable, testDatabaseUrl } from '../support/postgres-url.js';

/**
 * The reference server on PostgreSQL while the database goes out of reach
 * and comes back: a loopback TCP proxy stands between them and is cut, as a
 * network partition or a database restart would. Always runs, on
 * PAYHOST_TEST_DATABASE_URL or its default, and fails when that server is unreachable.
 */
const databaseUrl = testDatabaseUrl();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAYMENT_KEY = 'outage-payment-key-0123456789';

/** A TCP proxy to `target` that can be cut (listener closed, every open connection destroyed) and restored on the same port. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = createTcpServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('reference server: the PostgreSQL database goes out of reach and comes back', function () {
  this.timeout(60_000);
  const schema = `payhost_outage_${randomBytes(4).toString('hex')}`;
  const target = new URL(databaseUrl);
  const proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const logs: string[] = [];
  let server: PayhostServer;
  let url = '';
  let reachable = false;

  const pay = (idempotencyKey: string) =>
    fetch(`${url}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ channel: 'web', amount: '10.00', currency: 'USD', token: 'tok_dummy_success' }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
  const ready = () => fetch(`${url}/health/ready`).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

  before(async () => {
    await checkReachable(databaseUrl);
    reachable = true;
    await proxy.up();
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // Short connect timeout: while the proxy is down a request fails in a second, not ten.
    const store = await createPostgresStore({ connectionString: viaProxy.toString(), schema, pool: { max: 4, connectionTimeoutMillis: 1_000 } });
    const config = parseServerConfig(
      {
        server: { host: '127.0.0.1', port: 0, logLevel: 'info', checkout: false },
        auth: { adminApiKey: 'outage-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
        plugins: ['@payhost/plugin-dummy'],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }],
      },
      root,
      {},
    );
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    server = await createServer(config, { logger, store: { store, kind: 'postgres' } });
    url = await server.listen();
  });

  after(async () => {
    if (!reachable) return; // before() failed, saying so; nothing was started.
    await proxy.up();
    await server?.close();
    await proxy.cut();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('answers 503 store_unavailable (never 500) while it is down, reports not ready, and pays again once it is back', async () => {
    expect(await ready()).to.deep.equal({ status: 200, body: { status: 'ready', store: 'postgres' } });
    const before = await pay(randomUUID());
    expect(before.status).to.equal(201);

    await proxy.cut();
    const key = randomUUID();
    const down = await pay(key);
    expect(down.status).to.equal(503);
    expect(down.body).to.include({ code: 'store_unavailable' });
    expect(down.body['message']).to.not.match(/ECONNREFUSED|127\.0\.0\.1|postgres:\/\//);
    const notReady = await ready();
    expect(notReady.status).to.equal(503);
    expect(notReady.body).to.include({ code: 'store_unavailable' });
    // Liveness does not depend on the database: the process is fine and recovers by itself.
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    const logged = logs.map((line) => JSON.parse(line) as Record<string, any>).filter((l) => l['msg'] === 'ledger database unavailable');
    expect(logged.length).to.be.greaterThan(0);
    expect(logged[0]!['level']).to.equal(50);

    await proxy.up();
    expect((await ready()).status).to.equal(200);
    // The refused request wrote nothing: the same key now runs it, once.
    const after = await pay(key);
    expect(after.status).to.equal(201);
    expect(after.body['payment']).to.include({ chargeStatus: 'fully-charged' });
    const replay = await pay(key);
    expect(replay.body['payment']['id']).to.equal(after.body['payment']['id']);
  });
});
