import { expect } from 'chai';
import pg from 'pg';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { makePayment, makeTransaction, rejects } from '../../../tests/store/fixtures.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';

/**
 * PostgreSQL cancelling a statement of the store for a bound or a request of its own: the role's (here the
 * connection string's) lock_timeout while another session holds the payment row FOR UPDATE (55P03), its
 * statement_timeout or a pg_cancel_backend (57014), or a lock the migrations need held too long. Each is
 * store_unavailable (503 at the server, retry with the same key) with details.reason, not the driver's raw
 * error (a 500 internal_error); the transaction rolled back, and the connection is kept, not discarded.
 */
describePostgres('postgres store: a statement the database cancelled', (pgc) => {
  const schema = pgc.newSchema('cancelled');
  const stores: SqlLedgerStore[] = [];
  const clients: pg.Client[] = [];
  let paymentId: string;

  /** The test database's URL with `-c setting` startup options (as an operator would give them). */
  const withSettings = (settings: string) => {
    const url = new URL(pgc.url);
    url.searchParams.set('options', settings);
    return url.toString();
  };
  const open = async (url: string, options: { migrate?: boolean } = {}): Promise<SqlLedgerStore> => {
    const store = await createPostgresStore({ connectionString: url, schema, pool: { max: 1, connectionTimeoutMillis: 5_000 }, ...options });
    stores.push(store);
    return store;
  };
  /** A session of its own holding the payment row FOR UPDATE (as a concurrent apply step would), until the returned commit is called. */
  const holdPayment = async (id: string): Promise<() => Promise<void>> => {
    const client = new pg.Client({ connectionString: pgc.url });
    clients.push(client);
    await client.connect();
    await client.query('BEGIN');
    const held = await client.query(`SELECT id FROM "${schema}".payments WHERE id = $1 FOR UPDATE`, [id]);
    expect(held.rows).to.have.length(1);
    return async () => {
      await client.query('COMMIT');
    };
  };
  const backendPid = async (store: SqlLedgerStore): Promise<number> =>
    Number((await store.driver.session((c) => c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')))[0]?.pid);
  /** A write that first claims a key, then waits for the payment's row lock. */
  const claimThenLock = (store: SqlLedgerStore, key: string) =>
    store.transaction(async (tx) => {
      await tx.claimIdempotencyKey(key, 'hash', new Date());
      await tx.getPayment(paymentId, { forUpdate: true });
    });
  const expectCancelled = (error: unknown, reason: string, sqlstate: string) => {
    expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
    expect((error as PayhostError).details).to.deep.equal({ store: 'postgres', reason });
    expect((error as PayhostError).message).to.include(`(SQLSTATE ${sqlstate}): its transaction rolled back; retry later with the same idempotency key`);
    expect(((error as PayhostError).cause as { code?: string }).code).to.equal(sqlstate);
  };

  before(async () => {
    const owner = await open(pgc.url);
    const payment = makePayment();
    await owner.transaction((tx) => tx.insertPayment(payment));
    paymentId = payment.id;
  });
  after(async () => {
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
    for (const store of stores.splice(0)) await store.close();
  });

  it('lock_timeout (55P03) on a row another session holds: store_unavailable, reason lock_timeout; nothing written, the connection kept', async () => {
    const store = await open(withSettings('-c lock_timeout=300'), { migrate: false });
    const pid = await backendPid(store);
    const release = await holdPayment(paymentId);
    const key = `lock-timeout-${paymentId}`;
    const error = await rejects(claimThenLock(store, key));
    await release();
    expectCancelled(error, 'lock_timeout', '55P03');
    expect((error as PayhostError).message).to.include('waiting for a lock another session holds (lock_timeout)');
    // Rolled back: the key claimed before the wait is not there.
    expect(await store.getIdempotencyRecord(key)).to.equal(null);
    // Not discarded: the pool's one connection is the same backend, and it works.
    expect(await backendPid(store)).to.equal(pid);
    await claimThenLock(store, key);
    expect(await store.getIdempotencyRecord(key)).to.include({ state: 'in_flight' });
  });

  it('statement_timeout (57014): store_unavailable, reason statement_timeout, on a transaction and on a single statement', async () => {
    const store = await open(withSettings('-c statement_timeout=500'), { migrate: false });
    const release = await holdPayment(paymentId);
    const key = `statement-timeout-${paymentId}`;
    const error = await rejects(claimThenLock(store, key));
    await release();
    expectCancelled(error, 'statement_timeout', '57014');
    expect((error as PayhostError).message).to.include('cancelled a statement (statement_timeout, or a cancel request such as pg_cancel_backend)');
    expect(await store.getIdempotencyRecord(key)).to.equal(null);
    // A single statement (claimAndCreate: no BEGIN) waiting for a key another session inserted, not yet committed.
    const other = new pg.Client({ connectionString: pgc.url });
    clients.push(other);
    await other.connect();
    await other.query('BEGIN');
    const taken = `statement-timeout-single-${paymentId}`;
    await other.query(`INSERT INTO "${schema}".idempotency_keys (key, request_hash, state, created_at, updated_at) VALUES ($1, 'h', 'in_flight', now(), now())`, [taken]);
    const payment = makePayment();
    const single = await rejects(store.claimAndCreate({ key: taken, requestHash: 'hash', now: new Date() }, payment, makeTransaction(payment.id)));
    await other.query('ROLLBACK');
    expectCancelled(single, 'statement_timeout', '57014');
    expect(await store.getPayment(payment.id)).to.equal(null);
  });

  it('a cancel request (pg_cancel_backend) is 57014 too: store_unavailable, reason statement_timeout', async () => {
    const store = await open(pgc.url, { migrate: false });
    const pid = await backendPid(store);
    const release = await holdPayment(paymentId);
    const key = `cancel-${paymentId}`;
    const waiting = rejects(claimThenLock(store, key));
    const admin = clients[clients.length - 1]!;
    // Once the store's backend waits for the row lock (bounded polling), cancel its statement.
    let waits = false;
    for (let i = 0; i < 200 && !waits; i += 1) {
      waits = (await admin.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid])).rows.length > 0;
      if (!waits) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(waits, 'the store waits for the row lock').to.equal(true);
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    const error = await waiting;
    await release();
    expectCancelled(error, 'statement_timeout', '57014');
    expect(await store.getIdempotencyRecord(key)).to.equal(null);
  });

  it('the migrations: a lock they need held past lock_timeout is store_unavailable, reason lock_timeout, the schema as it was', async () => {
    const client = new pg.Client({ connectionString: pgc.url });
    clients.push(client);
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE "${schema}".payhost_migrations IN ACCESS EXCLUSIVE MODE`);
    const error = await rejects(open(withSettings('-c lock_timeout=300')));
    await client.query('COMMIT');
    expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
    expect((error as PayhostError).details).to.deep.equal({ store: 'postgres', reason: 'lock_timeout' });
    expect((error as PayhostError).message).to.include('(SQLSTATE 55P03): the pending migrations rolled back (the schema is as it was); start again once it has passed');
    // Released: the same store opens (the schema is current, nothing to migrate).
    await open(withSettings('-c lock_timeout=300'));
  });
});
