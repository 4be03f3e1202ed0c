import { expect } from 'chai';
import pg from 'pg';
import { isPayhostError, silentLogger, type PayhostError } from '@payhost/core';
import { createServer, parseServerConfig } from '@payhost/server';
import { createPostgresStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { fixturesDir, testConfigDocument } from './support/harness.js';
import { waitForLockWaiter } from '../../../tests/support/lock-waits.js';

/**
 * server.databaseMigrationTimeoutMs bounds the start-up migrations (the store's migrationTimeoutMillis):
 * a database that does not answer them in time fails the start with store_unavailable naming the server's
 * setting, the one an operator can change. "Does not answer" here: another session holds the migrations
 * table locked, so the migration's first read of it waits on the server.
 */
describePostgres('server: start-up migrations past server.databaseMigrationTimeoutMs', (pgc) => {
  it('fail the start with store_unavailable naming server.databaseMigrationTimeoutMs; 0 waits', async () => {
    const schema = pgc.newSchema('migration_bound');
    await (await createPostgresStore({ connectionString: pgc.url, schema })).close();
    const holder = new pg.Client({ connectionString: pgc.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${schema}.payhost_migrations IN ACCESS EXCLUSIVE MODE`);
      const config = (timeoutMs: number) => {
        const document = testConfigDocument();
        document['server'] = { ...(document['server'] as object), databaseSchema: schema, databaseMigrationTimeoutMs: timeoutMs };
        return parseServerConfig(document, fixturesDir, { DATABASE_URL: pgc.url });
      };

      const error = await createServer(config(1000), { logger: silentLogger() }).then(
        async (server) => {
          await server.close();
          return null;
        },
        (err: unknown) => err,
      );
      expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
      expect((error as PayhostError).message).to.include('server.databaseMigrationTimeoutMs').and.not.include('migrationTimeoutMillis');
      expect((error as PayhostError).details).to.deep.include({ option: 'server.databaseMigrationTimeoutMs', timeoutMs: 1000 });

      // Unbounded (0), the start waits for the table, and goes on once it is free.
      const starting = createServer(config(0), { logger: silentLogger() });
      let started = false;
      void starting.then(() => (started = true), () => undefined);
      await waitForLockWaiter((sql, params) => holder.query(sql, params).then((r) => r.rows), schema, 'the starting server (its migration)');
      expect(started).to.equal(false);
      await holder.query('COMMIT');
      await (await starting).close();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});
