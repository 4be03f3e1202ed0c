import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';
import { unusableEntry } from '../dist/data-dir-files.js';

// The walk at each start (data-dir-files.ts) checks what PGlite opens: at the top of the directory, only the
// database's own names. A volume mounted as the data directory holds mkfs's lost+found (root's, 0700), which
// refused every user but root ("PGlite could not open .../lost+found"). Tests run as root; nobody is another user.

const nobody = 65534;
const INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });

describe('PGlite data directory: the files checked before PGlite starts', function () {
  this.timeout(60_000);
  let root: string;
  before(() => migratedTemplate());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'payhost-data-dir-files-'));
    chmodSync(root, 0o755); // nobody enters it to reach its data directory
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A migrated data directory of nobody's (0700), as a volume's root: with root's lost+found (0700) and a note of root's (0600). */
  async function nobodysVolume(): Promise<string> {
    const dataDir = await copyMigratedDataDir(join(root, 'volume'));
    for (const path of [dataDir, ...walk(dataDir)]) chownSync(path, nobody, nobody);
    chmodSync(dataDir, 0o700);
    mkdirSync(join(dataDir, 'lost+found'), { mode: 0o700 });
    writeFileSync(join(dataDir, 'README'), 'mounted here\n', { mode: 0o600 });
    return dataDir;
  }

  it('skips names at the top that are not the database\'s (a volume\'s lost+found, root\'s 0700), and still checks the database\'s', async () => {
    const dataDir = await nobodysVolume();
    expect(unusableEntry(dataDir, nobody)).to.equal(undefined);
    // One of the database's, root's: still refused (at the top and below it).
    for (const file of ['postgresql.auto.conf', 'payhost.lock.stale-0', 'base/5/PG_VERSION']) {
      const path = join(dataDir, file);
      writeFileSync(path, '', { flag: 'a' });
      chownSync(path, 0, 0);
      expect(unusableEntry(dataDir, nobody)?.details, file).to.deep.include({ file: path, ownerUid: 0, processUid: nobody });
      chownSync(path, nobody, nobody);
    }
  });

  it('its owner (nobody) opens it: createPgliteStore in a process run as nobody', async () => {
    const dataDir = await nobodysVolume();
    const script =
      `const { createPgliteStore } = await import(${JSON.stringify(INDEX)});` +
      `try { const s = await createPgliteStore({ dataDir: process.argv[1], fsync: false });` +
      ` const [row] = await s.driver.session((c) => c.query('SELECT count(*)::int AS n FROM payments')); await s.close(); console.log('opened', row.n); }` +
      ` catch (e) { console.log('refused', e.code, e.details?.reason, e.message); }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, dataDir], { uid: nobody, gid: nobody, encoding: 'utf8', timeout: 50_000 });
    expect(run.stderr).to.equal('');
    expect(run.stdout.trim()).to.equal('opened 0');
    expect(lstatSync(join(dataDir, 'lost+found')).uid).to.equal(0);
  });

  // The walk runs before the lock is taken, while another process's PGlite may be writing: a directory gone between
  // its listing and its reading is gone, not a directory this process could not read (not_writable).
  it('a directory removed during the walk counts as gone', async () => {
    const dataDir = await copyMigratedDataDir(join(root, 'busy'));
    const vanishing = join(dataDir, 'pg_stat_tmp');
    const removals: string[] = [];
    const fs = {
      readdirSync: (path: string) => {
        if (path === vanishing) {
          rmSync(path, { recursive: true });
          removals.push(path);
        }
        return readdirSync(path);
      },
      lstatSync: (path: string) => lstatSync(path),
    };
    expect(unusableEntry(dataDir, 0, fs)).to.equal(undefined);
    expect(removals).to.deep.equal([vanishing]);
  });
});
