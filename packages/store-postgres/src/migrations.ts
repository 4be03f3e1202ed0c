import { ERROR_CODES, PayhostError, isPayhostError } from '@payhost/core';
import { DEFAULT_MIGRATION_TIMEOUT_MS } from './deadline.js';
import { inTransaction, quoteSchema, type SqlConnection, type SqlDriver } from './driver.js';
import { isConnectionFailure, QueryTimeoutError, unavailableIfRefused } from './unavailable.js';

/**
 * The schema, as an ordered list of migrations: version N is `MIGRATIONS[N - 1]`.
 * Never edit a released migration; append a new one. Each is applied in its
 * own transaction and recorded in `payhost_migrations`.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the ledger.
  `
  CREATE TABLE payments (
    id text PRIMARY KEY,
    channel text NOT NULL,
    gateway text NOT NULL,
    charge_status text NOT NULL,
    total numeric NOT NULL,
    authorized_amount numeric NOT NULL,
    captured_amount numeric NOT NULL,
    currency text NOT NULL,
    customer_id text,
    customer_email text,
    token text,
    psp_reference text,
    to_confirm boolean NOT NULL,
    is_active boolean NOT NULL,
    store_payment_method boolean NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL
  );
  CREATE INDEX payments_psp_reference_idx ON payments (gateway, psp_reference) WHERE psp_reference IS NOT NULL;

  CREATE TABLE transactions (
    id text PRIMARY KEY,
    seq bigserial NOT NULL,
    payment_id text NOT NULL REFERENCES payments (id),
    kind text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'applied', 'review')),
    is_success boolean NOT NULL,
    action_required boolean NOT NULL,
    action_required_data jsonb,
    amount numeric NOT NULL,
    currency text NOT NULL,
    error_code text,
    error text,
    gateway_transaction_id text,
    psp_reference text,
    customer_id text,
    raw_response jsonb,
    idempotency_key text,
    gateway_idempotency_key text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE INDEX transactions_payment_idx ON transactions (payment_id, created_at, seq);
  CREATE INDEX transactions_pending_idx ON transactions (created_at, seq) WHERE state = 'pending';

  CREATE TABLE idempotency_keys (
    key text PRIMARY KEY,
    request_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );

  CREATE TABLE webhook_events (
    gateway text NOT NULL,
    event_id text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (gateway, event_id)
  );

  CREATE TABLE customer_accounts (
    customer_id text NOT NULL,
    channel text NOT NULL,
    gateway text NOT NULL,
    gateway_customer_id text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (customer_id, channel, gateway)
  );
  `,
  // 2: reconciliation also revisits transactions held for review.
  `
  CREATE INDEX transactions_unresolved_idx ON transactions (created_at, seq) WHERE state IN ('pending', 'review');
  `,
  // 3: the caller's gateway data of each operation, sent again by reconciliation.
  `
  ALTER TABLE transactions ADD COLUMN request_data jsonb;
  `,
  // 4: plugin settings saved by the admin API, shared by every instance on the database (plugin-settings.ts).
  `
  CREATE TABLE plugin_settings (
    plugin text NOT NULL,
    channel text NOT NULL,
    settings jsonb,
    revision bigint NOT NULL UNIQUE,
    saved_at timestamptz NOT NULL,
    PRIMARY KEY (plugin, channel)
  );
  `,
  // 5: refunds the processor has not finished, listed for review and reconciliation (listUnsettledRefunds).
  `
  CREATE INDEX transactions_refund_ongoing_idx ON transactions (created_at, seq) WHERE kind = 'refund_ongoing' AND state = 'applied';
  `,
  // 6: charges the processor answered pending, asked about by reconciliation (listUnsettledPendingCharges).
  `
  CREATE INDEX transactions_pending_charge_idx ON transactions (created_at, seq) WHERE kind = 'pending' AND state = 'applied';
  `,
  // 7: the rows that settle a refund, and the payments still pending, so that listUnsettledRefunds' NOT EXISTS and
  // listUnsettledPendingCharges' EXISTS read an index of those rows instead of scanning every transaction or payment.
  `
  CREATE INDEX transactions_refund_settled_idx ON transactions (payment_id, gateway_transaction_id) WHERE kind IN ('refund', 'refund_failed') AND state = 'applied';
  CREATE INDEX payments_charge_pending_idx ON payments (id) WHERE charge_status = 'pending';
  `,
  // 8: refunds still unsettled flagged on their refund_ongoing row (refund_unsettled), so listUnsettledRefunds reads
  // those alone and not every refund ever settled (the ongoing row stays when a settling row is added). The
  // database keeps the flag in step in the writing transaction, exactly for writes that lock the payment first (the
  // store's; SQL by hand should too): a refund_ongoing row's flag is computed as it is written; a row that starts or stops settling
  // (applied refund or refund_failed of the same payment and gateway transaction) has the ongoing rows it answers
  // written again, which recomputes theirs. Flags set before this migration: the unsettled refunds of that time.
  `
  ALTER TABLE transactions ADD COLUMN refund_unsettled boolean NOT NULL DEFAULT false;
  UPDATE transactions t SET refund_unsettled = true
  WHERE t.kind = 'refund_ongoing' AND t.state = 'applied' AND t.is_success
    AND NOT EXISTS (SELECT 1 FROM transactions s WHERE s.payment_id = t.payment_id AND s.state = 'applied'
      AND s.kind IN ('refund', 'refund_failed') AND s.gateway_transaction_id = t.gateway_transaction_id);
  CREATE INDEX transactions_refund_unsettled_idx ON transactions (created_at, seq) WHERE refund_unsettled;

  -- The table by its own schema (not the search_path's): a session whose search_path names another schema writes here too.
  CREATE FUNCTION payhost_refund_unsettled() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE settled boolean := false;
  BEGIN
    IF NEW.kind = 'refund_ongoing' AND NEW.state = 'applied' AND NEW.is_success AND NEW.gateway_transaction_id IS NOT NULL THEN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I s WHERE s.payment_id = $1 AND s.state = ''applied'' '
          'AND s.kind IN (''refund'', ''refund_failed'') AND s.gateway_transaction_id = $2 AND s.id <> $3)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO settled USING NEW.payment_id, NEW.gateway_transaction_id, NEW.id;
    END IF;
    NEW.refund_unsettled := NEW.kind = 'refund_ongoing' AND NEW.state = 'applied' AND NEW.is_success AND NOT settled;
    RETURN NEW;
  END $$;
  CREATE TRIGGER transactions_refund_unsettled BEFORE INSERT OR UPDATE ON transactions
    FOR EACH ROW WHEN (NEW.kind = 'refund_ongoing' OR NEW.refund_unsettled) EXECUTE FUNCTION payhost_refund_unsettled();

  CREATE FUNCTION payhost_refund_settles() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.state = 'applied' AND OLD.kind IN ('refund', 'refund_failed') AND OLD.gateway_transaction_id IS NOT NULL;
    now_settles boolean := TG_OP <> 'DELETE' AND NEW.state = 'applied' AND NEW.kind IN ('refund', 'refund_failed') AND NEW.gateway_transaction_id IS NOT NULL;
    same boolean := was AND now_settles AND OLD.payment_id = NEW.payment_id AND OLD.gateway_transaction_id = NEW.gateway_transaction_id;
    touch text := format('UPDATE %I.%I SET refund_unsettled = refund_unsettled WHERE payment_id = $1 AND gateway_transaction_id = $2 '
      'AND kind = ''refund_ongoing'' AND state = ''applied'' AND is_success AND refund_unsettled = $3', TG_TABLE_SCHEMA, TG_TABLE_NAME);
  BEGIN
    -- Written again, the ongoing rows recompute their flag (payhost_refund_unsettled): only those it may change.
    IF was AND NOT same THEN EXECUTE touch USING OLD.payment_id, OLD.gateway_transaction_id, false; END IF;
    IF now_settles AND NOT same THEN EXECUTE touch USING NEW.payment_id, NEW.gateway_transaction_id, true; END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER transactions_refund_settles_insert AFTER INSERT ON transactions
    FOR EACH ROW WHEN (NEW.kind IN ('refund', 'refund_failed')) EXECUTE FUNCTION payhost_refund_settles();
  CREATE TRIGGER transactions_refund_settles_update AFTER UPDATE ON transactions
    FOR EACH ROW WHEN (OLD.kind IN ('refund', 'refund_failed') OR NEW.kind IN ('refund', 'refund_failed')) EXECUTE FUNCTION payhost_refund_settles();
  CREATE TRIGGER transactions_refund_settles_delete AFTER DELETE ON transactions
    FOR EACH ROW WHEN (OLD.kind IN ('refund', 'refund_failed')) EXECUTE FUNCTION payhost_refund_settles();
  `,
  // 9: the addresses and the customer's IP address a payment was created with, sent in every PaymentData of it
  // (null: none given, and every payment made before this migration).
  `
  ALTER TABLE payments ADD COLUMN billing jsonb, ADD COLUMN shipping jsonb, ADD COLUMN customer_ip_address text;
  `,
];

export interface MigrateOptions {
  /** The schema the tables live in (created if missing); default: the connection's search_path. */
  schema?: string;
  /** The migrations to apply (tests); default `MIGRATIONS`. */
  migrations?: readonly string[];
  /**
   * How long each exchange of the run may wait for its answer, in ms (default 300000; 0: no bound): a
   * database that freezes during a migration fails the start (store_unavailable) instead of hanging it.
   * Waiting for another process's migration is not bounded by it (see lockMigrations).
   */
  migrationTimeoutMillis?: number;
}

