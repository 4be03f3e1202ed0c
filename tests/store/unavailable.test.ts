import { expect } from 'chai';
import { isConnectionFailure } from '@payhost/store-postgres';

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
