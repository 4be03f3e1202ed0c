import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { rejects } from '../../../tests/store/fixtures.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';

/**
 * close() on a PostgreSQL store while calls wait for a pooled connection: pg-pool never settles a waiter once
 * it is ending, so before, those calls stayed pending forever (a job queue awaiting them hung, a top-level
 * await exited 13). Now the calls running finish, the waiting ones reject with the store's closed error, and
 * close() resolves once the running ones are done.
 */

/** How long a call may take to settle once it should have: far above a loaded machine's few ms. */
const SETTLE_MS = 2000;

type Outcome = { status: 'ok' } | { status: 'rejected'; error: unknown } | { status: 'pending' };

/** What `promise` came to within SETTLE_MS (pending when it did not settle). */
async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), SETTLE_MS);
  });
  try {
    return await Promise.race([
      promise.then(
        (): Outcome => ({ status: 'ok' }),
        (error: unknown): Outcome => ({ status: 'rejected', error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function expectClosed(error: unknown, what: string): void {
  expect(isPayhostError(error, 'store_unavailable'), `${what}: ${String(error)}`).to.equal(true);
  expect((error as PayhostError).details, what).to.include({ reason: 'closed' });
  expect((error as Error).message, what).to.match(/ is closed/);
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describePostgres('postgres store: close() while calls wait for a connection', (pgc) => {
  const stores: SqlLedgerStore[] = [];
  /** Lets held transactions end when a test failed midway (their locks would hold up the schema's drop). */
  let openGate = () => undefined as void;
  afterEach(async () => {
    openGate();
    for (const store of stores.splice(0)) await store.close();
  });

  it('lets the running transactions finish, rejects the waiting ones store_unavailable (closed), and resolves', async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('close_wait'), pool: { max: 2 } });
    stores.push(store);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    openGate = open;
    let started = 0;
    let ran = 0;
    const calls = Array.from({ length: 6 }, () =>
      store.transaction(async (tx) => {
        ran += 1;
        await tx.getPayment('missing');
        started += 1;
        await gate;
      }),
    );
    // Both connections are held; the other four calls wait for one.
    while (started < 2) await tick(10);
    await tick(50);
    const closing = store.close();
    let closed = false;
    void closing.then(() => (closed = true));

    const waiting = await Promise.all(calls.slice(2).map(outcome));
    expect(waiting.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'rejected', 'rejected']);
    waiting.forEach((o, i) => expectClosed((o as { error: unknown }).error, `waiting call ${i}`));
    expect(ran, 'transaction functions that ran').to.equal(2);
    expect(closed, 'close() resolved while transactions still ran').to.equal(false);

    open();
    expect((await Promise.all(calls.slice(0, 2).map(outcome))).map((o) => o.status)).to.deep.equal(['ok', 'ok']);
    expect((await outcome(closing)).status, 'close()').to.equal('ok');

    // A call after close is refused the same way, by the store and by its driver alike.
    expectClosed(await rejects(store.transaction(async () => undefined)), 'transaction after close');
    expectClosed(await rejects(store.driver.session(async () => undefined)), 'driver session after close');
  });

  it('rejects a call whose new connection is still being opened, and closes that connection when it arrives', async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('close_opening'), pool: { max: 2, idleTimeoutMillis: 1 } });
    stores.push(store);
    // No idle connection: the call's session opens a new one, and close() comes before it is open.
    while ((store.driver as unknown as { pool: { totalCount: number } }).pool.totalCount > 0) await tick(10);
    let ran = false;
    const call = store.transaction(async (tx) => {
      ran = true;
      await tx.getPayment('missing');
    });
    await Promise.resolve();
    const closing = store.close();
    const settled = await outcome(call);
    expect(settled.status).to.equal('rejected');
    expectClosed((settled as { error: unknown }).error, 'the call');
    expect(ran, 'the transaction function ran').to.equal(false);
    // The ending pool resolves only once the late connection was handed back and closed.
    expect((await outcome(closing)).status, 'close()').to.equal('ok');
  });
});