/** The longest one attempt at the migration lock waits on the server before it is asked again. */
const LOCK_ATTEMPT_MS = 10_000;

/**
 * Takes the migration lock of `schema` in the transaction on `connection`, waiting as long as another
 * process migrates. With a bound on each exchange, one blocking wait could outlast it although the server
 * answers everything else: so each attempt waits at most a part of the bound on the server (lock_timeout,
 * in a savepoint, which the lock_not_available rolls back) and then asks again. A frozen server answers no
 * attempt, and the exchange bound ends the wait. Other processes see it waiting on the lock, as before.
 */
async function lockMigrations(connection: SqlConnection, schema: string, boundMs: number): Promise<void> {
  const key = [`payhost_migrations:${schema}`];
  const lock = 'SELECT pg_advisory_xact_lock(hashtext($1)::bigint)';
  if (boundMs === 0) {
    await connection.query(lock, key);
    return;
  }
  const [before] = await connection.query<{ value: string }>(`SELECT current_setting('lock_timeout') AS value`);
  const attemptMs = Math.max(1, Math.min(LOCK_ATTEMPT_MS, Math.floor(boundMs / 2)));
  for (;;) {
    await connection.exec(`SAVEPOINT payhost_migration_lock; SET LOCAL lock_timeout = ${attemptMs}`);
    try {
      await connection.query(lock, key);
    } catch (error) {
      if ((error as { code?: unknown }).code !== '55P03') throw error; // lock_not_available: its lock_timeout.
      await connection.exec('ROLLBACK TO SAVEPOINT payhost_migration_lock');
      continue;
    }
    // The migrations themselves wait for table locks as long as the server's lock_timeout lets them.
    await connection.exec('RELEASE SAVEPOINT payhost_migration_lock');
    await connection.query(`SELECT set_config('lock_timeout', $1, true)`, [before?.value ?? '0']);
    // When the bound gives up on a migration it closes the connection; without this the server would go on
    // with the statement (a long ALTER on a large table) holding its locks until it ends. PostgreSQL 14+ checks
    // every second whether the client is gone and then rolls back; older servers have no such setting.
    await connection.query(
      `SELECT set_config('client_connection_check_interval', '1000', true) WHERE current_setting('client_connection_check_interval', true) IS NOT NULL`,
    );
    return;
  }
}

