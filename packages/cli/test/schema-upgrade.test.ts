import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger } from '@payhost/core';
import { createServer, loadServerConfig } from '@payhost/server';
import { createPgliteStore, createPostgresStore, MIGRATIONS, runMigrations } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { cli, serverTestPlugins } from './support/run-cli.js';

/**
 * Only `payhost serve` and `payhost ledger migrate` migrate: the commands that use the ledger (ledger copy's
 * source, review, pay) refuse a database at an older schema version rather than upgrade it under the
 * instances of the version still running on it, which would then refuse to start ("newer than this package").
 */
const CURRENT = MIGRATIONS.length;
const OLDER = CURRENT - 1;
/** Removes what migration 9 adds (the payments' address and IP address columns). */
const UNDO_MIGRATION_9 = 'ALTER TABLE payments DROP COLUMN billing, DROP COLUMN shipping, DROP COLUMN customer_ip_address;';

function document(server: Record<string, unknown>): string {
  return JSON.stringify({
    server: { logLevel: 'silent', hookTimeoutMs: 2000, ...server },
    auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
    plugins: [serverTestPlugins],
    channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
  });
}

/** The commands that only use the ledger, each of which must refuse an older schema. */
function usingCommands(configFile: string, target: string): string[][] {
  return [
    ['ledger', 'copy', '--config', configFile, '--to', target],
    ['review', 'list', '--config', configFile],
    ['pay', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok'],
  ];
}

function expectOutdated(result: { code: number; out: string; err: string }, found: number): void {
  expect(result.code, result.err).to.equal(1);
  expect(result.out).to.equal('');
  expect(result.err).to.match(/^error invalid_configuration \(schema_outdated\): /);
  expect(result.err).to.include(`at version ${found}`).and.include(`older than this payhost's ${CURRENT}`);
  expect(result.err).to.include('payhost ledger migrate').and.include('payhost serve').and.include('payhost version that wrote it');
}

describe('cli: commands that use the ledger do not migrate it; payhost ledger migrate does (embedded database)', function () {
  this.timeout(60_000);
  let dir: string;
  let savedUrl: string | undefined;

  before(() => {
    savedUrl = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-upgrade-'));
  });
  after(() => {
    if (savedUrl !== undefined) process.env.DATABASE_URL = savedUrl;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A data directory at the schema before the latest migration (as the previous payhost left it), with its configuration. */
  async function olderLedger(name: string): Promise<{ configFile: string; dataDir: string }> {
    // This builds version 8 by undoing migration 9: a new migration needs this updated.
    expect(CURRENT).to.equal(9);
    expect(MIGRATIONS[8]).to.match(/^\s*ALTER TABLE payments ADD COLUMN billing jsonb, ADD COLUMN shipping jsonb, ADD COLUMN customer_ip_address text;\s*$/);
    const dataDir = await copyMigratedDataDir(join(dir, `${name}-data`));
    const store = await createPgliteStore({ dataDir, migrate: false, fsync: false });
    await store.driver.session((c) => c.exec(`${UNDO_MIGRATION_9} DELETE FROM payhost_migrations WHERE version = 9`));
    await store.close();
    const configFile = join(dir, `${name}.json`);
    writeFileSync(configFile, document({ dataDir }));
    return { configFile, dataDir };
  }

  /** The schema version, and whether what the latest migration adds (payments.customer_ip_address) is there. */
  async function schemaOf(dataDir: string): Promise<{ version: number; index: boolean }> {
    const store = await createPgliteStore({ dataDir, migrate: false });
    try {
      const [row] = await store.driver.session((c) =>
        c.query<{ t: string | null }>("SELECT column_name::text AS t FROM information_schema.columns WHERE table_name = 'payments' AND column_name = 'customer_ip_address'"),
      );
      return { version: await store.schemaVersion(), index: Boolean(row?.t) };
    } finally {
      await store.close();
    }
  }

  it('ledger copy (its source), review list and pay refuse an older schema, and leave it at its version; nothing is created', async () => {
    const { configFile, dataDir } = await olderLedger('older');
    const target = join(dir, 'older-copy');
    for (const argv of usingCommands(configFile, target)) {
      expectOutdated(await cli(...argv), OLDER);
      expect(await schemaOf(dataDir), argv.join(' ')).to.deep.equal({ version: OLDER, index: false });
    }
    expect(existsSync(target), 'the copy target was created').to.equal(false);
  });

  it('ledger migrate brings it to this version and prints {from, to} (equal the second time); the commands then work', async () => {
    const { configFile, dataDir } = await olderLedger('migrated');
    const migrated = await cli('ledger', 'migrate', '--config', configFile);
    expect(migrated.code, migrated.err).to.equal(0);
    expect(JSON.parse(migrated.out)).to.deep.equal({ from: OLDER, to: CURRENT });
    expect(await schemaOf(dataDir)).to.deep.equal({ version: CURRENT, index: true });
    const again = await cli('ledger', 'migrate', '--config', configFile);
    expect(again.code, again.err).to.equal(0);
    expect(JSON.parse(again.out)).to.deep.equal({ from: CURRENT, to: CURRENT });
    const listed = await cli('review', 'list', '--config', configFile);
    expect(listed.code, listed.err).to.equal(0);
    const copied = await cli('ledger', 'copy', '--config', configFile, '--to', join(dir, 'migrated-copy'));
    expect(copied.code, copied.err).to.equal(0);
  });

  it('ledger copy does not migrate an existing target at an older schema version either: refused, left at its version', async () => {
    const source = join(dir, 'current-source.json');
    writeFileSync(source, document({ dataDir: await copyMigratedDataDir(join(dir, 'current-source-data')) }));
    const { dataDir: target } = await olderLedger('older-target');
    const refused = await cli('ledger', 'copy', '--config', source, '--to', target);
    expect(refused.code, refused.err).to.equal(1);
    expect(refused.err).to.include(`error invalid_configuration (schema_outdated): ledger copy: the target ledger's schema is at version ${OLDER}, older than this payhost's ${CURRENT}`);
    expect(refused.err).to.include('payhost ledger migrate');
    expect(await schemaOf(target)).to.deep.equal({ version: OLDER, index: false });
  });

  it('ledger migrate logs `schema migrated` {from, to} at info, only when it changed the schema', async () => {
    const { dataDir } = await olderLedger('logged');
    const configFile = join(dir, 'logged-info.json');
    writeFileSync(configFile, document({ dataDir, logLevel: 'info' }));
    const logged = async () => {
      const result = await cli('ledger', 'migrate', '--config', configFile);
      expect(result.code, result.err).to.equal(0);
      return result.err
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; from?: number; to?: number })
        .filter((line) => line.msg === 'schema migrated');
    };
    expect((await logged()).map(({ level, from, to }) => ({ level, from, to }))).to.deep.equal([{ level: 30, from: OLDER, to: CURRENT }]);
    expect(await logged()).to.deep.equal([]);
  });

  it('payhost serve (createServer) migrates at start-up and logs `schema migrated` {from, to} at info', async () => {
    const { configFile, dataDir } = await olderLedger('served');
    const start = async () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      const server = await createServer(await loadServerConfig(configFile, {}), { logger });
      await server.close();
      return lines.map((line) => JSON.parse(line) as { level: number; msg: string; from?: number; to?: number }).filter((line) => line.msg === 'schema migrated');
    };
    expect((await start()).map(({ level, from, to }) => ({ level, from, to }))).to.deep.equal([{ level: 30, from: OLDER, to: CURRENT }]);
    expect(await schemaOf(dataDir)).to.deep.equal({ version: CURRENT, index: true });
    expect(await start()).to.deep.equal([]);
  });

  it('a schema newer than this payhost is refused by the same commands (schema_newer), and left as it is', async () => {
    const dataDir = await copyMigratedDataDir(join(dir, 'newer-data'));
    const store = await createPgliteStore({ dataDir, migrate: false, fsync: false });
    await store.driver.session((c) => c.query('INSERT INTO payhost_migrations (version) VALUES ($1)', [CURRENT + 1]));
    await store.close();
    const configFile = join(dir, 'newer.json');
    writeFileSync(configFile, document({ dataDir }));
    for (const argv of usingCommands(configFile, join(dir, 'newer-copy'))) {
      const result = await cli(...argv);
      expect(result.code, result.err).to.equal(1);
      expect(result.err).to.match(/^error invalid_configuration \(schema_newer\): /);
      expect(result.err).to.include(`at version ${CURRENT + 1}, newer than this payhost's ${CURRENT}`);
    }
    expect((await schemaOf(dataDir)).version).to.equal(CURRENT + 1);
  });

  it('ledger migrate --help says which commands migrate and what a least-privilege upgrade needs', async () => {
    const help = await cli('ledger', 'migrate', '--help');
    expect(help.code).to.equal(0);
    expect(help.out).to.include('Only `payhost serve` and this command migrate').and.include('schema_outdated').and.include('as the role that owns the schema').and.include('migration_failed');
  });
});

