import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { run } from '@payhost/cli';
import { createServer, loadServerConfig } from '@payhost/server';
import { createPgliteStore, createPostgresStore, MIGRATIONS } from '@payhost/store-postgres';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { checkReachable, testDatabaseUrl } from '../../../tests/support/postgres-url.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const fixtures = join(here, '..', '..', 'server', 'test', 'fixtures', 'test-plugins.mjs');

const ADMIN_KEY = 'cli-admin-key-saved-0123456789';
const PAYMENT_KEY = 'cli-payment-key-saved-0123456789';
const FILE_SECRETS = ['whsec_file_secret_0001', 'audit-file-token-0001', 'audit-file-password-1'] as const;
const SAVED_SECRETS = ['whsec_saved_secret_9876', 'audit-saved-token-5555', 'whsec_old_channel_4321'] as const;

/** `payhost …` as a child process (the real command, its own process: the data directory lock sees another pid). */
function payhost(argv: string[], databaseUrl = '', limitMs = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: databaseUrl } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`payhost ${argv.join(' ')} still running after ${limitMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

interface Printed {
  channels: Array<{ channel: string; plugins: Array<{ id: string; active: boolean; configuration: Record<string, unknown> }> }>;
  globalPlugins: Array<{ id: string; active: boolean; configuration: Record<string, unknown> }>;
  savedChanges: { read: boolean; summary: string; changes?: Array<Record<string, unknown>> };
}

function expectNoSecret(text: string): void {
  for (const secret of [...FILE_SECRETS, ...SAVED_SECRETS, ADMIN_KEY, PAYMENT_KEY]) expect(text, 'a secret was printed').not.to.include(secret);
}

describe('cli: payhost config check --saved (embedded database)', function () {
  this.timeout(60_000);
  let dir: string;

  /** A configuration on its own data directory (not created). */
  function setup(name: string): { configFile: string; dataDir: string } {
    const dataDir = join(dir, `${name}-data`);
    const configFile = join(dir, `${name}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir },
        auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
        plugins: [fixtures],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: FILE_SECRETS[0] } } } }],
        globalPlugins: { 'test.audit': { active: true, configuration: { api_token: FILE_SECRETS[1], password: FILE_SECRETS[2], note: 'from the file' } } },
      }),
    );
    return { configFile, dataDir };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-saved-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints each saved change with its revision, when it was saved and the settings in force, masked; the file stays the file', async () => {
    const { configFile, dataDir } = setup('changed');
    await copyMigratedDataDir(dataDir);
    // Changes made through the admin API of a real server on the data directory, which then stops.
    const server = await createServer(await loadServerConfig(configFile, {}));
    const savedAt: string[] = [];
    try {
      const put = async (url: string, body: unknown) => {
        const answer = await server.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: body as object });
        expect(answer.statusCode, answer.body).to.equal(200);
      };
      await put('/admin/channels/web/plugins/test.signed', { configuration: { webhook_secret: SAVED_SECRETS[0] } });
      await put('/admin/global/plugins/test.audit', { active: false, configuration: { api_token: SAVED_SECRETS[1], note: 'changed by an admin' } });
      // A change for a channel this file does not have (it was removed after the change), and a withdrawn one.
      const store = server.store as unknown as { savePluginSettings(save: object): Promise<number> };
      await store.savePluginSettings({ plugin: 'test.signed', channel: 'old', settings: { active: true, configuration: { webhook_secret: SAVED_SECRETS[2] } }, now: new Date('2025-01-02T03:04:05.000Z') });
      await store.savePluginSettings({ plugin: 'test.answers', channel: 'web', settings: null, now: new Date() });
      const saves = await (server.store as unknown as { listPluginSettings(after: number): Promise<Array<{ savedAt: Date }>> }).listPluginSettings(0);
      savedAt.push(...saves.map((s) => s.savedAt.toISOString()));
    } finally {
      await server.close();
    }
    const fileBefore = readFileSync(configFile, 'utf8');

    const result = await payhost(['config', 'check', '--saved', '--config', configFile]);
    expect(result.code, result.err).to.equal(0);
    expectNoSecret(result.out);
    expectNoSecret(result.err);
    const printed = JSON.parse(result.out) as Printed;
    // The file's settings, as without --saved.
    expect(printed.channels[0]?.plugins.find((p) => p.id === 'test.signed')?.configuration['webhook_secret']).to.equal('****0001');
    expect(printed.globalPlugins).to.deep.equal([{ id: 'test.audit', active: true, configuration: { api_token: '****0001', password: '', note: 'from the file' } }]);
    // The saved changes, by revision, each with the settings in force (masked as the file's are); the withdrawn one is not listed.
    expect(printed.savedChanges.read).to.equal(true);
    const [web, audit, old] = printed.savedChanges.changes ?? [];
    expect(printed.savedChanges.changes).to.have.length(3);
    expect(web).to.deep.equal({ channel: 'web', plugin: 'test.signed', revision: 1, savedAt: savedAt[0], inForce: true, active: true, configuration: { supported_currencies: 'USD', webhook_secret: '****9876' } });
    expect(audit).to.deep.equal({ channel: null, plugin: 'test.audit', revision: 2, savedAt: savedAt[1], inForce: true, active: false, configuration: { api_token: '****5555', password: '', note: 'changed by an admin' } });
    expect(old).to.include({ channel: 'old', plugin: 'test.signed', revision: 3, savedAt: '2025-01-02T03:04:05.000Z', inForce: false });
    // A stable code to match on, and what the error says (the channel), apart.
    expect(old?.['reason']).to.equal('unknown_channel');
    expect(old?.['message']).to.be.a('string').and.include('"old"').and.not.match(/^unknown_channel/);
    expect(old).not.to.have.property('configuration');
    expect(printed.savedChanges.summary).to.match(/^2 plugin configuration changes saved through the admin API are in force over this file/);
    expect(printed.savedChanges.summary).to.include('1 saved change cannot be applied');
    // No key is at stake here: the summary does not send the operator to configure one.
    expect(printed.savedChanges.summary).not.to.include('pluginSettingsKey');

    // At the default level (warn), the refusal the output reports is not also an error line with a stack trace on stderr;
    // server.logLevel debug still shows it, at debug.
    for (const [level, expected] of [
      [undefined, []],
      ['debug', [[20, 'test.signed', 'old']]],
    ] as const) {
      const file = join(dir, `changed-${level ?? 'default'}.json`);
      const document = JSON.parse(fileBefore) as { server: Record<string, unknown> };
      document.server['logLevel'] = level;
      writeFileSync(file, JSON.stringify(document));
      const logged = await payhost(['config', 'check', '--saved', '--config', file]);
      expect(logged.code, logged.err).to.equal(0);
      const lines = logged.err
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; plugin?: string; channel?: string; err?: { stack?: string } });
      expect(lines.filter((line) => line.level >= 50)).to.deep.equal([]);
      expect(lines.filter((line) => line.err !== undefined).map((line) => [line.level, line.plugin, line.channel])).to.deep.equal(expected);
      expectNoSecret(logged.out + logged.err);
    }

    // Read only: the file unchanged, the directory free again, the saves as they were.
    expect(readFileSync(configFile, 'utf8')).to.equal(fileBefore);
    const store = await createPgliteStore({ dataDir, migrate: false });
    try {
      expect((await store.listPluginSettings(0)).map((s) => s.revision)).to.deep.equal([1, 2, 3, 4]);
    } finally {
      await store.close();
    }
  });

  it('says nothing is saved when the data directory does not exist, and does not create it', async () => {
    const { configFile, dataDir } = setup('absent');
    const result = await payhost(['config', 'check', '--saved', '--config', configFile]);
    expect(result.code, result.err).to.equal(0);
    const printed = JSON.parse(result.out) as Printed;
    expect(printed.savedChanges).to.deep.equal({
      read: true,
      summary: `No plugin configuration change is saved: the embedded database in ${dataDir} does not exist yet. The file's settings are in force`,
      changes: [],
    });
    expect(existsSync(dataDir), 'the data directory was created').to.equal(false);
    expectNoSecret(result.out + result.err);
  });

  it('says nothing is saved on a database with none, and on one whose schema predates saved settings (without migrating it)', async () => {
    const { configFile, dataDir } = setup('none');
    await copyMigratedDataDir(dataDir);
    const none = await payhost(['config', 'check', '--saved', '--config', configFile]);
    expect(none.code, none.err).to.equal(0);
    expect((JSON.parse(none.out) as Printed).savedChanges).to.deep.equal({ read: true, summary: "No plugin configuration change is saved in the database: the file's settings are in force", changes: [] });

    // A data directory of a payhost from before the plugin_settings table: migration 4 (that table alone) undone.
    expect(MIGRATIONS[3]).to.match(/^\s*CREATE TABLE plugin_settings \([^;]*\);\s*$/);
    const older = setup('older');
    await copyMigratedDataDir(older.dataDir);
    const store = await createPgliteStore({ dataDir: older.dataDir, migrate: false, fsync: false });
    await store.driver.session((c) => c.exec('ALTER TABLE payments DROP COLUMN billing, DROP COLUMN shipping, DROP COLUMN customer_ip_address; DROP FUNCTION payhost_refund_unsettled, payhost_refund_settles CASCADE; ALTER TABLE transactions DROP COLUMN refund_unsettled; DROP TABLE plugin_settings; DROP INDEX transactions_refund_ongoing_idx; DROP INDEX transactions_pending_charge_idx; DROP INDEX transactions_refund_settled_idx; DROP INDEX payments_charge_pending_idx; DELETE FROM payhost_migrations WHERE version >= 4'));
    expect(await store.schemaVersion()).to.equal(3);
    await store.close();
    const result = await payhost(['config', 'check', '--saved', '--config', older.configFile]);
    expect(result.code, result.err).to.equal(0);
    expect((JSON.parse(result.out) as Printed).savedChanges.summary).to.equal(
      "No plugin configuration change is saved: the database has no saved plugin settings (its schema predates them). The file's settings are in force",
    );
    const reopened = await createPgliteStore({ dataDir: older.dataDir, migrate: false });
    try {
      expect(await reopened.schemaVersion(), 'config check migrated the database').to.equal(3);
    } finally {
      await reopened.close();
    }
  });

  it('exits 1 with data_dir_in_use, pointing to the admin API, while another process holds the database; without --saved it still checks the file', async () => {
    const { configFile, dataDir } = setup('held');
    await copyMigratedDataDir(dataDir);
    const holder = await createPgliteStore({ dataDir });
    try {
      await holder.savePluginSettings({ plugin: 'test.signed', channel: 'web', settings: { active: true, configuration: { webhook_secret: SAVED_SECRETS[0] } }, now: new Date() });
      const held = await payhost(['config', 'check', '--saved', '--config', configFile]);
      expect(held.code, held.err).to.equal(1);
      expect(held.out).to.equal('');
      expect(held.err).to.match(/^error data_dir_in_use: Cannot read the saved plugin configuration changes: The embedded database in .* is in use by process \d+/m);
      expect(held.err).to.include('GET /admin/channels/<channel>/plugins/<plugin>');
      expect(held.err).to.include('stop the server');
      expectNoSecret(held.err);

      const fileOnly = await payhost(['config', 'check', '--config', configFile]);
      expect(fileOnly.code, fileOnly.err).to.equal(0);
      expect((JSON.parse(fileOnly.out) as Printed).savedChanges).to.include({ read: false });
      expect((JSON.parse(fileOnly.out) as Printed).savedChanges.summary).to.match(/^Not read: .* add --saved/);

      // The holder's database is untouched: its save is still there, and it still works.
      expect((await holder.listPluginSettings(0)).map((s) => s.plugin)).to.deep.equal(['test.signed']);
    } finally {
      await holder.close();
    }
    const after = await payhost(['config', 'check', '--saved', '--config', configFile]);
    expect(after.code, after.err).to.equal(0);
    expect((JSON.parse(after.out) as Printed).savedChanges.changes).to.have.length(1);
    expectNoSecret(after.out + after.err);
  });

  it('documents --saved and the exit codes in --help', async () => {
    let help = '';
    expect(await run(['config', 'check', '--help'], { out: (text) => void (help += text), err: () => undefined })).to.equal(0);
    // Commander wraps long descriptions to the terminal's width.
    const out = help.replace(/\s+/g, ' ');
    expect(out).to.match(/--saved also read the plugin configuration changes saved through the admin API/);
    expect(out).to.include('data_dir_in_use');
    expect(out).to.match(/Exit codes: 0 valid/);
  });
});

