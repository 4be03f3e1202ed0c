import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, isPayhostError } from '@payhost/core';
import { MIGRATIONS, createPostgresStore, runMigrations, type SqlLedgerStore } from '@payhost/store-postgres';
import { describeLedgerStoreConformance } from './conformance.js';
import { makePayment, pause, signal } from './fixtures.js';
import { untilBlocked } from '../support/lock-waits.js';
import { checkReachable, redact, testDatabaseUrl } from '../support/postgres-url.js';
import { removeStaleTestObjects } from '../support/stale-postgres.js';

/**
 * The PostgreSQL server suite. It always runs: against PAYHOST_TEST_DATABASE_URL or, unset, the
 * server the README's machine setup (and .ci/run) has at the default (tests/support/postgres-url.ts).
 * It FAILS, saying how to fix it, when the server is unreachable: never a silent skip.
 */
const url = testDatabaseUrl();
const runSchema = `payhost_test_${process.pid}_${randomBytes(4).toString('hex')}`;
const open = (schema: string, migrate = true) => createPostgresStore({ connectionString: url, schema, migrate, pool: { max: 12 } });

describe(`PostgreSQL server store (${redact(url)}, schema ${runSchema})`, function () {
  this.timeout(60_000);
  let admin: SqlLedgerStore | undefined;
  let reachable = false;
  const schemas: string[] = [runSchema];

  before(async () => {
    await checkReachable(url);
    // What a run killed before its `after` left (named with its dead pid): dropped here, once per process.
    await removeStaleTestObjects(url);
    admin = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 2, connectionTimeoutMillis: 5_000 } });
    reachable = true;
  });

  after(async () => {
    if (!admin || !reachable) return;
    for (const schema of schemas) await admin.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await admin.close();
  });

  describeLedgerStoreConformance('PostgreSQL server', () => open(runSchema));

  it('migrates concurrently from several store instances, applying each migration once', async () => {
    const schema = `${runSchema}_m`;
    schemas.push(schema);
    const stores = await Promise.all([1, 2, 3].map(() => open(schema, false)));
    try {
      expect(await stores[0]!.schemaVersion()).to.equal(0);
      await Promise.all(stores.map((s) => s.migrate()));
      for (const s of stores) expect(await s.schemaVersion()).to.equal(MIGRATIONS.length);
      await Promise.all(stores.map((s) => s.migrate()));
      const rows = await admin!.driver.session((c) => c.query(`SELECT version FROM "${schema}".payhost_migrations ORDER BY version`));
      expect(rows.map((r) => Number(r.version))).to.deep.equal(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migrates one schema once when one store names it and another reaches it by its search_path', async () => {
    const schema = `${runSchema}_same`;
    const gate = `${runSchema}_gate`;
    schemas.push(schema, gate);
    await admin!.driver.session((c) => c.exec(`CREATE SCHEMA "${gate}"; CREATE TABLE "${gate}".gate (id int)`));
    // One migration that waits at the gate: both stores are inside runMigrations at once.
    const migrations = [`LOCK TABLE "${gate}".gate IN SHARE MODE; CREATE TABLE only_once (id int);`];
    const tag = randomBytes(4).toString('hex');
    const named = await createPostgresStore({ connectionString: url, schema, migrate: false, pool: { max: 1, application_name: `named_${tag}` } });
    const byPath = new URL(url);
    byPath.searchParams.set('options', `-c search_path=${schema}`);
    const unnamed = await createPostgresStore({ connectionString: byPath.toString(), migrate: false, pool: { max: 1, application_name: `unnamed_${tag}` } });
    const holder = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1 } });
    const waiting = async (names: string[]) => {
      for (;;) {
        const rows = await admin!.driver.session((c) =>
          c.query(`SELECT application_name FROM pg_stat_activity WHERE application_name = ANY($1) AND wait_event_type = 'Lock'`, [names]),
        );
        if (rows.length === names.length) return;
        await pause(20);
      }
    };
    const closed = signal();
    const gateHeld = signal();
    const holding = holder.driver.session(async (c) => {
      await c.exec(`BEGIN; LOCK TABLE "${gate}".gate IN ACCESS EXCLUSIVE MODE`);
      gateHeld.resolve();
      await closed.promise;
      await c.exec('COMMIT');
    });
    try {
      await gateHeld.promise;
      const first = runMigrations(named.driver, { schema, migrations });
      first.catch(() => undefined);
      await waiting([`named_${tag}`]); // At the gate, inside its migration.
      const second = runMigrations(unnamed.driver, { migrations });
      second.catch(() => undefined);
      await waiting([`named_${tag}`, `unnamed_${tag}`]); // Waiting too: for the migration lock, or (unlocked) at the gate.
      closed.resolve();
      await holding;
      expect(await Promise.allSettled([first, second])).to.deep.equal([
        { status: 'fulfilled', value: 1 },
        { status: 'fulfilled', value: 1 },
      ]);
      const rows = await admin!.driver.session((c) => c.query(`SELECT version FROM "${schema}".payhost_migrations`));
      expect(rows.map((r) => Number(r.version))).to.deep.equal([1]);
    } finally {
      closed.resolve();
      await holding.catch(() => undefined);
      await Promise.all([named.close(), unnamed.close(), holder.close()]);
    }
  });

  it('locks rows across store instances (separate pools, as across processes)', async () => {
    const [a, b] = await Promise.all([open(runSchema), open(runSchema)]);
    try {
      const payment = makePayment();
      await a.transaction((tx) => tx.insertPayment(payment));
      const events: string[] = [];
      const locked = signal();
      const release = signal();
      const first = a.transaction(async (tx) => {
        await tx.getPayment(payment.id, { forUpdate: true });
        events.push('a locked');
        locked.resolve();
        await release.promise;
        events.push('a commits');
      });
      await locked.promise;
      const second = b.transaction(async (tx) => {
        await tx.getPayment(payment.id, { forUpdate: true });
        events.push('b locked');
      });
      await untilBlocked(a, 'b (locking the payment)');
      release.resolve();
      await Promise.all([first, second]);
      expect(events).to.deep.equal(['a locked', 'a commits', 'b locked']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps its locking on a database whose default isolation is REPEATABLE READ', async () => {
    const database = `payhost_rr_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin!.driver.session(async (c) => {
      await c.exec(`CREATE DATABASE "${database}"`);
      await c.exec(`ALTER DATABASE "${database}" SET default_transaction_isolation TO 'repeatable read'`);
    });
    const target = new URL(url);
    target.pathname = `/${database}`;
    const [a, b] = [await createPostgresStore({ connectionString: target.toString() }), await createPostgresStore({ connectionString: target.toString(), migrate: false })];
    try {
      const [setting] = await a.driver.session((c) => c.query('SHOW default_transaction_isolation'));
      expect(setting?.default_transaction_isolation).to.equal('repeatable read');
      // Increments through two pools: a second locker waits, then reads the first one's committed write.
      const payment = makePayment({ capturedAmount: new Decimal('0') });
      await a.transaction((tx) => tx.insertPayment(payment));
      const increments = [a, b, a, b, a, b].map((store) =>
        store.transaction(async (tx) => {
          const p = (await tx.getPayment(payment.id, { forUpdate: true }))!;
          await pause(5);
          return tx.updatePayment({ ...p, capturedAmount: p.capturedAmount.plus('1'), version: p.version + 1 }, p.version);
        }),
      );
      expect(await Promise.all(increments)).to.deep.equal(Array(6).fill(true));
      expect((await a.getPayment(payment.id))!.capturedAmount.toFixed()).to.equal('6');
      // A PSP reference claim waiting for another pool's transaction sees that transaction's payment.
      const holder = makePayment();
      const claimer = makePayment();
      await a.transaction(async (tx) => {
        await tx.insertPayment(holder);
        await tx.insertPayment(claimer);
      });
      const claimed = signal();
      const release = signal();
      const first = a.transaction(async (tx) => {
        expect(await tx.claimPspReference(holder.gateway, 'pi_rr', holder.id)).to.equal(null);
        claimed.resolve();
        await release.promise;
        await tx.updatePayment({ ...holder, pspReference: 'pi_rr', version: 2 }, 1);
      });
      await claimed.promise;
      const second = b.transaction((tx) => tx.claimPspReference(claimer.gateway, 'pi_rr', claimer.id));
      await untilBlocked(a, 'b (claiming the reference)');
      release.resolve();
      await first;
      expect(await second).to.equal(holder.id);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await admin!.driver.session((c) => c.exec(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    }
  });

  /** The test server's URL with `?options=...` (libpq startup options, e.g. `-c search_path=x`). */
  const withOptions = (options: string) => {
    const target = new URL(url);
    target.searchParams.set('options', options);
    return target.toString();
  };
  const tableIn = async (schema: string, table: string) => {
    const [row] = await admin!.driver.session((c) => c.query('SELECT to_regclass($1)::text AS t', [`"${schema}".${table}`]));
    return row?.t ?? null;
  };

  it('keeps its tables in `schema` when the connection string has ?options= of its own (one of them a search_path)', async () => {
    const schema = `${runSchema}_opt`;
    const decoy = `${runSchema}_decoy`;
    schemas.push(schema, decoy);
    await admin!.driver.session((c) => c.exec(`CREATE SCHEMA "${decoy}"`));
    const store = await createPostgresStore({
      connectionString: withOptions(`-c statement_timeout=31000 -c search_path=${decoy}`),
      schema,
      pool: { max: 3 },
    });
    try {
      const payment = makePayment();
      await store.transaction((tx) => tx.insertPayment(payment));
      // Every pooled connection, not only the first: three at once.
      const seen = await Promise.all(
        [1, 2, 3].map(() =>
          store.driver.session(async (c) => {
            const [row] = await c.query(`SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout, pg_sleep(0.05)`);
            return `${String(row?.schema)} ${String(row?.timeout)}`;
          }),
        ),
      );
      expect(seen).to.deep.equal(Array(3).fill(`${schema} 31s`)); // The URL's other options still apply.
      const rows = await admin!.driver.session((c) => c.query(`SELECT id FROM "${schema}".payments`));
      expect(rows.map((r) => r.id)).to.deep.equal([payment.id]);
      expect(await tableIn(decoy, 'payments')).to.equal(null);
      expect(await tableIn(decoy, 'payhost_migrations')).to.equal(null);
    } finally {
      await store.close();
    }
  });

  it('refuses to migrate (invalid_configuration) where the connection would put the tables in another schema', async () => {
    const schema = `${runSchema}_want`;
    const elsewhere = `${runSchema}_else`;
    schemas.push(schema, elsewhere);
    await admin!.driver.session((c) => c.exec(`CREATE SCHEMA "${elsewhere}"`));
    // A driver on `elsewhere`, asked to migrate `schema`.
    const store = await createPostgresStore({ connectionString: withOptions(`-c search_path=${elsewhere}`), migrate: false, pool: { max: 1 } });
    try {
      let error: unknown;
      try {
        await runMigrations(store.driver, { schema });
      } catch (e) {
        error = e;
      }
      expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
      expect((error as Error).message).to.include(`schema "${schema}"`).and.include(`schema "${elsewhere}"`);
      expect(await tableIn(elsewhere, 'payhost_migrations')).to.equal(null);
      expect(await tableIn(elsewhere, 'payments')).to.equal(null);
    } finally {
      await store.close();
    }
  });

  it('stores amounts in numeric columns and JSON in jsonb', async () => {
    const rows = await admin!.driver.session((c) =>
      c.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = $1 AND (data_type IN ('numeric', 'jsonb', 'double precision', 'real')
           OR column_name IN ('total', 'amount', 'captured_amount', 'authorized_amount'))
         ORDER BY table_name, column_name`,
        [runSchema],
      ),
    );
    expect(rows.map((r) => `${String(r.table_name)}.${String(r.column_name)}:${String(r.data_type)}`)).to.deep.equal([
      'idempotency_keys.response:jsonb',
      'payments.authorized_amount:numeric',
      'payments.billing:jsonb',
      'payments.captured_amount:numeric',
      'payments.metadata:jsonb',
      'payments.shipping:jsonb',
      'payments.total:numeric',
      'plugin_settings.settings:jsonb',
      'transactions.action_required_data:jsonb',
      'transactions.amount:numeric',
      'transactions.raw_response:jsonb',
      'transactions.request_data:jsonb',
    ]);
  });
});
