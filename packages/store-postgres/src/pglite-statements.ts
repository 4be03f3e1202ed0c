import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { Row, SqlConnection, SqlStatement } from './driver.js';

/** Named statements kept per database; texts beyond this run unprepared (the ledger has about thirty). */
const MAX_PREPARED = 256;

interface Prepared {
  readonly name: string;
  /** The parameter types Postgres inferred, to serialize values as PGlite's own query() would. */
  readonly parameterTypes: readonly number[];
}

/** Postgres's "cached plan must not change result type" (0A000): a prepared statement's table was altered since. */
function isCachedPlanChange(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Adds the statement's text to a database error, as PGlite's query() does (never its parameters: they hold ledger data). */
function withQuery(error: unknown, text: string): unknown {
  if (error && typeof error === 'object' && !('query' in error)) Object.assign(error, { query: text });
  return error;
}

/**
 * Runs statements on PGlite with one protocol exchange each. PGlite's query()
 * sends Parse, Describe, Bind, Describe, Execute and Sync as six separate
 * calls into the WASM backend (~300 us of CPU per statement); here a
 * statement is parsed once under a name, and each run sends Bind, Describe,
 * Execute and Sync together (~4x cheaper). Results and errors are PGlite's
 * own (same type parsers, same DatabaseError).
 *
 * Callers must not overlap calls (the driver's session queue ensures it);
 * each exchange also takes PGlite's own query lock.
 */
export class PgliteStatements implements SqlConnection {
  private readonly prepared = new Map<string, Prepared>();
  /** Names are never reused, even if two statements were ever prepared at once. */
  private named = 0;

  constructor(private readonly db: PGlite) {}

  async query<R extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    const statement = this.prepared.get(text) ?? (await this.prepare(text));
    if (statement === null) return this.unprepared<R>(text, params);
    try {
      return await this.run<R>(statement, params);
    } catch (error) {
      if (isCachedPlanChange(error)) await this.forget(text, statement);
      throw withQuery(error, text);
    }
  }

  /**
   * Drops a statement whose table changed shape since it was prepared (a migration after it ran):
   * this run fails (inside a transaction, which the failure aborted, it cannot simply run again);
   * the next one prepares it anew.
   */
  private async forget(text: string, statement: Prepared): Promise<void> {
    this.prepared.delete(text);
    await this.exchange([protocol.serialize.close({ type: 'S', name: statement.name }), protocol.serialize.sync()]).catch(() => undefined);
  }

  private async run<R extends Row>(statement: Prepared, params: readonly unknown[]): Promise<R[]> {
    const values = params.map((value, i) => this.serialize(value, statement.parameterTypes[i]));
    const messages = await this.exchange([
      protocol.serialize.bind({ statement: statement.name, values }),
      protocol.serialize.describe({ type: 'P' }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    ]);
    const [result] = parse.parseResults(messages, this.db.parsers);
    return (result?.rows ?? []) as R[];
  }

  /**
   * The statements in one exchange: each one's Bind, Describe and Execute, then a single Sync. After a
   * failed statement the backend skips the rest up to the Sync, so none of those run (inside a
   * transaction, which the failure aborted; outside one, the group is one implicit transaction, all or
   * nothing). Statements that cannot be prepared (the cache is full) run one by one instead.
   */
  async pipeline(statements: readonly SqlStatement[]): Promise<Row[][]> {
    const prepared: Prepared[] = [];
    for (const { text } of statements) {
      const statement = this.prepared.get(text) ?? (await this.prepare(text));
      if (statement === null) return this.oneByOne(statements);
      prepared.push(statement);
    }
    const parts: Uint8Array[] = [];
    prepared.forEach((statement, i) => {
      const values = (statements[i]?.params ?? []).map((value, n) => this.serialize(value, statement.parameterTypes[n]));
      parts.push(protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.describe({ type: 'P' }), protocol.serialize.execute({}));
    });
    parts.push(protocol.serialize.sync());
    try {
      const messages = await this.exchange(parts);
      // One result per statement run (each ends with its CommandComplete).
      return parse.parseResults(messages, this.db.parsers).map((result) => (result.rows ?? []) as Row[]);
    } catch (error) {
      if (isCachedPlanChange(error)) for (const [i, statement] of prepared.entries()) await this.forget(statements[i]!.text, statement);
      throw withQuery(error, statements.map((s) => s.text).join(';\n'));
    }
  }

  private async oneByOne(statements: readonly SqlStatement[]): Promise<Row[][]> {
    const results: Row[][] = [];
    for (const { text, params } of statements) results.push(await this.query(text, params));
    return results;
  }

  /** Through PGlite's own query(), whose errors carry the parameters: those are dropped (they hold ledger data). */
  private async unprepared<R extends Row>(text: string, params: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.db.query<R>(text, [...params])).rows;
    } catch (error) {
      if (error && typeof error === 'object') delete (error as { params?: unknown }).params;
      throw error;
    }
  }

  /** One exchange with the backend: the messages, then their answers (a database error rejects). */
  private async exchange(parts: readonly Uint8Array[]) {
    const message = concat(parts);
    const { messages } = await this.db.runExclusive(() => this.db.execProtocol(message));
    return messages;
  }

  /** Statements without parameters, in one simple-protocol exchange (BEGIN, COMMIT, migrations). */
  async exec(sql: string): Promise<void> {
    try {
      await this.exchange([protocol.serialize.query(sql), protocol.serialize.sync()]);
    } catch (error) {
      throw withQuery(error, sql);
    }
  }

  /** Parses `text` once under a name; null when the cache is full (the statement then runs unprepared). */
  private async prepare(text: string): Promise<Prepared | null> {
    if (this.prepared.size >= MAX_PREPARED) return null;
    const name = `payhost_${++this.named}`;
    let messages;
    try {
      messages = await this.exchange([protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]);
    } catch (error) {
      throw withQuery(error, text);
    }
    const description = messages.find((m) => m.name === 'parameterDescription') as { dataTypeIDs?: number[] } | undefined;
    const statement: Prepared = { name, parameterTypes: description?.dataTypeIDs ?? [] };
    this.prepared.set(text, statement);
    return statement;
  }

  /** What PGlite's query() sends for a value: null, the type's serializer's text, or the value's own text. */
  private serialize(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = type === undefined ? undefined : this.db.serializers[type];
    return serializer ? serializer(value) : String(value);
  }
}