/** What a migration run the database refused or cancelled (storeRefusal) left, and what to do. */
const MIGRATION_NOT_APPLIED = 'the pending migrations rolled back (the schema is as it was); start again once it has passed';

/** A migration exchange past its bound: store_unavailable naming the option, the driver's error as its cause. */
function migrationTimedOut(driverName: string, error: unknown): unknown {
  if (!isPayhostError(error, 'store_unavailable') || !((error as Error).cause instanceof QueryTimeoutError)) return error;
  const { timeoutMs } = (error as Error).cause as QueryTimeoutError;
  return new PayhostError(
    ERROR_CODES.storeUnavailable,
    `The ledger database (${driverName}) did not answer within ${timeoutMs} ms while migrating its schema (migrationTimeoutMillis): ` +
      `it stopped answering, or a migration step ran or waited for a table lock that long; ` +
      `the pending migrations were applied whole or not at all (a COMMIT that got no answer may have been). Check the ` +
      `database and start again; a migration that needs longer needs a larger migrationTimeoutMillis (0: no bound).`,
    { option: 'migrationTimeoutMillis', timeoutMs },
    { cause: (error as Error).cause },
  );
}

/**
 * A migration step the database refused (a SQLSTATE error: a role that does not own the tables, a table
 * altered by hand): invalid_configuration, details.reason `migration_failed`, naming the versions, the
 * role and the way out, the driver's error as its cause. Our own errors and a lost or silent connection
 * (store_unavailable) pass as they are. The run's transaction rolls back: the schema stays at `from`.
 */
