import { createHash } from 'node:crypto';
import { ERROR_CODES, PayhostError, isPayhostError } from '@payhost/core';
import type { SqlConnection } from './driver.js';
import type { SqlLedgerStore } from './sql-store.js';

/**
 * A ledger table, its primary key, and the columns the database computes itself (triggers), each with the
 * condition (on row `t` of table `%T`) it must equal: those are not copied (the target's triggers compute them,
 * whatever the source holds) and checked against the condition instead of the source.
 */
interface LedgerTable {
  name: string;
  key: readonly string[];
  computed?: Readonly<Record<string, string>>;
}

/**
 * Migration 8's flag: an applied, successful refund_ongoing row no applied refund or refund_failed of the same payment
 * and gateway transaction settles. A source's flag can be stale (a refund and its settling row written at once without
 * the payment lock), which the target's triggers compute afresh: copied and digested, it failed every copy of that ledger.
 */
const REFUND_UNSETTLED = `t.kind = 'refund_ongoing' AND t.state = 'applied' AND t.is_success AND NOT EXISTS (SELECT 1 FROM %T s
  WHERE s.payment_id = t.payment_id AND s.state = 'applied' AND s.kind IN ('refund', 'refund_failed') AND s.gateway_transaction_id = t.gateway_transaction_id)`;

/**
 * The ledger's tables, parents before children (transactions reference payments), each with its
 * primary key, the order rows are read in. Every table the migrations create but payhost_migrations
 * belongs here: tests/store/copy-ledger.test.ts checks it against MIGRATIONS.
 */
const LEDGER_TABLES: readonly LedgerTable[] = [
  { name: 'payments', key: ['id'] },
  { name: 'transactions', key: ['id'], computed: { refund_unsettled: REFUND_UNSETTLED } },
  { name: 'idempotency_keys', key: ['key'] },
  { name: 'webhook_events', key: ['gateway', 'event_id'] },
  { name: 'customer_accounts', key: ['customer_id', 'channel', 'gateway'] },
  // Not the ledger, but the same database's: an operator moving to PostgreSQL keeps the admin's plugin changes.
  { name: 'plugin_settings', key: ['plugin', 'channel'] },
];

const DEFAULT_BATCH_SIZE = 500;
/** Postgres takes at most 65535 parameters per statement: a multi-row INSERT is cut to fit. */
const MAX_PARAMETERS = 65_535;
/** What format_type() prints for the ledger's column types: spliced into casts, so nothing else passes. */
const TYPE_NAME = /^[a-z][a-z0-9_ ]*(\(\d+(,\d+)?\))?(\[\])?$/;

export interface CopyLedgerOptions {
  /** Rows read and written per statement (default 500). */
  batchSize?: number;
  /** Called after each batch with the rows of `table` copied so far (once with 0 for an empty table). */
  onProgress?: (table: string, rows: number) => void;
}

export interface CopyReport {
  /** Rows copied, per table, in the order copied. */
  tables: Record<string, number>;
}

interface Column {
  name: string;
  /** format_type() of the column, e.g. `numeric`, `timestamp with time zone`. */
  type: string;
  /** The sequence that feeds the column (transactions.seq), or null. */
  sequence: string | null;
}

interface Side {
  schema: string;
  version: number;
  columns: Map<string, Column[]>;
}

