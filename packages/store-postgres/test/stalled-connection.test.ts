import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPostgresStore, QueryTimeoutError, type PostgresStoreOptions, type SqlLedgerStore } from '@payhost/store-postgres';
import { makePayment, makeTransaction, rejects } from '../../../tests/store/fixtures.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { startStallingProxy, type StallingProxy } from './support/stalling-proxy.js';

/**
 * A PostgreSQL server that stops answering on connections already open (frozen, or behind a network path
 * that drops packets without resetting anything): each exchange waits at most queryTimeoutMillis, then
 * fails store_unavailable, and the connection it ran on is discarded, never handed out again. The stall is
 * a loopback proxy that holds the bytes instead of forwarding them. Outcomes are asserted, not durations.
 */

/** Short, yet long enough for a busy test machine's database to answer what is not stalled. */
const BOUND_MS = 1000;

function expectTimedOut(error: unknown): void {
  expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
  expect((error as PayhostError).cause).to.be.instanceOf(QueryTimeoutError);
}

describe('postgres store: exchange timeout options', () => {
  const open = (options: Partial<PostgresStoreOptions>) => createPostgresStore({ connectionString: 'postgres://payhost@127.0.0.1:1/none', migrate: false, ...options });

  for (const [name, options] of [
    ['a negative queryTimeoutMillis', { queryTimeoutMillis: -1 }],
    ['a fractional queryTimeoutMillis', { queryTimeoutMillis: 1.5 }],
    ['a pingTimeoutMillis that is not a number', { pingTimeoutMillis: '300' as unknown as number }],
    ["pg's own pool.query_timeout", { pool: { query_timeout: 1000 } as PostgresStoreOptions['pool'] }],
  ] as const) {
    it(`refuses ${name} as invalid_configuration, before connecting`, async () => {
      const error = await rejects(open(options));
      expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
    });
  }
});

describePostgres('postgres store: a server that stops answering', (pgc) => {
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

  async function open(label: string, options: Partial<PostgresStoreOptions>): Promise<SqlLedgerStore> {
    const store = await createPostgresStore({ connectionString: proxy.url, schema: pgc.newSchema(label), ...options });
    stores.push(store);
    return store;
  }

  const value = async (store: SqlLedgerStore, text: string): Promise<unknown> =>
    (await store.driver.session((c) => c.query<{ v: string }>('SELECT $1::text AS v', [text])))[0]?.v;

  for (const pipeline of [true, false]) {
    it(`fails a statement the server does not answer with store_unavailable, and never reuses its connection (pipeline ${pipeline})`, async () => {
      const store = await open(`stall_${pipeline}`, { queryTimeoutMillis: BOUND_MS, pool: { max: 1, pipeline } });
      expect(await value(store, 'before')).to.equal('before');
      const connections = proxy.accepted;

      // The server answers, the answer is held: it would arrive late, on resume.
      proxy.stall('answers');
      expectTimedOut(await rejects(value(store, 'late')));
      proxy.resume();

      // One connection at most (max 1): the next statement runs on a new one, and gets its own answer.
      expect(await value(store, 'after')).to.equal('after');
      expect(proxy.accepted).to.equal(connections + 1);
      expect(await value(store, 'again')).to.equal('again');
    });
  }

  it('fails a transaction whose statements never reach the server, and leaves none of it', async () => {
    const store = await open('stall_write', { queryTimeoutMillis: BOUND_MS });
    const payment = makePayment();
    proxy.stall('both');
    expectTimedOut(
      await rejects(
        store.transaction(async (tx) => {
          await tx.insertPayment(payment);
          await tx.insertTransaction(makeTransaction(payment.id));
        }),
      ),
    );
    // Held statements are dropped with the connection the store closed.
    await proxy.untilHeldDropped();
    proxy.resume();
    expect(await store.getPayment(payment.id)).to.equal(null);
    expect(await store.listTransactions(payment.id)).to.deep.equal([]);
  });

  // The outcome of a COMMIT whose answer never came is unknown to the caller: whichever it was, the ledger
  // holds all of the transaction or none of it. (Here the proxy decides: it drops a COMMIT held when the
  // store closes the connection, and forwards one when only the answers are held.)
  for (const [direction, committed] of [
    ['both', false],
    ['answers', true],
  ] as const) {
    it(`a COMMIT that gets no answer is store_unavailable; the ledger holds ${committed ? 'all' : 'none'} of the transaction (stalled: ${direction})`, async () => {
      const store = await open(`commit_${direction}`, { queryTimeoutMillis: BOUND_MS });
      const payment = makePayment();
      const pending = makeTransaction(payment.id);
        expectTimedOut(
        await rejects(
          store.transaction(async (tx) => {
            await tx.insertPayment(payment);
            await tx.insertTransaction(pending);
            proxy.stall(direction);
          }),
        ),
      );
      await proxy.untilHeldDropped();
      proxy.resume();
      expect((await store.getPayment(payment.id))?.id ?? null).to.equal(committed ? payment.id : null);
      expect((await store.listTransactions(payment.id)).map((t) => t.id)).to.deep.equal(committed ? [pending.id] : []);
    });
  }

  it('ping() (the readiness check) has its own, shorter bound', async () => {
    const store = await open('ping', { queryTimeoutMillis: 600_000, pingTimeoutMillis: BOUND_MS });
    await store.ping();
    proxy.stall('both');
    expectTimedOut(await rejects(store.ping()));
    proxy.resume();
    await store.ping();
  });

  it('queryTimeoutMillis 0 waits for a late answer instead of failing', async () => {
    const store = await open('unbounded', { queryTimeoutMillis: 0, pool: { max: 1 } });
    expect(await value(store, 'before')).to.equal('before');
    proxy.stall('answers');
    const late = value(store, 'late');
    // The answer is held at the proxy: the statement is waiting for it.
    while (proxy.heldAnswerBytes === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, BOUND_MS));
    proxy.resume();
    expect(await late).to.equal('late');
  });
});
