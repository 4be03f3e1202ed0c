import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { checkReachable, testDatabaseUrl } from '../../../tests/support/postgres-url.js';
import { cli } from './support/run-cli.js';

/**
 * `payhost ledger migrate` on PostgreSQL without server.databaseSchema puts the tables in the connection's
 * default schema (public, on most servers): a warning names it, logged as the command's other warnings are
 * (a JSON line on stderr, warn level). Here the connection's default is this test's own schema (search_path in
 * the URL), so nothing lands in the test database's public schema.
 */
describe('cli: ledger migrate says which schema it migrated when none is configured (PostgreSQL)', function () {
  this.timeout(60_000);
  const base = testDatabaseUrl();
  const schema = `payhost_notice_${randomBytes(4).toString('hex')}`;
  const named = `${schema}_named`;
  let dir: string;
  let savedUrl: string | undefined;

  async function sql(text: string): Promise<void> {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  function configWith(server: Record<string, unknown>): string {
    const file = join(dir, `payhost-${Object.keys(server).length}.json`);
    writeFileSync(file, JSON.stringify({ server: { logLevel: 'silent', ...server }, auth: { adminApiKey: 'cli-admin-key-notice-0123456789', paymentApiKey: 'cli-payment-key-notice-0123456789' }, channels: [] }));
    return file;
  }

  before(async () => {
    await checkReachable(base);
    await sql(`CREATE SCHEMA ${schema}`);
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-notice-'));
    savedUrl = process.env['DATABASE_URL'];
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    process.env['DATABASE_URL'] = url.toString();
  });
  after(async () => {
    if (savedUrl === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = savedUrl;
    if (dir) rmSync(dir, { recursive: true, force: true });
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${named} CASCADE`);
  });

  /** stderr's JSON lines (a plain-text line fails the parse). */
  function logLines(err: string): Array<{ level: number; msg: string; schema?: string | null }> {
    return err
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: number; msg: string; schema?: string | null });
  }

  it('no server.databaseSchema: a warn log line names the schema the tables are in; stdout stays the JSON', async () => {
    const result = await cli('ledger', 'migrate', '--config', configWith({}));
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out)).to.have.property('from', 0);
    const lines = logLines(result.err);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 40, schema });
    expect(lines[0]?.msg).to.match(new RegExp(`^server\\.databaseSchema is not set, so the ledger is in PostgreSQL schema "${schema}" \\(the connection's default\\)`));
  });

  it('current_schema() failing after the migration: the result is still printed (exit 0), the warning names no schema', async () => {
    const query = pg.Client.prototype.query;
    // Only the command's own question fails (the migration's queries, current_schema() among them, run as usual).
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text === 'SELECT current_schema() AS migrated_schema') return Promise.reject(new Error('current_schema refused (test)'));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      const result = await cli('ledger', 'migrate', '--config', configWith({}));
      expect(result.code, result.err).to.equal(0);
      const printed = JSON.parse(result.out) as { from: unknown; to: unknown };
      expect(printed.from).to.be.a('number');
      expect(printed.to).to.be.a('number').above(0);
      const [line] = logLines(result.err);
      expect(line).to.include({ level: 40, schema: null });
      expect(line?.msg).to.include("ledger is in PostgreSQL the connection's default schema");
    } finally {
      pg.Client.prototype.query = query;
    }
  });

  it('with server.databaseSchema: no notice', async () => {
    const result = await cli('ledger', 'migrate', '--config', configWith({ databaseSchema: named }));
    expect(result.code, result.err).to.equal(0);
    expect(result.err).to.equal('');
  });
});