/** A failure of the copy whose message is ours (never row contents): passed on as it is. */
class CopyFailure extends Error {
  override name = 'LedgerCopyError';
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Copies every row of `from`'s ledger into `to`'s, which must be empty and at the same schema
 * version. Values travel as text (`col::text`) and are cast back to the column's type, so numeric
 * scale, jsonb, timestamptz and transactions.seq arrive exactly. All of it runs in one transaction
 * of the target, verified before COMMIT (counts and a digest of every table; the columns the database
 * computes, not copied, against their definition): on any failure the target is left as it was. The
 * source is read in one REPEATABLE READ transaction: a consistent snapshot even while a server writes
 * to it (PostgreSQL).
 */
export async function copyLedger(from: SqlLedgerStore, to: SqlLedgerStore, options: CopyLedgerOptions = {}): Promise<CopyReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new PayhostError(ERROR_CODES.invalidInput, `ledger copy: batchSize must be a whole number of at least 1, not ${String(batchSize)}`);
  }
  // The same PGlite store would wait for itself forever (its sessions queue); a copy onto itself is never meant.
  if (from === to || from.driver === to.driver) {
    throw new PayhostError(ERROR_CODES.invalidInput, 'ledger copy: the source and the target are the same store');
  }
  const progress = { step: 'opening the target' };
  try {
    return await to.driver.session((target) =>
      inTransaction(target, 'BEGIN ISOLATION LEVEL READ COMMITTED', async () => {
        const targetSide = await describe(target);
        if (targetSide.version === 0) throw notMigrated('target');
        // Nobody else writes to the target until COMMIT: it is still empty when the copy lands.
        progress.step = 'locking the target';
        // Those it has: a target at an older version lacks later tables, and is refused (checkCompatible) with both versions.
        const present = LEDGER_TABLES.filter((t) => (targetSide.columns.get(t.name) ?? []).length > 0);
        await target.exec(`LOCK TABLE ${present.map((t) => `${ident(targetSide.schema)}.${ident(t.name)}`).join(', ')} IN EXCLUSIVE MODE`);
        progress.step = 'opening the source';
        const digests = await from.driver.session((source) =>
          inTransaction(source, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async () => {
            const sourceSide = await describe(source);
            checkCompatible(sourceSide, targetSide);
            progress.step = 'checking the target is empty';
            await refuseNonEmpty(target, targetSide.schema);
            const copied = new Map<string, TableDigest>();
            for (const table of LEDGER_TABLES) {
              copied.set(table.name, await copyTable(source, target, sourceSide, targetSide.schema, table, batchSize, options.onProgress, progress));
            }
            return copied;
          }),
        );
        progress.step = 'setting the target sequences';
        await advanceSequences(target, targetSide, digests);
        for (const table of LEDGER_TABLES) {
          progress.step = `verifying ${table.name}`;
          await verifyTable(target, targetSide, table, batchSize, digests.get(table.name)!);
        }
        progress.step = 'committing';
        return { tables: Object.fromEntries([...digests].map(([name, d]) => [name, d.rows])) };
      }),
    );
  } catch (error) {
    throw safeError(error, progress.step);
  }
}

/** BEGIN (as given), UTC ISO times, `fn`, COMMIT; ROLLBACK when anything throws. */
async function inTransaction<T>(connection: SqlConnection, begin: string, fn: () => Promise<T>): Promise<T> {
  await connection.exec(begin);
  let result: T;
  try {
    // Both sessions print timestamptz the same way, whatever each server's settings: the texts compare equal.
    await connection.exec("SET LOCAL TimeZone TO 'UTC'; SET LOCAL DateStyle TO 'ISO, YMD'");
    result = await fn();
  } catch (error) {
    await connection.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await connection.exec('COMMIT');
  return result;
}

/** The schema the store works in, its migration version and the ledger tables' columns. */
async function describe(connection: SqlConnection): Promise<Side> {
  const [row] = await connection.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = row?.schema;
  if (!schema) throw new CopyFailure('ledger copy: a store works in no schema (none on its search_path exists)');
  const [exists] = await connection.query<{ t: string | null }>('SELECT to_regclass($1::text)::text AS t', [`${ident(schema)}.payhost_migrations`]);
  let version = 0;
  if (exists?.t) {
    const [v] = await connection.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${ident(schema)}.payhost_migrations`);
    version = Number(v?.v ?? 0);
  }
  const columns = new Map<string, Column[]>();
  if (version === 0) return { schema, version, columns };
  for (const table of LEDGER_TABLES) {
    const found = await connection.query<{ name: string; type: string; sequence: string | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, pg_get_serial_sequence($3::text, a.attname) AS sequence
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1::text AND c.relname = $2::text AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [schema, table.name, `${ident(schema)}.${ident(table.name)}`],
    );
    for (const column of found) {
      if (!TYPE_NAME.test(column.type)) throw new CopyFailure(`ledger copy: ${table.name}.${column.name} has a type this copy does not handle (${column.type})`);
    }
    columns.set(table.name, found);
  }
  return { schema, version, columns };
}

/** Same migration version, same columns of the same types: otherwise a typed refusal, before anything is written. */
function checkCompatible(source: Side, target: Side): void {
  if (source.version === 0) throw notMigrated('source');
  if (source.version !== target.version) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `ledger copy: the source ledger is at schema version ${source.version} and the target at ${target.version}: ` +
        'migrate both to the same version first (`payhost ledger migrate`, or a store of one @payhost/store-postgres opened with migration), then copy',
      { sourceVersion: source.version, targetVersion: target.version },
    );
  }
  for (const table of LEDGER_TABLES) {
    const shape = (side: Side) => JSON.stringify((side.columns.get(table.name) ?? []).map((c) => [c.name, c.type]).sort());
    if (shape(source) !== shape(target) || shape(source) === '[]') {
      throw new PayhostError(
        ERROR_CODES.invalidConfiguration,
        `ledger copy: table ${table.name} has different columns in the source and the target (both at schema version ${source.version}): it was altered by hand`,
        { table: table.name },
      );
    }
  }
}

function notMigrated(which: 'source' | 'target'): PayhostError {
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `ledger copy: the ${which} ledger is not migrated (no payhost_migrations in its schema): open it with migrations first`,
    { ledger: which },
  );
}

async function refuseNonEmpty(target: SqlConnection, schema: string): Promise<void> {
  const counts: Record<string, number> = {};
  for (const table of LEDGER_TABLES) {
    const [row] = await target.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ident(schema)}.${ident(table.name)}`);
    const n = Number(row?.n ?? 0);
    if (n > 0) counts[table.name] = n;
  }
  const full = Object.entries(counts);
  if (full.length === 0) return;
  throw new PayhostError(
    ERROR_CODES.targetNotEmpty,
    `ledger copy: the target ledger is not empty (${full.map(([t, n]) => `${t}: ${n} row${n === 1 ? '' : 's'}`).join(', ')}); copy into a new data directory or schema`,
    { tables: counts },
  );
}

