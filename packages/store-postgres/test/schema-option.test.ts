import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPostgresStore, runMigrations, type SqlDriver } from '@payhost/store-postgres';
import { rejects } from '../../../tests/store/fixtures.js';

/**
 * Options refused before anything connects, as invalid_configuration naming the option and the rule. The
 * connection string points at a closed port: an option checked only by the server would fail as
 * store_unavailable (connection refused) instead.
 */
const NOWHERE = 'postgres://payhost@127.0.0.1:1/none';

describe('postgres store: refused options', () => {
  const cases: Array<[string, RegExp]> = [
    ['9review3', /starts with a letter or _ and holds only letters, digits and _, at most 63 characters/],
    ['review-3', /starts with a letter or _/],
    ['', /starts with a letter or _/],
    ['a'.repeat(64), /at most 63 characters/],
    // PostgreSQL's own refusal (unacceptable schema name, a DatabaseError) came only once connected.
    ['pg_review3', /names starting with pg_ are reserved by PostgreSQL/],
  ];
  for (const [schema, rule] of cases) {
    it(`refuses schema ${JSON.stringify(schema.length > 20 ? `${schema.slice(0, 8)}...(${schema.length})` : schema)} before connecting`, async () => {
      const error = await rejects(createPostgresStore({ connectionString: NOWHERE, schema }));
      expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
      expect((error as Error).message).to.include(`Invalid schema ${JSON.stringify(schema)} (the schema option)`).and.match(rule);
      expect((error as PayhostError).details).to.deep.equal({ option: 'schema', schema });
    });
  }

  it('takes a schema name in capitals or starting with _ (quoted, as it is), and pg without the underscore', async () => {
    for (const schema of ['Review3', '_review3', 'pgreview3', 'a'.repeat(63)]) {
      // Past the name's check: what fails is the connection to the closed port.
      const error = await rejects(createPostgresStore({ connectionString: NOWHERE, schema, migrate: false, pool: { connectionTimeoutMillis: 2000 } }).then((s) => s.ping()));
      expect(isPayhostError(error, 'store_unavailable'), `${schema}: ${String(error)}`).to.equal(true);
    }
  });

  it('refuses a reserved schema in runMigrations before it opens a session', async () => {
    let sessions = 0;
    const driver: SqlDriver = {
      name: 'counting',
      session: async () => {
        sessions += 1;
        throw new Error('a session was opened');
      },
      close: async () => undefined,
    };
    const error = await rejects(runMigrations(driver, { schema: 'pg_review3' }));
    expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
    expect((error as PayhostError).details).to.deep.equal({ option: 'schema', schema: 'pg_review3' });
    expect(sessions).to.equal(0);
  });

  it('refuses a missing connection string (none given, DATABASE_URL unset) as invalid_configuration', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const error = await rejects(createPostgresStore({}));
      expect(isPayhostError(error, 'invalid_configuration'), String(error)).to.equal(true);
      expect((error as Error).message).to.equal('postgres store: no connectionString given and DATABASE_URL is not set');
      expect((error as PayhostError).details).to.deep.equal({ option: 'connectionString', reason: 'missing' });
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});
