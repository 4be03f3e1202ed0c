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
 * default schema (public, on most servers): a one-line notice names it. Here the connection's default is
 * this test's own schema (search_path in the URL), so nothing lands in the test database's public schema.
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

  it('no server.databaseSchema: a notice names the schema the tables are in; stdout stays the JSON', async () => {
    const result = await cli('ledger', 'migrate', '--config', configWith({}));
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out)).to.have.property('from', 0);
    const lines = result.err.split('\n').filter((line) => line !== '');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^notice: server\\.databaseSchema is not set, so the ledger is in PostgreSQL schema "${schema}" \\(the connection's default\\)`));
  });

  it('with server.databaseSchema: no notice', async () => {
    const result = await cli('ledger', 'migrate', '--config', configWith({ databaseSchema: named }));
    expect(result.code, result.err).to.equal(0);
    expect(result.err).to.equal('');
  });
});
