import pg from 'pg';
import { pidAlive } from './owned-temp.js';

/**
 * What the PostgreSQL suites create carries the creating process's pid in its name: schemas and roles
 * `payhost_ledger_<pid>_…` (tests/ledger/support/postgres.ts), schemas `payhost_test_<pid>_…` and databases
 * `payhost_rr_<pid>_…` (tests/store/postgres.test.ts). A suite drops its own in `after`; a run killed before
 * then (a signal, a crash) leaves them. Each process, before its first PostgreSQL suite, drops those whose
 * pid is not a running process: never another live run's (several may share the server), and best effort
 * (two runs sweeping at once may race on one drop: the loser leaves it to the next).
 */

const PID = /^payhost_(?:ledger|test|rr)_(\d+)_/;
const dead = (name: string) => {
  const pid = Number(PID.exec(name)?.[1] ?? NaN);
  return Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid);
};
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

let swept: Promise<void> | undefined;

/** Once per process: drops the schemas, roles and databases of dead test runs on `url`'s server. */
export function removeStaleTestObjects(url: string): Promise<void> {
  swept ??= sweep(url);
  return swept;
}

async function sweep(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const attempt = async (sql: string) => {
    try {
      await client.query(sql);
    } catch {
      // Best effort: another run dropping it at the same time, or still in use; the next sweep retries.
    }
  };
  try {
    const schemas = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname ~ '^payhost_(ledger|test)_[0-9]+_'`);
    for (const { name } of schemas.rows.filter((r) => dead(r.name))) await attempt(`DROP SCHEMA IF EXISTS ${quote(name)} CASCADE`);
    const roles = await client.query<{ name: string }>(`SELECT rolname AS name FROM pg_roles WHERE rolname ~ '^payhost_ledger_[0-9]+_'`);
    for (const { name } of roles.rows.filter((r) => dead(r.name))) await attempt(`DROP OWNED BY ${quote(name)}; DROP ROLE IF EXISTS ${quote(name)}`);
    const databases = await client.query<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE datname ~ '^payhost_rr_[0-9]+_'`);
    for (const { name } of databases.rows.filter((r) => dead(r.name))) await attempt(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
