import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { sameLedger } from '../src/commands/ledger-copy.js';
import { cli, serverTestPlugins } from './support/run-cli.js';

/** Every payment and transaction row as Postgres prints it, in id order. */
async function rows(dataDir: string): Promise<string[]> {
  const store: SqlLedgerStore = await createPgliteStore({ dataDir });
  try {
    return await store.driver.session(async (c) => {
      const payments = await c.query<{ r: string }>("SELECT p::text AS r FROM payments p ORDER BY id COLLATE \"C\"");
      const transactions = await c.query<{ r: string }>("SELECT t::text AS r FROM transactions t ORDER BY id COLLATE \"C\"");
      return [...payments, ...transactions].map((row) => row.r);
    });
  } finally {
    await store.close();
  }
}

describe('cli: payhost ledger copy (embedded database)', function () {
  this.timeout(60_000);
  let dir: string;
  let configFile: string;
  let dataDir: string;
  let savedUrl: string | undefined;

  before(async () => {
    // The source is the configuration's data directory: DATABASE_URL would make it that database.
    savedUrl = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-copy-'));
    dataDir = await copyMigratedDataDir(join(dir, 'data')); // An empty database (creating one takes seconds).
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', hookTimeoutMs: 2000, dataDir },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
      }),
    );
    for (const amount of ['10.00', '25.50']) {
      const paid = await cli('pay', '--config', configFile, '--channel', 'web', '--amount', amount, '--currency', 'USD', '--token', 'tok');
      expect(paid.code, paid.err).to.equal(0);
    }
  });
  after(() => {
    if (savedUrl !== undefined) process.env.DATABASE_URL = savedUrl;
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the configured ledger into a new data directory (relative to the current directory), prints the rows per table', async () => {
    const target = join(dir, 'copy');
    const copied = await cli('ledger', 'copy', '--config', configFile, '--to', relative(process.cwd(), target));
    expect(copied.code, copied.err).to.equal(0);
    const report = JSON.parse(copied.out) as { from: unknown; to: unknown; tables: Record<string, number> };
    expect(report.from).to.deep.equal({ kind: 'pglite', dataDir });
    expect(report.to).to.deep.equal({ kind: 'pglite', dataDir: target });
    expect(report.tables).to.deep.equal({ payments: 2, transactions: 2, idempotency_keys: 2, webhook_events: 0, customer_accounts: 0, plugin_settings: 0 });
    const copiedRows = await rows(target);
    expect(copiedRows).to.have.length(4);
    expect(copiedRows).to.deep.equal(await rows(dataDir));
  });

  it('refuses a target that already holds a ledger, and leaves it as it was', async () => {
    // Filled by a first copy into an empty database (a copy of one: the copy creating it is the test above).
    const target = await copyMigratedDataDir(join(dir, 'full'));
    expect((await cli('ledger', 'copy', '--config', configFile, '--to', target)).code).to.equal(0);
    const before = await rows(target);
    const again = await cli('ledger', 'copy', '--config', configFile, '--to', target);
    expect(again.code).to.equal(1);
    expect(again.err).to.match(/^error target_not_empty: ledger copy: the target ledger is not empty \(payments: 2 rows, transactions: 2 rows, idempotency_keys: 2 rows\)/);
    expect(await rows(target)).to.deep.equal(before);
  });

  it("refuses the configuration's own data directory (also through a symlink), a --schema without a postgres:// target, and a source in use", async () => {
    for (const to of [dataDir, join(dir, '.', 'data')]) {
      const same = await cli('ledger', 'copy', '--config', configFile, '--to', to);
      expect(same.code).to.equal(1);
      expect(same.err).to.match(/^error invalid_input: the target is the configuration's own ledger/);
    }
    const link = join(dir, 'link-to-data');
    symlinkSync(dataDir, link);
    expect((await cli('ledger', 'copy', '--config', configFile, '--to', link)).err).to.match(/^error invalid_input: the target is the configuration's own ledger/);

    const schema = await cli('ledger', 'copy', '--config', configFile, '--to', join(dir, 'other'), '--schema', 'payhost');
    expect(schema.code).to.equal(1);
    expect(schema.err).to.match(/^error invalid_input: --schema goes with a postgres:\/\/ target/);

    // As while `payhost serve` runs on it: the data directory opens in one process at a time.
    const holder = await createPgliteStore({ dataDir });
    try {
      const busy = await cli('ledger', 'copy', '--config', configFile, '--to', join(dir, 'while-busy'));
      expect(busy.code).to.equal(1);
      expect(busy.err).to.match(/^error data_dir_in_use:/);
    } finally {
      await holder.close();
    }
  });

  it('refuses a --schema server.databaseSchema could not name, and says which URL failed and why (--to), never quoting it', async () => {
    // A quoted, case-sensitive "Payhost" would be created, and the server refuses that name.
    const upper = await cli('ledger', 'copy', '--config', configFile, '--to', 'postgres://u:pw@127.0.0.1:1/shop', '--schema', 'Payhost');
    expect(upper.code).to.equal(1);
    expect(upper.err).to.match(/^error invalid_input: --schema must be lowercase letters, digits and _.*as server\.databaseSchema/);
    // PostgreSQL keeps pg_ names for itself: refused here, naming --schema, before anything connects.
    const reserved = await cli('ledger', 'copy', '--config', configFile, '--to', 'postgres://u:pw@127.0.0.1:1/shop', '--schema', 'pg_payhost');
    expect(reserved.code).to.equal(1);
    expect(reserved.err).to.match(/^error invalid_input: --schema must be .*pg_/);

    // A password with @ : / ? # that is not percent-encoded: pg cannot read the URL.
    const malformed = await cli('ledger', 'copy', '--config', configFile, '--to', 'postgres://payhost:p@ss:w/rd?#@127.0.0.1:1/shop', '--schema', 'payhost');
    expect(malformed.code).to.equal(1);
    expect(malformed.err).to.match(/^error invalid_configuration \(unencoded_hash\): --to is not a valid connection URL: .*percent-encoded/);
    expect(malformed.err).not.to.include('w/rd');

    // Nothing listens on port 1: the target's host, port and database and the driver's reason, not a request's "retry with the same idempotency key".
    const refused = await cli('ledger', 'copy', '--config', configFile, '--to', 'postgres://payhost:pw-not-shown@127.0.0.1:1/shop', '--schema', 'payhost');
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/^error store_unavailable: Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/shop \(--to\): connect ECONNREFUSED/);
    expect(refused.err).not.to.include('pw-not-shown').and.not.to.include('idempotency');
  });

  it('refuses a --to that is a URL of another kind (a misspelt postgres://, mysql://) instead of making it a directory: nothing is created', async () => {
    // Relative to the current directory, as a directory target would be: it must stay empty.
    const cwd = join(dir, 'cwd-for-urls');
    mkdirSync(cwd);
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      for (const [to, scheme] of [
        ['postgress://postgres@127.0.0.1:5432/test', 'postgress://'],
        ['mysql://x:pw-not-shown@y/z', 'mysql://'],
      ] as const) {
        const copied = await cli('ledger', 'copy', '--config', configFile, '--to', to);
        expect(copied.code, copied.err).to.equal(1);
        expect(copied.out).to.equal('');
        expect(copied.err).to.include(`error invalid_input: --to must be a postgres:// or postgresql:// URL, or a directory for an embedded database, not a "${scheme}" URL`);
        expect(copied.err).not.to.include('pw-not-shown');
      }
      expect(readdirSync(cwd), 'a directory was created for a URL').to.deep.equal([]);
    } finally {
      process.chdir(previous);
    }
  });

  it('refuses a source data directory with no database, naming it, and creates neither it nor the target', async () => {
    const missing = join(dir, 'no-such-data');
    const noSource = join(dir, 'no-source.json');
    writeFileSync(
      noSource,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir: missing },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true } } }],
      }),
    );
    const target = join(dir, 'copy-of-nothing');
    const copied = await cli('ledger', 'copy', '--config', noSource, '--to', target);
    expect(copied.code, copied.out).to.equal(1);
    expect(copied.out).to.equal('');
    expect(copied.err).to.match(/^error invalid_configuration: ledger copy: the embedded database in (\S+) does not exist yet \(server\.dataDir/);
    expect(copied.err).to.include(missing);
    expect(existsSync(missing), 'the source data directory was created').to.equal(false);
    expect(existsSync(target), 'the target was created').to.equal(false);
  });

  it('a configuration that already sets server.databaseSchema, without DATABASE_URL: says to remove it for the copy (not only "set DATABASE_URL")', async () => {
    const withSchema = join(dir, 'with-schema.json');
    writeFileSync(
      withSchema,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir, databaseSchema: 'payhost' },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true } } }],
      }),
    );
    const copied = await cli('ledger', 'copy', '--config', withSchema, '--to', 'postgres://u:pw@127.0.0.1:1/shop', '--schema', 'payhost');
    expect(copied.code).to.equal(1);
    expect(copied.err).to.match(/^error invalid_configuration: ledger copy: the configuration sets server\.databaseSchema \("payhost"\) but DATABASE_URL is not set/);
    expect(copied.err).to.include(`To copy the data directory (${dataDir}), remove server.databaseSchema from the file until the copy is done`);
  });

  describePostgres('payhost ledger copy into PostgreSQL', (pg) => {
    it('copies into a schema, and prints the URL without its passwords (user info and query parameters)', async () => {
      const url = new URL(pg.url);
      url.password = 'topsecret-in-url';
      url.searchParams.set('password', 'qsecret-in-query');
      const schema = pg.newSchema('cli_copy');
      const copied = await cli('ledger', 'copy', '--config', configFile, '--to', url.toString(), '--schema', schema);
      expect(copied.code, copied.err).to.equal(0);
      const report = JSON.parse(copied.out) as { to: { kind: string; url: string; schema: string }; tables: Record<string, number> };
      expect(report.to).to.include({ kind: 'postgres', schema });
      expect(report.tables['payments']).to.equal(2);
      expect(copied.out + copied.err).not.to.include('topsecret-in-url').and.not.to.include('qsecret-in-query');
      expect(report.to.url).to.include('password=***');
    });
  });

  it('knows a PostgreSQL ledger however its URL names the server (?host=&port=, the host in capitals, another user)', () => {
    const viaParameters = { kind: 'postgres' as const, url: 'postgres:///shop?host=db.internal&port=5433&user=a', schema: 'payhost' };
    expect(sameLedger(viaParameters, { kind: 'postgres', url: 'postgres://b:pw@DB.internal:5433/shop', schema: 'payhost' })).to.equal(true);
    expect(sameLedger(viaParameters, { kind: 'postgres', url: 'postgres://b:pw@db.internal:5433/shop', schema: 'other' })).to.equal(false);
    expect(sameLedger(viaParameters, { kind: 'postgres', url: 'postgres://b:pw@db.internal:5432/shop', schema: 'payhost' })).to.equal(false);
  });

  it('--help lists the options and says to stop the server first', async () => {
    const help = await cli('ledger', 'copy', '--help');
    expect(help.code).to.equal(0);
    expect(help.out).to.include('--to <target>').and.include('--schema <name>').and.include('-c, --config <file>').and.include('postgres://');
    expect(help.out).to.match(/Stop `payhost serve` first/);
    expect((await cli('ledger', '--help')).out).to.include('copy');
    const missing = await cli('ledger', 'copy', '--config', configFile);
    expect(missing.code, 'commander refuses a missing --to').not.to.equal(0);
  });
});