function migrationFailed(driverName: string, error: unknown, at: { from: number; to: number; failed: number; role: string | null }): unknown {
  const sqlState = (error as { code?: unknown } | null)?.code;
  if (isPayhostError(error) || typeof sqlState !== 'string' || !/^[0-9A-Z]{5}$/.test(sqlState) || isConnectionFailure(error)) return error;
  // A state of the database that passes (read-only 25, resources 53, operator intervention 57 (a cancel,
  // statement_timeout), system 58), or contention (a lock_timeout 55P03, a serialization failure or deadlock,
  // class 40): store_unavailable (migrateSchema), not a failed migration.
  if (/^(25|40|53|57|58)/.test(sqlState) || sqlState === '55P03') return error;
  const reason = ((error as Error).message ?? String(error)).split('\n')[0]!.slice(0, 300);
  const role = at.role === null ? 'the connection\'s role' : `role ${JSON.stringify(at.role)}`;
  // 42501 insufficient_privilege ("must be owner of table ...", "permission denied for schema ..."): the usual cause.
  const remedy =
    sqlState === '42501'
      ? `Migrations create and alter tables, which needs the role that owns the schema and its tables: run \`payhost ledger migrate\` ` +
        'with DATABASE_URL naming that role (then start the servers as the application role again)'
      : 'Check the database (a table altered by hand?), then run `payhost ledger migrate` as the role that owns the schema';
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `${driverName} store: migrating the schema from version ${at.from} to ${at.to} as ${role} failed at migration ${at.failed}: ${reason} (SQLSTATE ${sqlState}). ` +
      `${remedy}. Nothing was changed: the schema is still at version ${at.from}.`,
    { reason: 'migration_failed', schemaVersion: at.from, supportedVersion: at.to, failedMigration: at.failed, role: at.role, sqlState },
    { cause: error },
  );
}

/**
 * Brings the schema up to the latest version, in one transaction holding a
 * Postgres advisory lock, so processes that start together apply each
 * migration once: the others wait, then find nothing left to do. The lock is
 * the transaction's own (released by its COMMIT or ROLLBACK): nothing outlives
 * the run on the server connection, also behind a pooler that gives every
 * transaction another one (PgBouncer's transaction mode), where a session
 * lock could be left held. A failing migration leaves the schema as it was
 * before the run. Returns the version.
 */
export async function runMigrations(driver: SqlDriver, options: MigrateOptions = {}): Promise<number> {
  return (await migrateSchema(driver, options)).to;
}

/** The schema version a migration run found (`from`, 0 for none) and left (`to`): equal when it had nothing to do. */
export interface MigrationResult {
  from: number;
  to: number;
}

