import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createPgliteStore } from '@payhost/store-postgres';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';

// The embedded database's directory holds the ledger and, without server.pluginSettingsKey, saved
// processor secrets in plain text, in files PGlite makes readable by everyone: only its owner may enter it.

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('PGlite data directory: private to its owner (0700)', function () {
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
});
