import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import pg from 'pg';
import { createLogger } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { startStallingProxy, type StallingProxy } from '../../store-postgres/test/support/stalling-proxy.js';
import { PAYMENT_KEY, fixturesDir, testConfigDocument } from './support/harness.js';

/**
 * The server on a PostgreSQL database that stops answering on open connections (frozen, or behind a path
 * that drops packets): with server.databaseQueryTimeoutMs (1 s here) a request answers 503
 * store_unavailable instead of hanging, readiness says so, nothing is half-written, and the same
 * idempotency key pays once the database answers again. The stall is a loopback proxy that holds bytes.
 */
/** Short, yet long enough for a busy test machine's database to answer what is not stalled. */
const BOUND_MS = 1000;

describePostgres('server: the database stops answering', (pgc) => {
  let proxy: StallingProxy;
  let server: PayhostServer | null = null;
  let url = '';
  const logs: string[] = [];
  const schema = pgc.newSchema('stalled_server');

  const call = async (method: string, path: string, idempotencyKey?: string) => {
    const response = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${PAYMENT_KEY}`,
        ...(idempotencyKey ? { 'content-type': 'application/json', 'idempotency-key': idempotencyKey } : {}),
      },
      ...(idempotencyKey ? { body: JSON.stringify({ channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success }) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const pay = (idempotencyKey: string) => call('POST', '/payments', idempotencyKey);
  /** POST /payments on a connection of its own (not kept alive: a shutdown would wait for that). */
  const payAlone = (idempotencyKey: string) =>
    new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const body = JSON.stringify({ channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success });
      const headers = { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
      const req = httpRequest(`${url}/payments`, { method: 'POST', agent: false, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, any> }));
      });
      req.once('error', reject);
      req.end(body);
    });

  before(async () => {
    proxy = await startStallingProxy(pgc.url);
    const document = testConfigDocument();
    document['server'] = { ...(document['server'] as object), databaseSchema: schema, databaseQueryTimeoutMs: BOUND_MS };
    // The store is the one the configuration opens (DATABASE_URL, server.databaseQueryTimeoutMs).
    const config = parseServerConfig(document, fixturesDir, { DATABASE_URL: proxy.url });
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    server = await createServer(config, { logger });
    url = await server.listen();
  });
  after(async () => {
    proxy?.resume();
    await server?.close();
    await proxy?.close();
  });

  it('answers 503 store_unavailable instead of hanging, writes nothing, and the same key pays once it answers again', async () => {
    expect((await call('GET', '/health/ready')).status).to.equal(200);
    expect((await pay(randomUUID())).status).to.equal(201);

    proxy.stall('both');
    const key = randomUUID();
    const stalled = await pay(key);
    expect(stalled.status).to.equal(503);
    expect(stalled.body).to.include({ code: 'store_unavailable' });
    // The connection given up on is closed, with what it held (the payment's first statement).
    await proxy.untilHeldDropped();
    const notReady = await call('GET', '/health/ready');
    expect(notReady.status).to.equal(503);
    expect(notReady.body).to.include({ code: 'store_unavailable' });
    const logged = logs.map((line) => JSON.parse(line) as Record<string, any>).filter((line) => line['msg'] === 'ledger database unavailable');
    expect(logged.map((line) => line['err']?.['message'])).to.include(`The database did not answer within ${BOUND_MS} ms; the connection was closed`);

    proxy.resume();
    expect((await call('GET', '/health/ready')).status).to.equal(200);
    const paid = await pay(key);
    expect(paid.status).to.equal(201);
    expect(paid.body['payment']).to.include({ chargeStatus: 'fully-charged' });
    expect((await pay(key)).body['payment']['id']).to.equal(paid.body['payment']['id']);

    // The ledger, read directly: one payment for the key, nothing left pending or half-written.
    const client = new pg.Client({ connectionString: pgc.url });
    await client.connect();
    try {
      const payments = await client.query(`SELECT id FROM "${schema}".payments ORDER BY created_at`);
      expect(payments.rows).to.have.length(2);
      const keyed = await client.query(`SELECT state FROM "${schema}".idempotency_keys WHERE key = $1`, [key]);
      expect(keyed.rows).to.deep.equal([{ state: 'done' }]);
      const unresolved = await client.query(`SELECT id FROM "${schema}".transactions WHERE state <> 'applied'`);
      expect(unresolved.rows).to.deep.equal([]);
      const orphans = await client.query(`SELECT p.id FROM "${schema}".payments p WHERE NOT EXISTS (SELECT 1 FROM "${schema}".transactions t WHERE t.payment_id = p.id)`);
      expect(orphans.rows).to.deep.equal([]);
    } finally {
      await client.end();
    }
  });

  it('a graceful shutdown while a request waits on the stalled database ends: the request answers 503', async () => {
    proxy.stall('both');
    const paying = payAlone(randomUUID());
    while (proxy.heldStatementBytes === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = server!.close();
    server = null;
    const answer = await paying;
    expect(answer.status).to.equal(503);
    expect(answer.body).to.include({ code: 'store_unavailable' });
    await closing;
  });
});
