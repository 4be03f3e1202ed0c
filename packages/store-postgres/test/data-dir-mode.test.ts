import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PayhostError } from '@payhost/core';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';

// The embedded database's directory holds the ledger and, without server.pluginSettingsKey, saved
// processor secrets in plain text, in files PGlite makes readable by everyone: only its owner may enter it.

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('PGlite data directory: private to its owner (0700)', function () {
  this.timeout(60_000); // the template's creation takes 10-20 s on a loaded machine
  let root: string;
  before(() => migratedTemplate());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'payhost-data-dir-mode-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a new data directory (and the missing ones above it) 0700, whatever the umask, with a working database in it', async () => {
    const dataDir = join(root, 'parent', 'data');
    const umask = process.umask(0o000);
    try {
      const store = await createPgliteStore({ dataDir, fsync: false });
      try {
        expect((await store.driver.session((c) => c.query<{ one: number }>('SELECT 1 AS one')))[0]).to.deep.equal({ one: 1 });
      } finally {
        await store.close();
      }
    } finally {
      process.umask(umask);
    }
    expect(modeOf(dataDir).toString(8)).to.equal('700');
    expect(modeOf(join(root, 'parent')).toString(8)).to.equal('700');
    expect(readdirSync(dataDir)).to.include('PG_VERSION');
  });

  it('narrows an existing data directory others or the group may enter (0777, 0750) to 0700', async () => {
    for (const [name, mode] of [['open', 0o777], ['group', 0o750]] as const) {
      const dataDir = await copyMigratedDataDir(join(root, name));
      chmodSync(dataDir, mode);
      await (await createPgliteStore({ dataDir, fsync: false })).close();
      expect(modeOf(dataDir).toString(8), name).to.equal('700');
    }
  });

  // PGlite's file system goes by the mode bits, root or not (tests run as root, whom access() never refuses):
  // it failed with a bare "PGlite failed to initialize properly", naming neither the directory nor a code.
  async function refusal(dataDir: string, fsync: boolean): Promise<PayhostError> {
    let store: SqlLedgerStore | undefined;
    try {
      store = await createPgliteStore({ dataDir, fsync });
    } catch (error) {
      return error as PayhostError;
    } finally {
      await store?.close();
    }
    throw new Error(`opened ${dataDir}`);
  }

  it('refuses a new data directory its owner may not write (0500) with invalid_configuration naming it; creates nothing in it', async () => {
    for (const fsync of [true, false]) {
      const dataDir = join(root, `new-${fsync}`);
      mkdirSync(dataDir, { mode: 0o700 });
      chmodSync(dataDir, 0o500);
      const error = await refusal(dataDir, fsync);
      expect(error, String(error)).to.be.instanceOf(PayhostError);
      expect(error.code).to.equal('invalid_configuration');
      expect(error.message).to.equal(
        `The embedded database's data directory ${dataDir} cannot be used: its mode is 0500: its owner must be able to read, write and enter it (0700; e.g. chmod 700 ${dataDir}).`,
      );
      expect(error.details).to.deep.equal({ dataDir, reason: 'not_writable', mode: '0500' });
      expect(readdirSync(dataDir), 'created in it').to.deep.equal([]);
      expect(modeOf(dataDir).toString(8)).to.equal('500');
    }
  });

  it('refuses an existing database made read-only (0555, narrowed to 0500) the same way, leaving it as it was; opens once it is 0700', async () => {
    const dataDir = await copyMigratedDataDir(join(root, 'existing'));
    const before = readdirSync(dataDir).sort();
    chmodSync(dataDir, 0o555);
    const error = await refusal(dataDir, true);
    expect(error.code, String(error)).to.equal('invalid_configuration');
    expect(error.message).to.include(`data directory ${dataDir} cannot be used: its mode is 0500`);
    expect(error.details).to.deep.include({ dataDir, reason: 'not_writable' });
    expect(readdirSync(dataDir).sort(), 'no lock file, nothing new').to.deep.equal(before);
    chmodSync(dataDir, 0o700);
    await (await createPgliteStore({ dataDir, fsync: false })).close();
  });

  it('refuses a data directory path that is a file, and says so', async () => {
    const dataDir = join(root, 'a-file');
    writeFileSync(dataDir, '');
    const error = await refusal(dataDir, false);
    expect(error.code, String(error)).to.equal('invalid_configuration');
    expect(error.message).to.equal(`The embedded database's data directory ${dataDir} cannot be used: it is not a directory.`);
    expect(error.details).to.deep.equal({ dataDir, reason: 'not_a_directory' });
  });

  it('a database PGlite cannot open (a file in it not writable): invalid_configuration naming the directory, the lock released', async () => {
    const dataDir = await copyMigratedDataDir(join(root, 'damaged'));
    chmodSync(join(dataDir, 'global', 'pg_control'), 0o400);
    const error = await refusal(dataDir, true);
    expect(error, String(error)).to.be.instanceOf(PayhostError);
    expect(error.code).to.equal('invalid_configuration');
    expect(error.message).to.match(new RegExp(`^The embedded database's data directory ${dataDir} cannot be used: PGlite could not open the database in it \\(.+\\); check`));
    expect(error.details).to.deep.equal({ dataDir, reason: 'open_failed' });
    chmodSync(join(dataDir, 'global', 'pg_control'), 0o600);
    await (await createPgliteStore({ dataDir, fsync: false })).close();
  });
});
