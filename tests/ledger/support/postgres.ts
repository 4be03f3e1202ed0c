import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore } from '@payhost/store-postgres';
import { checkReachable, redact, testDatabaseUrl } from '../../support/postgres-url.js';

/**
 * The PostgreSQL ledger, store, server and CLI suites, as tests/store/postgres.test.ts: always
 * registered, against PAYHOST_TEST_DATABASE_URL or its default (tests/support/postgres-url.ts), and
 * FAILING, saying how to fix it, when the server is unreachable. Never a silent skip.
 */
export interface PostgresContext {
  url: string;
  /** A fresh schema name, dropped (CASCADE) after the suite. */
  newSchema(label: string): string;
  /** Runs `run` on a client of its own connected as `url`'s role (the one that migrates, so owns, the schemas), ended after. */
  asOwner<T>(run: (client: pg.Client) => Promise<T>): Promise<T>;
}

export function describePostgres(title: string, body: (pgc: PostgresContext) => void): void {
  const url = testDatabaseUrl();
  const schemas: string[] = [];
  const run = `payhost_ledger_${process.pid}_${randomBytes(3).toString('hex')}`;
  const context: PostgresContext = {
    url,
    newSchema(label) {
      const schema = `${run}_${label}`.slice(0, 63);
      schemas.push(schema);
      return schema;
    },
    async asOwner(run) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await run(client);
      } finally {
        await client.end();
      }
    },
  };
  describe(`${title} (PostgreSQL ${redact(url)})`, function () {
    this.timeout(120_000);
    let reachable = false;
    before(async () => {
      await checkReachable(url);
      reachable = true;
    });
    after(async () => {
      if (!reachable || schemas.length === 0) return;
      const admin = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1, connectionTimeoutMillis: 5_000 } });
      try {
        for (const schema of schemas) await admin.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      } finally {
        await admin.close();
      }
    });
    body(context);
  });
}