/** `runMigrations`, answering the version found as well, read under the migration lock (what this run changed). */
export async function migrateSchema(driver: SqlDriver, options: MigrateOptions = {}): Promise<MigrationResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  // Not the driver's exchange bound: a schema change may take much longer than a payment's statement.
  const boundMs = options.migrationTimeoutMillis ?? DEFAULT_MIGRATION_TIMEOUT_MS;
  if (options.schema !== undefined) quoteSchema(options.schema); // A bad name is refused before anything runs.
  // Keyed by the schema migrated, not by how it was named: a store given `schema: 'public'` and
  // one without a schema on a `public` search_path migrate the same tables, so one waits for the other.
  return driver.session(async (connection) => {
    // On the session's connection, not inTransaction's: an attempt that timed out is no failure of the transaction.
    const lock = (schema: string) => lockMigrations(connection, schema, boundMs);
    if (options.schema !== undefined) {
      const named = options.schema;
      // Committed before the migrations start: a store reaching the schema by its search_path then finds
      // it, and waits for the same lock instead of finding no schema.
      await inTransaction(connection, async (tx) => {
        await lock(named);
        // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when
        // the schema exists, which a role given its own schema by a DBA (a managed database) does not have.
        const [exists] = await tx.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [named]);
        if (!exists) await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(named)}`);
      });
    }
    return inTransaction(connection, async (tx) => {
      const [current] = await tx.query<{ schema: string | null; role: string }>('SELECT current_schema() AS schema, current_user::text AS role');
      await lock(options.schema ?? current?.schema ?? '');
      // The tables go to the current schema: refuse to put them anywhere but the intended one.
      const [now] = await tx.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      const schema = now?.schema ?? null;
      if (options.schema !== undefined ? schema !== options.schema : schema === null) {
        throw new PayhostError(
          ERROR_CODES.invalidConfiguration,
          `${driver.name} store: the tables belong in ${options.schema !== undefined ? `schema "${options.schema}"` : "the search_path's schema"} but ` +
            `the connection would create them in ${schema === null ? 'no schema (none on its search_path exists)' : `schema "${schema}"`}: check its search_path`,
          { schema: options.schema ?? null, currentSchema: schema },
        );
      }
      // Only when missing: CREATE TABLE IF NOT EXISTS needs the CREATE privilege on the schema even when the
      // table exists, which an application role given only USAGE and the tables' rights (least privilege) lacks.
      const [table] = await tx.query<{ found: string | null }>("SELECT to_regclass(quote_ident(current_schema()) || '.payhost_migrations')::text AS found");
      if (!table?.found) {
        await tx.exec(
          `CREATE TABLE IF NOT EXISTS payhost_migrations (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
           )`,
        );
      }
      const [row] = await tx.query<{ version: number | null }>('SELECT max(version) AS version FROM payhost_migrations');
      let version = Number(row?.version ?? 0);
      if (version > migrations.length) {
        // A newer payhost migrated this database (a rollback of an upgrade): this version must not write to it.
        throw new PayhostError(
          ERROR_CODES.invalidConfiguration,
          `${driver.name} store: the database schema is at version ${version}, newer than this package's ${migrations.length}: upgrade @payhost/store-postgres (or use the payhost version that migrated it)`,
          // The same reason the server and the CLI give for a schema they will not migrate.
          { reason: 'schema_newer', schemaVersion: version, supportedVersion: migrations.length },
        );
      }
      const from = version;
      try {
        for (; version < migrations.length; version += 1) {
          await tx.exec(migrations[version]!);
          await tx.query('INSERT INTO payhost_migrations (version) VALUES ($1)', [version + 1]);
        }
      } catch (error) {
        throw migrationFailed(driver.name, error, { from, to: migrations.length, failed: version + 1, role: current?.role ?? null });
      }
      return { from, to: version };
    });
  }, { timeoutMs: boundMs }).catch((error: unknown) => {
    throw unavailableIfRefused(driver.name, migrationTimedOut(driver.name, error), MIGRATION_NOT_APPLIED);
  });
}