/** On PostgreSQL (DATABASE_URL with server.databaseSchema): always runs, on PAYHOST_TEST_DATABASE_URL or its default, and fails when that server is unreachable. */
const databaseUrl = testDatabaseUrl();
describe('cli: payhost config check --saved (PostgreSQL)', function () {
  this.timeout(60_000);
  const schema = `payhost_check_${randomBytes(4).toString('hex')}`;
  let dir: string;
  let configFile: string;
  let reachable = false;

  before(async () => {
    await checkReachable(databaseUrl);
    reachable = true;
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-saved-pg-'));
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', databaseSchema: schema },
        auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
        plugins: [fixtures],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: FILE_SECRETS[0] } } } }],
      }),
    );
  });
  after(async () => {
    if (!reachable) return; // before() failed, saying so; nothing was created.
    rmSync(dir, { recursive: true, force: true });
    const store = await createPostgresStore({ connectionString: databaseUrl, migrate: false });
    try {
      await store.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    } finally {
      await store.close();
    }
  });

  it('says nothing is saved in a schema never migrated, without creating it; then prints a change saved there', async () => {
    const none = await payhost(['config', 'check', '--saved', '--config', configFile], databaseUrl);
    expect(none.code, none.err).to.equal(0);
    expect((JSON.parse(none.out) as Printed).savedChanges.summary).to.match(/^No plugin configuration change is saved: the database has no saved plugin settings/);
    const store = await createPostgresStore({ connectionString: databaseUrl, migrate: false });
    try {
      const [found] = await store.driver.session((c) => c.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [schema]));
      expect(found, 'config check created the schema').to.equal(undefined);
    } finally {
      await store.close();
    }

    const saving = await createPostgresStore({ connectionString: databaseUrl, schema });
    try {
      await saving.savePluginSettings({ plugin: 'test.signed', channel: 'web', settings: { active: false, configuration: { webhook_secret: SAVED_SECRETS[0] } }, now: new Date('2025-02-03T04:05:06.000Z') });
    } finally {
      await saving.close();
    }
    const result = await payhost(['config', 'check', '--saved', '--config', configFile], databaseUrl);
    expect(result.code, result.err).to.equal(0);
    expectNoSecret(result.out + result.err);
    expect((JSON.parse(result.out) as Printed).savedChanges.changes).to.deep.equal([
      { channel: 'web', plugin: 'test.signed', revision: 1, savedAt: '2025-02-03T04:05:06.000Z', inForce: true, active: false, configuration: { supported_currencies: 'USD', webhook_secret: '****9876' } },
    ]);
  });

  it('exits 1 with store_unavailable when the database cannot be reached', async () => {
    const result = await payhost(['config', 'check', '--saved', '--config', configFile], 'postgres://postgres@127.0.0.1:1/test');
    expect(result.code, result.err).to.equal(1);
    expect(result.out).to.equal('');
    expect(result.err).to.match(/^error store_unavailable: Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/test \(DATABASE_URL\)/m);
  });
});