/** Rows and a digest of a table: the sum (mod 2^256) of each row's sha256, so the engines' sort orders need not agree. */
interface TableDigest {
  rows: number;
  sum: bigint;
}

const MOD = 1n << 256n;

function addRow(digest: TableDigest, values: ReadonlyArray<string | null>): void {
  digest.rows += 1;
  digest.sum = (digest.sum + BigInt(`0x${createHash('sha256').update(JSON.stringify(values)).digest('hex')}`)) % MOD;
}

/**
 * Reads `table` in primary-key order, `batchSize` rows at a time (keyset pagination), every value as
 * text; calls `onBatch` with each batch's rows (arrays in `columns` order).
 */
async function readTable(
  connection: SqlConnection,
  schema: string,
  table: LedgerTable,
  columns: readonly Column[],
  batchSize: number,
  onBatch: (rows: Array<Array<string | null>>) => Promise<void>,
): Promise<void> {
  const keyIndex = table.key.map((k) => {
    const i = columns.findIndex((c) => c.name === k);
    if (i < 0) throw new CopyFailure(`ledger copy: ${table.name} has no column ${k}`);
    return i;
  });
  const select = `SELECT ${columns.map((c, i) => `${ident(c.name)}::text AS c${i}`).join(', ')} FROM ${ident(schema)}.${ident(table.name)}`;
  const order = `ORDER BY ${table.key.map(ident).join(', ')} LIMIT ${batchSize}`;
  const after = `WHERE (${table.key.map(ident).join(', ')}) > (${keyIndex.map((i, n) => `$${n + 1}::text::${columns[i]!.type}`).join(', ')})`;
  let last: Array<string | null> | null = null;
  for (;;) {
    const result: Array<Record<string, string | null>> = last === null
      ? await connection.query(`${select} ${order}`)
      : await connection.query(`${select} ${after} ${order}`, keyIndex.map((i) => last![i]));
    const rows = result.map((row) => columns.map((_, i) => row[`c${i}`] ?? null));
    if (rows.length > 0) await onBatch(rows);
    if (rows.length < batchSize) return;
    last = rows[rows.length - 1]!;
  }
}

/** The columns copied and digested: all but those the database computes (LedgerTable.computed). */
function copiedColumns(side: Side, table: LedgerTable): Column[] {
  return side.columns.get(table.name)!.filter((c) => !Object.hasOwn(table.computed ?? {}, c.name));
}