describePostgres('cli: an older PostgreSQL schema is refused by the commands that use it; ledger migrate as its owner upgrades it', (pgc) => {
  const schema = pgc.newSchema('upgrade');
  const { role, url: roleUrl } = pgc.newRole('upgrade_app');
  let dir: string;
  let configFile: string;
  let savedUrl: string | undefined;

  before(async () => {
    savedUrl = process.env.DATABASE_URL;
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-upgrade-pg-'));
    configFile = join(dir, 'payhost.json');
    writeFileSync(configFile, document({ databaseSchema: schema }));
    // The schema as the previous payhost left it: its migrations only.
    const owner = await createPostgresStore({ connectionString: pgc.url, schema, migrate: false });
    try {
      expect(await runMigrations(owner.driver, { schema, migrations: MIGRATIONS.slice(0, OLDER) })).to.equal(OLDER);
    } finally {
      await owner.close();
    }
    // The servers' role with least privilege: USAGE and the tables' rights, owning nothing.
    await pgc.createAppRole(role, schema);
  });
  after(() => {
    if (savedUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedUrl;
    rmSync(dir, { recursive: true, force: true });
  });

  async function as(url: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    process.env.DATABASE_URL = url;
    try {
      return await cli(...argv);
    } finally {
      delete process.env.DATABASE_URL;
    }
  }

  async function version(): Promise<number> {
    const store = await createPostgresStore({ connectionString: pgc.url, schema, migrate: false });
    try {
      return await store.schemaVersion();
    } finally {
      await store.close();
    }
  }

  it('ledger copy (its source), review list and pay refuse it, as the owner too: the schema stays at its version', async () => {
    const target = join(dir, 'copy');
    for (const argv of usingCommands(configFile, target)) {
      expectOutdated(await as(pgc.url, ...argv), OLDER);
      expect(await version(), argv.join(' ')).to.equal(OLDER);
    }
    expect(existsSync(target), 'the copy target was created').to.equal(false);
  });

  it('ledger migrate as the least-privilege role fails typed, naming the versions, the role and the remedy; as the owner it migrates', async () => {
    const refused = await as(roleUrl, 'ledger', 'migrate', '--config', configFile);
    expect(refused.code, refused.err).to.equal(1);
    expect(refused.out).to.equal('');
    expect(refused.err).to.match(/^error invalid_configuration \(migration_failed\): /);
    expect(refused.err).to.include(`from version ${OLDER} to ${CURRENT} as role "${role}"`).and.include('must be owner of table payments').and.include('SQLSTATE 42501');
    expect(refused.err).to.include('run `payhost ledger migrate` with DATABASE_URL naming that role').and.include(`still at version ${OLDER}`);
    expect(await version()).to.equal(OLDER);

    const migrated = await as(pgc.url, 'ledger', 'migrate', '--config', configFile);
    expect(migrated.code, migrated.err).to.equal(0);
    expect(JSON.parse(migrated.out)).to.deep.equal({ from: OLDER, to: CURRENT });
    expect(await version()).to.equal(CURRENT);
    // The servers' role uses it now (nothing left to migrate).
    const listed = await as(roleUrl, 'review', 'list', '--config', configFile);
    expect(listed.code, listed.err).to.equal(0);
    expect(JSON.parse(listed.out)).to.deep.equal([]);
  });
  it('pay and review list on a new schema (no payhost tables yet) say to create them with ledger migrate or serve; nothing is created', async () => {
    const fresh = pgc.newSchema('upgrade_fresh');
    const freshConfig = join(dir, 'fresh.json');
    writeFileSync(freshConfig, document({ databaseSchema: fresh }));
    for (const argv of [['pay', '--config', freshConfig, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok'], ['review', 'list', '--config', freshConfig]]) {
      const refused = await as(pgc.url, ...argv);
      expect(refused.code, refused.err).to.equal(1);
      expect(refused.err).to.match(/^error invalid_configuration \(schema_outdated\): The schema of .* has no payhost tables yet, and this command does not create them: run `payhost ledger migrate`/m);
      expect(refused.err).to.not.include('the version that wrote it');
    }
    const created = await pgc.asOwner(async (c) => (await c.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [fresh])).rows[0]);
    expect(created).to.deep.equal({ n: 0 });
  });
});
