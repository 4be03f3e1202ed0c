// The raw-SQL baseline of the ledger-lifecycles benchmark: records the
// statements one host lifecycle runs (per session, with their parameters) and
// replays them on a bare pg.Pool or a bare PGlite instance, with fresh UUIDs
// per lifecycle: the database work of a lifecycle without the host's code.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MIGRATIONS } from '@payhost/store-postgres';
// How the PGlite store runs a statement (prepared once, one protocol exchange per run): the fastest way
// there is, so the baseline is the database's own work.
import { PgliteStatements } from '../../../packages/store-postgres/dist/pglite-statements.js';

// The drivers @payhost/store-postgres itself uses.
const storeRequire = createRequire(fileURLToPath(import.meta.resolve('@payhost/store-postgres')));
const pg = storeRequire('pg');
const { PGlite } = await import(pathToFileURL(storeRequire.resolve('@electric-sql/pglite').replace(/\.cjs$/, '.js')).href);

/**
 * Wraps a SqlLedgerStore's driver so the statements of `fn` are recorded, per session. Statements the
 * store sent together (SqlConnection.pipeline: BEGIN with a first read, a last write with COMMIT)
 * share a `group` number, and are replayed together.
 */
export async function recordStatements(store, fn) {
  const driver = store.driver;
  const original = driver.session;
  const sessions = [];
  let groups = 0;
  driver.session = (work) =>
    original.call(driver, (connection) => {
      const statements = [];
      sessions.push(statements);
      const recorded = {
        query: (text, params) => {
          statements.push({ text, params: params ? [...params] : undefined });
          return connection.query(text, params);
        },
        exec: (sql) => {
          statements.push({ text: sql, exec: true });
          return connection.exec(sql);
        },
      };
      if (connection.pipeline) {
        recorded.pipeline = (list) => {
          const group = ++groups;
          for (const st of list) statements.push({ text: st.text, params: st.params ? [...st.params] : undefined, group });
          return connection.pipeline(list);
        };
      }
      return work(recorded);
    });
  try {
    await fn();
  } finally {
    driver.session = original;
  }
  return sessions;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A replayer of recorded sessions: fresh UUIDs for every lifecycle. */
export function replayer(sessions) {
  const ids = new Set();
  for (const s of sessions) for (const st of s) for (const p of st.params ?? []) if (typeof p === 'string') for (const m of p.match(UUID) ?? []) ids.add(m);
  const rename = (params, map) => params?.map((p) => (typeof p === 'string' ? p.replace(UUID, (m) => map.get(m) ?? m) : p));
  return {
    ids: ids.size,
    sessions: sessions.length,
    statements: sessions.reduce((n, s) => n + s.length, 0),
    /** Exchanges with the database: statements sent together count once. */
    roundTrips: sessions.reduce((n, s) => n + s.filter((st, i) => st.group === undefined || s[i - 1]?.group !== st.group).length, 0),
    transactions: sessions.filter((s) => s[0]?.text.startsWith('BEGIN')).length,
    /** `session(fn)` gives `fn` a connection ({ query(text, params), pipeline(statements) }) nobody else uses meanwhile. */
    async lifecycle(session) {
      const map = new Map([...ids].map((id) => [id, randomUUID()]));
      for (const statements of sessions) {
        await session(async (connection) => {
          for (let i = 0; i < statements.length; ) {
            const st = statements[i];
            let end = i + 1;
            while (st.group !== undefined && statements[end]?.group === st.group) end++;
            if (end - i > 1) await connection.pipeline(statements.slice(i, end).map((g) => ({ text: g.text, params: rename(g.params, map) })));
            else await connection.query(st.text, st.exec ? undefined : rename(st.params, map));
            i = end;
          }
        });
      }
      return map;
    },
    /** Replays once and checks the replayed payment ended where the host's did (a broken replay must not look fast). */
    async check(session) {
      const insert = sessions.flat().find((st) => st.text.startsWith('INSERT INTO payments'));
      const map = await this.lifecycle(session);
      const id = map.get(insert?.params?.[0]);
      const rows = await session(async (c) => {
        const result = await c.query('SELECT charge_status, captured_amount FROM payments WHERE id = $1', [id]);
        return result.rows ?? result;
      });
      const [row] = rows;
      if (row?.charge_status !== 'fully-refunded' || Number(row?.captured_amount) !== 0) {
        throw new Error(`raw replay broken: payment ${id} is ${JSON.stringify(row)}`);
      }
    },
  };
}

export function rawPostgres(url, schema, max) {
  // Pipelining clients, as the store's: statements it sent together are sent together here.
  const pool = new pg.Pool({ connectionString: url, max, options: `-c search_path="${schema}"`, pipeline: true });
  pool.on('error', () => undefined);
  return {
    session: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn({
          query: (text, params) => client.query(text, params),
          pipeline: async (list) => {
            const settled = await Promise.allSettled(list.map((st) => client.query(st.text, st.params)));
            const failed = settled.find((r) => r.status === 'rejected');
            if (failed) throw failed.reason;
            return settled.map((r) => r.value.rows);
          },
        });
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function rawPglite() {
  const db = await PGlite.create();
  for (const sql of MIGRATIONS) await db.exec(sql);
  const statements = new PgliteStatements(db);
  // One statement at a time, like the store's driver (a FIFO queue).
  let tail = Promise.resolve();
  return {
    session: (fn) => {
      const run = tail.then(() => fn({ query: (text, params) => statements.query(text, params), pipeline: (list) => statements.pipeline(list) }));
      tail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    close: () => db.close(),
  };
}
