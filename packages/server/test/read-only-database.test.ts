import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type pg from 'pg';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { ADMIN_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The server on a PostgreSQL database that answers but takes no writes, as after a failover onto a
 * read-only node (here: the server's role gets default_transaction_read_only, and its connections are
 * ended, as a failover ends them). A payment answers 503 store_unavailable (details.reason read_only,
 * "retry ... with the same idempotency key"), not 500 internal_error; nothing is written; readiness
 * answers 503 so that a load balancer takes the instance out; and once the database takes writes
 * again, the same key pays, once.
 */
describePostgres('server: the database is read-only', (pgc) => {
  const schema = pgc.newSchema('read_only');
  const { role, url: roleUrl } = pgc.newRole('read_only_app');
  const servers: TestServer[] = [];
  const start = async (url: string): Promise<TestServer> => {
    const base = testConfigDocument({ pluginSettingsPollMs: 3_600_000 });
    const started = await startServer({ ...base, server: { ...(base['server'] as object), databaseSchema: schema } }, { DATABASE_URL: url });
    servers.push(started);
    return started;
  };
  const body = { channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success };
  /** Ends the role's sessions and waits until the database has none left. */
  const endSessions = (c: pg.Client) =>
    (async () => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      for (let i = 0; i < 100; i += 1) {
        const left = await c.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role]);
        if (left.rows.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the sessions of ${role} did not end`);
    })();
  /**
   * GET /health/ready until it answers `status` (with `reason` for a 503), at most 5 s: a connection ended
   * while the pool held it may answer one check `store_unavailable` without a reason first.
   */
  const readyUntil = async (server: TestServer, status: number, reason?: string) => {
    const done = (answer: { status: number; body: any }) => answer.status === status && (reason === undefined || answer.body?.details?.reason === reason);
    let answer = await server.request('GET', '/health/ready', { key: null });
    for (let i = 0; i < 50 && !done(answer); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await server.request('GET', '/health/ready', { key: null });
    }
    return answer;
  };

  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('answers 503 store_unavailable (reason read_only), writes nothing, readiness 503; the same key pays once it takes writes again', async () => {
    // The owner migrates the schema; the server runs as a role granted the tables.
    await (await start(pgc.url)).close();
    await pgc.asOwner(async (c) => {
      await c.query(`CREATE ROLE "${role}" LOGIN`);
      await c.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
      await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
      await c.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`);
    });
    const server = await start(roleUrl);
    expect((await server.request('GET', '/health/ready', { key: null })).status).to.equal(200);
    expect((await server.request('POST', '/payments', { body, idempotencyKey: randomUUID() })).status).to.equal(201);

    // The failover: every new session of the role is read-only, and its sessions end.
    await pgc.asOwner(async (c) => {
      await c.query(`ALTER ROLE "${role}" SET default_transaction_read_only = on`);
      await endSessions(c);
    });
    const notReady = await readyUntil(server, 503, 'read_only');
    expect(notReady.status, notReady.text).to.equal(503);
    expect(notReady.body).to.deep.include({ code: 'store_unavailable', details: { store: 'postgres', reason: 'read_only' } });
    expect(notReady.body.message).to.include('retry later with the same idempotency key');

    const key = randomUUID();
    const refused = await server.request('POST', '/payments', { body, idempotencyKey: key });
    expect(refused.status, refused.text).to.equal(503);
    expect(refused.body).to.deep.include({ code: 'store_unavailable', details: { store: 'postgres', reason: 'read_only' } });
    expect(refused.body.message).to.equal(
      'The ledger database (postgres) is read-only (a standby, or a former primary after a failover) (SQLSTATE 25006): it cannot record the request now; retry later with the same idempotency key',
    );
    const logged = server.logs.map((line) => JSON.parse(line) as { msg: string; err?: { message?: string } });
    expect(logged.filter((line) => line.msg === 'unhandled error')).to.deep.equal([]);
    expect(logged.filter((line) => line.msg === 'ledger database unavailable').map((line) => line.err?.message)).to.include('cannot execute INSERT in a read-only transaction');
    expect((await server.request('GET', '/health/ready', { key: null })).status).to.equal(503);
    // An admin change says the database refuses writes, not that it "cannot be reached".
    const adminChange = await server.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { active: false } });
    expect(adminChange.status, adminChange.text).to.equal(503);
    expect(adminChange.body).to.deep.include({
      code: 'store_unavailable',
      message: 'Plugin configuration not changed: the ledger database refuses writes (read_only) to save the change; retry it later (GET the configuration first)',
      details: { plugin: 'payhost.dummy', channel: 'us-store', reason: 'read_only', store: 'postgres' },
    });
    const written = await pgc.asOwner(async (c) => (await c.query(`SELECT key FROM "${schema}".idempotency_keys WHERE key = $1`, [key])).rows);
    expect(written).to.deep.equal([]);

    // The database takes writes again: the role's new sessions are read-write. Its sessions still open stay
    // read-only (the setting is read at login): the server discards a connection that refused a write, so
    // readiness finds a new one without them being ended.
    await pgc.asOwner((c) => c.query(`ALTER ROLE "${role}" RESET default_transaction_read_only`));
    const ready = await readyUntil(server, 200);
    expect(ready.status, ready.text).to.equal(200);
    // Ended too (as a failover back would), so no idle read-only session is left for the payment.
    await pgc.asOwner(endSessions);
    expect((await readyUntil(server, 200)).status).to.equal(200);
    const paid = await server.request('POST', '/payments', { body, idempotencyKey: key });
    expect(paid.status, paid.text).to.equal(201);
    expect(paid.body.payment).to.include({ chargeStatus: 'fully-charged' });
    expect((await server.request('POST', '/payments', { body, idempotencyKey: key })).body.payment.id).to.equal(paid.body.payment.id);
    await pgc.asOwner(async (c) => {
      expect((await c.query(`SELECT id FROM "${schema}".payments`)).rows).to.have.length(2);
      expect((await c.query(`SELECT state FROM "${schema}".idempotency_keys WHERE key = $1`, [key])).rows).to.deep.equal([{ state: 'done' }]);
      expect((await c.query(`SELECT id FROM "${schema}".transactions WHERE state <> 'applied'`)).rows).to.deep.equal([]);
    });
  });
});
