import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore } from '@payhost/store-postgres';
import { checkReachable, redact, testDatabaseUrl } from '../../support/postgres-url.js';
import { removeStaleTestObjects } from '../../support/stale-postgres.js';

/**
 * The PostgreSQL ledger, store, server and CLI suites, as tests/store/postgres.test.ts: always
 * registered, against PAYHOST_TEST_DATABASE_URL or its default (tests/support/postgres-url.ts), and
 * FAILING, saying how to fix it, when the server is unreachable. Never a silent skip.
 */
export interface PostgresContext {
  url: string;
  /** A fresh schema name, dropped (CASCADE) after the suite, or by a later run if this one is killed first. */
  newSchema(label: string): string;
  /** Runs `run` on a client of its own connected as `url`'s role (the one that migrates, so owns, the schemas), ended after. */
  asOwner<T>(run: (client: pg.Client) => Promise<T>): Promise<T>;
  /** A fresh role name (not created here), with `url` for logging in as it; what it owns or was granted, and the role, are dropped after the suite. */
  newRole(label: string): { role: string; url: string };
  /** Creates `role` (LOGIN) as an application role with least privilege on `schema`: USAGE, the tables' rights and the sequences', owning nothing. */
  createAppRole(role: string, schema: string): Promise<void>;
}

export function describePostgres(title: string, body: (pgc: PostgresContext) => void): void {
  const url = testDatabaseUrl();
  const schemas: string[] = [];
  const roles: string[] = [];
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
    async createAppRole(role, schema) {
      await context.asOwner(async (c) => {
        await c.query(`CREATE ROLE "${role}" LOGIN`);
        await c.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
        await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
        await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`);
      });
    },
    newRole(label) {
      const role = `${run}_${label}`.slice(0, 63);
      roles.push(role);
      const asRole = new URL(url);
      asRole.username = role;
      asRole.password = '';
      return { role, url: asRole.toString() };
    },
  };
  describe(`${title} (PostgreSQL ${redact(url)})`, function () {
    this.timeout(120_000);
    let reachable = false;
    before(async () => {
      await checkReachable(url);
      reachable = true;
      // What a run killed before its `after` left (named with its dead pid): dropped here, once per process.
      await removeStaleTestObjects(url);
    });
    body(context);
    // Registered after the suite's own hooks, so it runs after them (they close what uses the schemas and roles).
    after(async () => {
      if (!reachable || schemas.length + roles.length === 0) return;
      const admin = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1, connectionTimeoutMillis: 5_000 } });
      try {
        for (const schema of schemas) await admin.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
        for (const role of roles) {
          const exists = await admin.driver.session((c) => c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]));
          if (exists.length === 0) continue;
          await admin.driver.session((c) => c.exec(`DROP OWNED BY "${role}"; DROP ROLE "${role}"`));
        }
      } finally {
        await admin.close();
      }
    });
  });
}