async function copyTable(
  source: SqlConnection,
  target: SqlConnection,
  side: Side,
  targetSchema: string,
  table: LedgerTable,
  batchSize: number,
  onProgress: CopyLedgerOptions['onProgress'],
  progress: { step: string },
): Promise<TableDigest> {
  const columns = copiedColumns(side, table);
  const digest: TableDigest = { rows: 0, sum: 0n };
  const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const into = `INSERT INTO ${ident(targetSchema)}.${ident(table.name)} (${columns.map((c) => ident(c.name)).join(', ')}) VALUES `;
  const tuple = (row: number) => `(${columns.map((c, i) => `$${row * columns.length + i + 1}::text::${c.type}`).join(', ')})`;
  progress.step = `copying ${table.name}`;
  await readTable(source, side.schema, table, columns, batchSize, async (rows) => {
    for (let start = 0; start < rows.length; start += perInsert) {
      const chunk = rows.slice(start, start + perInsert);
      await target.query(into + chunk.map((_, r) => tuple(r)).join(', '), chunk.flat());
    }
    for (const row of rows) addRow(digest, row);
    onProgress?.(table.name, digest.rows);
  });
  if (digest.rows === 0) onProgress?.(table.name, 0);
  return digest;
}

/** Sequences (transactions.seq) continue after the highest copied value: new rows sort after the copied ones. */
async function advanceSequences(target: SqlConnection, side: Side, digests: Map<string, TableDigest>): Promise<void> {
  for (const table of LEDGER_TABLES) {
    if ((digests.get(table.name)?.rows ?? 0) === 0) continue;
    for (const column of side.columns.get(table.name)!) {
      if (column.sequence === null) continue;
      // setval is not undone by a ROLLBACK: a failed copy leaves the sequence ahead, which orders nothing wrongly.
      await target.query(`SELECT setval($1::text::regclass, (SELECT max(${ident(column.name)}) FROM ${ident(side.schema)}.${ident(table.name)}))`, [column.sequence]);
    }
  }
}

/** Re-reads what was written, inside the target transaction: the same rows as read from the source, or a throw (ROLLBACK). */
async function verifyTable(target: SqlConnection, side: Side, table: LedgerTable, batchSize: number, expected: TableDigest): Promise<void> {
  const digest: TableDigest = { rows: 0, sum: 0n };
  await readTable(target, side.schema, table, copiedColumns(side, table), batchSize, async (rows) => {
    for (const row of rows) addRow(digest, row);
  });
  if (digest.rows !== expected.rows || digest.sum !== expected.sum) {
    throw new CopyFailure(
      `ledger copy: verification failed: ${table.name} reads back ${digest.rows} rows ${digest.rows === expected.rows ? 'with other values than' : 'instead of'} the ${expected.rows} read from the source`,
    );
  }
  // The computed columns (the target's, at this version) hold what their definition says, on every row.
  const present = new Set(side.columns.get(table.name)!.map((c) => c.name));
  const name = `${ident(side.schema)}.${ident(table.name)}`;
  for (const [column, definition] of Object.entries(table.computed ?? {})) {
    if (!present.has(column)) continue;
    const [row] = await target.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${name} t WHERE t.${ident(column)} IS DISTINCT FROM (${definition.replaceAll('%T', name)})`,
    );
    const wrong = Number(row?.n ?? 0);
    if (wrong > 0) {
      throw new CopyFailure(`ledger copy: verification failed: ${table.name}.${column} is not what its definition says on ${wrong} row${wrong === 1 ? '' : 's'} of the target`);
    }
  }
}

/**
 * The error to report: ours and typed ones as they are; a database error by its SQLSTATE and what
 * Postgres says, except data exceptions (class 22), whose messages quote values. Never the driver's
 * `detail` ("Failing row contains ..."): row contents are card tokens, metadata, gateway answers.
 */
function safeError(error: unknown, step: string): Error {
  const rolledBack = 'nothing was written to the target';
  if (isPayhostError(error)) return error;
  if (error instanceof CopyFailure) return new CopyFailure(`${error.message}; ${rolledBack}`);
  const { code, message, constraint } = (error ?? {}) as { code?: unknown; message?: unknown; constraint?: unknown };
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
  const said = sqlstate?.startsWith('22') ? 'a value could not be converted' : typeof message === 'string' ? message : String(error);
  const where = typeof constraint === 'string' ? `, constraint ${constraint}` : '';
  return new CopyFailure(`ledger copy failed while ${step}: ${said}${sqlstate ? ` (SQLSTATE ${sqlstate}${where})` : ''}; ${rolledBack}`);
}
