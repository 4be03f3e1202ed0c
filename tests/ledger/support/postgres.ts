import { randomBytes } from 'node:crypto';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';

/**
 * The PostgreSQL gate of the ledger suites, as in tests/store/postgres.test.ts:
 * with PAYHOST_TEST_DATABASE_URL set the suite runs and FAILS when the server
 * is unreachable; unset, it is not registered (a note says so), except in CI
 * where that is itself a failure.
 */
export const URL_VARIABLE = 'PAYHOST_TEST_DATABASE_URL';

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export interface PostgresContext {
  url: string;
  /** A fresh schema name, dropped (CASCADE) after the suite. */
  newSchema(label: string): string;
}

export function describePostgres(title: string, body: (pgc: PostgresContext) => void): void {
  const url = process.env[URL_VARIABLE];
  if (!url) {
    if (process.env.CI) {
      describe(`${title} (PostgreSQL)`, () => {
        it(`needs ${URL_VARIABLE} in CI`, () => {
          throw new Error(`${URL_VARIABLE} must be set in CI: the PostgreSQL ledger suites may not be skipped`);
        });
      });
    } else {
      console.warn(`[tests/ledger] ${title} on PostgreSQL NOT RUN: ${URL_VARIABLE} is not set.`);
    }
    return;
  }
  const schemas: string[] = [];
  const run = `payhost_ledger_${process.pid}_${randomBytes(3).toString('hex')}`;
  const context: PostgresContext = {
    url,
    newSchema(label) {
      const schema = `${run}_${label}`.slice(0, 63);
      schemas.push(schema);
      return schema;
    },
  };
  describe(`${title} (PostgreSQL ${redact(url)})`, function () {
    this.timeout(120_000);
    let reachable = false;
    before(async () => {
      let admin: SqlLedgerStore | undefined;
      try {
        admin = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1, connectionTimeoutMillis: 5_000 } });
        await admin.driver.session((c) => c.query('SELECT 1'));
        reachable = true;
      } catch (error) {
        throw new Error(`PostgreSQL server unreachable at ${redact(url)} (${URL_VARIABLE}): ${(error as Error).message}`, { cause: error });
      } finally {
        await admin?.close().catch(() => undefined);
      }
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
