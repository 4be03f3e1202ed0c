import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { MIGRATIONS, QueryTimeoutError, createPostgresStore, runMigrations, type PostgresStoreOptions, type SqlLedgerStore } from '@payhost/store-postgres';
import { pause, rejects } from '../../../tests/store/fixtures.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { startStallingProxy, type StallingProxy } from './support/stalling-proxy.js';

/**
 * The migrations run at start-up have a bound of their own (migrationTimeoutMillis): a database that stops
 * answering during them fails the start instead of hanging it, while waiting for another instance's
 * migration (its advisory lock) is not cut short. Outcomes and the server's own view are asserted, not durations.
 */

/** Short, yet long enough for a busy test machine's database to answer what is not stalled. */
const BOUND_MS = 1000;

describe('postgres store: migrationTimeoutMillis', () => {
  for (const value of [-1, 1.5, '300000']) {
    it(`refuses ${JSON.stringify(value)} as invalid_configuration, naming the option, before connecting`, async () => {
      const error = await rejects(
        createPostgresStore({ connectionString: 'postgres://payhost@127.0.0.1:1/none', migrate: false, migrationTimeoutMillis: value as number }),
      );
      expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
      expect((error as PayhostError).details).to.deep.equal({ option: 'migrationTimeoutMillis' });
    });
  }
});

describePostgres('postgres store: migrations on a server that stops answering', (pgc) => {
  let proxy: StallingProxy;
  const stores: SqlLedgerStore[] = [];

  beforeEach(async () => {
    proxy = await startStallingProxy(pgc.url);
  });
  afterEach(async () => {
    proxy.resume();
    for (const store of stores.splice(0)) await store.close();
    await proxy.close();
  });

  async function open(url: string, options: Partial<PostgresStoreOptions>): Promise<SqlLedgerStore> {
    const store = await createPostgresStore({ connectionString: url, migrate: false, ...options });
    stores.push(store);
    return store;
  }

  it('fails a migration the server does not answer with store_unavailable naming migrationTimeoutMillis, and migrates once it answers', async () => {
    // The exchanges of requests keep their own, longer bound: only the migrations' applies.
    const store = await open(proxy.url, { schema: pgc.newSchema('migrate_stall'), migrationTimeoutMillis: BOUND_MS, queryTimeoutMillis: 600_000 });
    proxy.stall('both');
    const error = await rejects(store.migrate());
    expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
    expect((error as PayhostError).message).to.include(`within ${BOUND_MS} ms while migrating`).and.include('migrationTimeoutMillis');
    expect((error as PayhostError).details).to.deep.equal({ option: 'migrationTimeoutMillis', timeoutMs: BOUND_MS });
    expect((error as PayhostError).cause).to.be.instanceOf(QueryTimeoutError);
    await proxy.untilHeldDropped();
    proxy.resume();
    expect(await store.schemaVersion()).to.equal(0);
    await store.migrate();
    expect(await store.schemaVersion()).to.equal(MIGRATIONS.length);
  });

  it("waits longer than the bound for another instance's migration lock, then migrates", async () => {
    const schema = pgc.newSchema('migrate_wait');
    const tag = `wait_${randomBytes(4).toString('hex')}`;
    const store = await open(proxy.url, { schema, migrationTimeoutMillis: BOUND_MS, pool: { max: 1, application_name: tag } });
    // Another instance migrating: it holds the schema's migration lock (on the server directly, not stalled).
    const other = await open(pgc.url, { pool: { max: 2 } });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = other.driver.session(async (c) => {
      await c.exec('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1)::bigint)', [`payhost_migrations:${schema}`]);
      holding();
      await released;
      await c.exec('COMMIT');
    });
    try {
      await held;
      const migrating = store.migrate();
      migrating.catch(() => undefined);
      // The server's view: the store's session waits on the lock, attempt after attempt (each starts anew),
      // for more attempts than fit in the bound: it still waits, and has not failed.
      const attempts = new Set<string>();
      let failed: unknown;
      migrating.then(
        () => (failed = new Error('migrated while the lock was held')),
        (error: unknown) => (failed = error),
      );
      while (attempts.size < 4) {
        if (failed !== undefined) throw failed;
        const rows = await other.driver.session((c) =>
          c.query<{ started: string }>(
            `SELECT query_start::text AS started FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'`,
            [tag],
          ),
        );
        for (const row of rows) attempts.add(row.started);
        await pause(20);
      }
      release();
      await holder;
      await migrating;
      expect(await store.schemaVersion()).to.equal(MIGRATIONS.length);
    } finally {
      release();
      await holder.catch(() => undefined);
    }
  });

  it('a migration slower than the bound is rolled back by the server too, not left running with its locks', async () => {
    const schema = pgc.newSchema('migrate_slow');
    const tag = `slow_${randomBytes(4).toString('hex')}`;
    const store = await open(pgc.url, { schema, pool: { max: 1, application_name: tag } });
    const observer = await open(pgc.url, {});
    // A step that runs past the bound on a server that answers: the bound closes the connection.
    const error = await rejects(runMigrations(store.driver, { schema, migrations: ['SELECT pg_sleep(60)'], migrationTimeoutMillis: BOUND_MS }));
    expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
    // The server notices its client is gone (client_connection_check_interval) and ends the statement long
    // before its 60 s: the migration lock is free again, and the next run finds nothing applied.
    const running = () =>
      observer.driver.session((c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep(60)%'`, [tag]));
    for (let waited = 0; Number((await running())[0]?.n) > 0; waited += 100) {
      if (waited > 20_000) throw new Error('the timed-out migration still runs on the server');
      await pause(100);
    }
    expect(await runMigrations(store.driver, { schema, migrations: [], migrationTimeoutMillis: BOUND_MS })).to.equal(0);
  });
});
