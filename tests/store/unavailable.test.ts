import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPgliteStore, isConnectionFailure, SqlLedgerStore, type SqlDriver } from '@payhost/store-postgres';

/** Which driver errors mean "the database is out of reach" (store_unavailable, 503) rather than a refused statement. */
describe('store-postgres: connection failures', () => {
  const codeError = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('recognizes refused, dropped and timed-out connections, the server shutting down, and too many connections', () => {
    const failures: unknown[] = [
      codeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      codeError('ECONNRESET'),
      codeError('ETIMEDOUT'),
      codeError('57P01', 'terminating connection due to administrator command'),
      codeError('57P03', 'the database system is starting up'),
      codeError('08006', 'connection failure'),
      codeError('53300', 'sorry, too many clients already'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      // Node's happy-eyeballs connect reports each address's failure in an AggregateError.
      new AggregateError([codeError('ECONNREFUSED'), codeError('ECONNREFUSED')], 'connect failed'),
      // Wrapped by the transaction runner.
      new Error('transaction aborted: a statement failed inside it', { cause: codeError('ECONNRESET') }),
    ];
    for (const error of failures) expect(isConnectionFailure(error), String(error)).to.equal(true);
  });

  it('does not take a statement the database refused for an outage', () => {
    const refused: unknown[] = [
      codeError('23505', 'duplicate key value violates unique constraint'),
      codeError('42P01', 'relation "payments" does not exist'),
      codeError('40001', 'could not serialize access due to concurrent update'),
      codeError('28P01', 'password authentication failed for user "payhost"'),
      new Error('boom'),
      'a string',
      null,
    ];
    for (const error of refused) expect(isConnectionFailure(error), String(error)).to.equal(false);
  });
});

/**
 * A database that answers but cannot take writes now, for a state of its own that passes (a read-only node
 * after a failover, a full disk, no memory, an I/O error): store_unavailable (503, retry with the same
 * idempotency key) with details.reason, not the statement's error (a 500 internal_error at the server).
 */
describe('store-postgres: a database refusing writes for a state of its own', () => {
  const codeError = (code: string, message = code) => Object.assign(new Error(message), { code });
  /** A store whose every session fails with `error` (a driver's own error, as pg and PGlite throw them). */
  const failingStore = (error: unknown, name = 'postgres') =>
    new SqlLedgerStore({ name, session: () => Promise.reject(error), close: async () => undefined } satisfies SqlDriver);
  const caught = async (run: Promise<unknown>): Promise<PayhostError> => {
    try {
      await run;
    } catch (error) {
      return error as PayhostError;
    }
    throw new Error('expected a failure');
  };
  const cases: Array<[string, string, string]> = [
    ['25006', 'cannot execute INSERT in a read-only transaction', 'read_only'],
    ['53100', 'could not extend file "base/5/16384": No space left on device', 'disk_full'],
    ['53200', 'out of memory', 'out_of_memory'],
    ['53400', 'temporary file size exceeds temp_file_limit (1024kB)', 'insufficient_resources'],
    ['58030', 'could not read block 0 in file "base/5/16384": Input/output error', 'io_error'],
    // Cancelled (the transaction rolled back): contention or a bound of the database's own.
    ['57014', 'canceling statement due to statement timeout', 'statement_timeout'],
    ['55P03', 'canceling statement due to lock timeout', 'lock_timeout'],
    ['40001', 'could not serialize access due to concurrent update', 'serialization_failure'],
    ['40P01', 'deadlock detected', 'deadlock_detected'],
  ];
  /** The SQLSTATEs whose message says the transaction rolled back (the others: the request cannot be recorded now). */
  const rolledBack = new Set(['57014', '55P03', '40001', '40P01']);

  it('is store_unavailable with details.reason and the retry advice, the driver error as its cause, from every kind of call', async () => {
    for (const [sqlstate, message, reason] of cases) {
      const driverError = codeError(sqlstate, message);
      const store = failingStore(driverError);
      const calls = [store.transaction(async () => undefined), store.getPayment('pay_1'), store.listPendingTransactions(), store.ping()];
      for (const call of calls) {
        const error = await caught(call);
        expect(isPayhostError(error, 'store_unavailable'), `${sqlstate}: ${String(error)}`).to.equal(true);
        expect(error.details, sqlstate).to.deep.equal({ store: 'postgres', reason });
        expect(error.message, sqlstate).to.include(`(SQLSTATE ${sqlstate})`).and.match(/retry later with the same idempotency key$/);
        expect(error.message, sqlstate).to.include(rolledBack.has(sqlstate) ? ': its transaction rolled back; ' : ': it cannot record the request now; ');
        expect(error.cause, sqlstate).to.equal(driverError);
      }
      // Not a connection failure: the postgres driver keeps the connection of a full disk or a cancelled statement (a read-only one it discards).
      expect(isConnectionFailure(driverError), sqlstate).to.equal(false);
    }
  });

  it('finds the state in a wrapped error too, and leaves a statement refused for itself (or too many clients) alone', async () => {
    const wrapped = new Error('transaction aborted', { cause: codeError('25006', 'cannot execute UPDATE in a read-only transaction') });
    expect((await caught(failingStore(wrapped, 'pglite').getPayment('pay_1'))).details).to.deep.equal({ store: 'pglite', reason: 'read_only' });
    for (const error of [codeError('23505', 'duplicate key value'), codeError('25P02', 'current transaction is aborted'), codeError('42501', 'permission denied for table payments'), codeError('55000', 'object not in prerequisite state')]) {
      expect(await caught(failingStore(error).getPayment('pay_1'))).to.equal(error);
    }
    // 53300 (too many clients) stays what it was: a connection failure, "cannot be reached", no reason.
    expect(isConnectionFailure(codeError('53300', 'sorry, too many clients already'))).to.equal(true);
  });

  it('readiness: a database in recovery or with transaction_read_only on is store_unavailable, reason read_only', async () => {
    const answering = (row: Record<string, unknown>) =>
      new SqlLedgerStore({ name: 'postgres', session: (fn) => fn({ query: async () => [row] as never[], exec: async () => undefined }), close: async () => undefined } satisfies SqlDriver);
    await answering({ in_recovery: false, read_only: 'off' }).ping();
    for (const [row, logged] of [
      [{ in_recovery: true, read_only: 'on' }, 'The database accepts no writes: pg_is_in_recovery() is true (a standby)'],
      [{ in_recovery: false, read_only: 'on' }, 'The database accepts no writes: transaction_read_only is on (default_transaction_read_only set for the server, database or role)'],
    ] as const) {
      const error = await caught(answering(row).ping());
      expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
      expect(error.details).to.deep.equal({ store: 'postgres', reason: 'read_only' });
      expect((error.cause as Error).message).to.equal(logged);
    }
  });

  it('PGlite surfaces the same SQLSTATE: a read-only session refuses a write and fails readiness with reason read_only', async () => {
    const store = await createPgliteStore();
    try {
      await store.ping();
      await store.driver.session((c) => c.exec('SET default_transaction_read_only = on'));
      const write = await caught(store.transaction((tx) => tx.claimIdempotencyKey('key-read-only', 'h', new Date())));
      expect(isPayhostError(write, 'store_unavailable'), String(write)).to.equal(true);
      expect(write.details).to.deep.equal({ store: 'pglite', reason: 'read_only' });
      expect((write.cause as { code?: string }).code).to.equal('25006');
      expect((await caught(store.ping())).details).to.deep.equal({ store: 'pglite', reason: 'read_only' });
      await store.driver.session((c) => c.exec('SET default_transaction_read_only = off'));
      await store.ping();
      expect(await store.transaction((tx) => tx.claimIdempotencyKey('key-read-only', 'h', new Date()))).to.deep.equal({ claimed: true });
    } finally {
      await store.close();
    }
  });
});
