import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PayhostError } from '@payhost/core';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';
import { notOwned, notPrivate } from '../dist/data-dir-mode.js';

// The embedded database's directory holds the ledger and, without server.pluginSettingsKey, saved
// processor secrets in plain text, in files PGlite makes readable by everyone: only its owner may enter it.

const modeOf = (path: string): number => statSync(path).mode & 0o777;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });

function chownRecursive(dir: string, uid: number): void {
  for (const path of [dir, ...walk(dir)]) chownSync(path, uid, uid);
}

const filesOwnedBy = (dir: string, uid: number): string[] => walk(dir).filter((path) => lstatSync(path).uid === uid);

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

  // Another user's directory (root's, made 0777 for a server run as nobody) was left open as it was, and
  // PGlite wrote its files 0666 in it: any local user could read and rewrite the ledger and saved secrets.
  describe('a directory another user owns', () => {
    const S_IFDIR = 0o040000;
    const nobody = 65534;

    it('is refused when the group or others may enter it (0777, 0770, 0750, 0705, 0701), naming its owner and mode and the ways out', () => {
      for (const mode of [0o777, 0o770, 0o750, 0o705, 0o701]) {
        const octal = `0${mode.toString(8)}`;
        const error = notPrivate('/srv/data', { uid: 0, mode: S_IFDIR | mode }, nobody);
        expect(error, octal).to.be.instanceOf(PayhostError);
        expect(error?.code).to.equal('invalid_configuration');
        expect(error?.message, octal).to.equal(
          `The embedded database's data directory /srv/data cannot be used: it belongs to uid 0, not to this process's user (uid 65534), ` +
            `and its mode ${octal} lets the group or others enter it, read and rewrite the ledger and any secret saved in it ` +
            `(PGlite's files are readable and writable by everyone); chown 65534 /srv/data (this process then narrows it to 0700), ` +
            `or point dataDir at a subdirectory of it, which this process creates 0700.`,
        );
        expect(error?.details).to.deep.equal({ dataDir: '/srv/data', reason: 'not_private', mode: octal, ownerUid: 0, processUid: nobody });
      }
    });

    it('is refused as root too (it does not narrow another user\'s directory), saying to run as its owner or make it root\'s', () => {
      const error = notPrivate('/srv/data', { uid: nobody, mode: S_IFDIR | 0o777 }, 0);
      expect(error?.details).to.deep.equal({ dataDir: '/srv/data', reason: 'not_private', mode: '0777', ownerUid: nobody, processUid: 0 });
      expect(error?.message).to.include('it belongs to uid 65534, not to this process\'s user (uid 0), and its mode 0777 lets the group or others enter it');
      expect(error?.message).to.include('; run payhost as uid 65534 (it then narrows it to 0700) or chown -R root /srv/data, or point dataDir at a subdirectory of it');
    });

    it('is not refused when only its owner may enter it (0700, 0500: then whether this process may use it decides), nor is one of this user\'s own', () => {
      expect(notPrivate('/srv/data', { uid: nobody, mode: S_IFDIR | 0o700 }, 0)).to.equal(undefined);
      expect(notPrivate('/srv/data', { uid: 0, mode: S_IFDIR | 0o500 }, nobody)).to.equal(undefined);
      expect(notPrivate('/srv/data', { uid: nobody, mode: S_IFDIR | 0o777 }, nobody)).to.equal(undefined);
      expect(notPrivate('/srv/data', { uid: 0, mode: S_IFDIR | 0o777 }, 0)).to.equal(undefined);
    });

    // Tests run as root (as the 0500 ones above assume): a directory chowned to nobody is another user's, for root too.
    it('createPgliteStore refuses a real one (nobody\'s, 0777) before creating anything in it, leaving its mode; opens it once root\'s', async () => {
      const dataDir = join(root, 'nobodys');
      mkdirSync(dataDir);
      chownSync(dataDir, nobody, nobody);
      chmodSync(dataDir, 0o777);
      const error = await refusal(dataDir, true);
      expect(error, String(error)).to.be.instanceOf(PayhostError);
      expect(error.code).to.equal('invalid_configuration');
      expect(error.message).to.include(`data directory ${dataDir} cannot be used: it belongs to uid 65534, not to this process's user (uid 0)`);
      expect(error.details).to.deep.equal({ dataDir, reason: 'not_private', mode: '0777', ownerUid: nobody, processUid: 0 });
      expect(readdirSync(dataDir), 'created in it').to.deep.equal([]);
      expect(modeOf(dataDir).toString(8)).to.equal('777');
      chownSync(dataDir, 0, 0); // as its message says
      await (await createPgliteStore({ dataDir, fsync: false })).close();
      expect(modeOf(dataDir).toString(8)).to.equal('700');
    });

    // Root used to open another user's private directory: PGlite then created root's files in it (some 0600), and
    // its owner's next start failed with "PGlite could not open the database in it (Aborted()...)".
    it('is refused when private to its owner too, to root as well, as PostgreSQL refuses (not_owner), naming its owner and the ways out', async () => {
      const dataDir = await copyMigratedDataDir(join(root, 'nobodys-private'));
      chownRecursive(dataDir, nobody);
      chmodSync(dataDir, 0o700);
      const before = readdirSync(dataDir).sort();
      const error = await refusal(dataDir, true);
      expect(error, String(error)).to.be.instanceOf(PayhostError);
      expect(error.code).to.equal('invalid_configuration');
      expect(error.message).to.equal(
        `The embedded database's data directory ${dataDir} cannot be used: it belongs to uid 65534, not to this process's user (uid 0); ` +
          `files this process created in it would be root's, and uid 65534's server could not open the database any more. ` +
          `Run payhost as uid 65534 (e.g. sudo -u '#65534' ...), or, to give the directory to this user for good, chown -R 0 ${dataDir}.`,
      );
      expect(error.details).to.deep.equal({ dataDir, reason: 'not_owner', ownerUid: nobody, processUid: 0 });
      expect(readdirSync(dataDir).sort(), 'no lock file, nothing new').to.deep.equal(before);
      expect(filesOwnedBy(dataDir, 0), 'root\'s files in it').to.deep.equal([]);
    });

    it('notOwned: undefined for this user\'s own directory; names the uids for another user\'s', () => {
      expect(notOwned('/srv/data', { uid: 1000 }, 1000)).to.equal(undefined);
      expect(notOwned('/srv/data', { uid: 0 }, 0)).to.equal(undefined);
      const error = notOwned('/srv/data', { uid: 0 }, 1000);
      expect(error?.details).to.deep.equal({ dataDir: '/srv/data', reason: 'not_owner', ownerUid: 0, processUid: 1000 });
      expect(error?.message).to.include("files this process created in it would be uid 1000's");
    });
  });

  // The files inside: PGlite stopped with a bare "Aborted()" on one it could not open (left by a command run as root).
  describe('the files inside it', () => {
    const nobody = 65534;

    async function expectNotWritable(dataDir: string, file: string, reason: string, details: Record<string, unknown>): Promise<void> {
      const before = readdirSync(dataDir).sort();
      const error = await refusal(dataDir, true);
      expect(error, String(error)).to.be.instanceOf(PayhostError);
      expect(error.code).to.equal('invalid_configuration');
      expect(error.message).to.equal(`The embedded database's data directory ${dataDir} cannot be used: PGlite could not open ${join(dataDir, file)} in it: ${reason}.`);
      expect(error.details).to.deep.equal({ dataDir, reason: 'not_writable', file: join(dataDir, file), ...details });
      expect(readdirSync(dataDir).sort(), 'no lock file, nothing new').to.deep.equal(before);
    }

    it('a file of another user\'s (as a command run as root leaves), even one this user may write (0666): not_writable naming it and chown -R', async () => {
      for (const [name, file, mode] of [['0600', 'pg_logical/replorigin_checkpoint', 0o600], ['0666', 'base/5/PG_VERSION', 0o666]] as const) {
        const dataDir = await copyMigratedDataDir(join(root, name));
        chownSync(join(dataDir, file), nobody, nobody);
        chmodSync(join(dataDir, file), mode);
        const octal = `0${mode.toString(8)}`;
        await expectNotWritable(
          dataDir,
          file,
          `it belongs to uid 65534, not to this process's user (uid 0), as when a payhost command was run on it as another user (e.g. root); ` +
            `give all of it back to this user: chown -R 0 ${dataDir}`,
          { ownerUid: nobody, processUid: 0, mode: octal },
        );
        chownSync(join(dataDir, file), 0, 0); // as its message says
        await (await createPgliteStore({ dataDir, fsync: false })).close();
      }
    });

    // Tests run as root, whom access() never refuses: the check goes by the mode bits, as PGlite's file system does.
    it('a file its owner may not write (0400, 0000) or a directory it may not write (0500): not_writable naming it and chmod -R u+rwX', async () => {
      for (const [name, file, mode, what] of [
        ['file-0400', 'global/pg_control', 0o400, 'read and write'],
        ['file-0000', 'pg_logical/replorigin_checkpoint', 0o000, 'read and write'],
        ['dir-0500', 'base/5', 0o500, 'read, write and enter'],
      ] as const) {
        const dataDir = await copyMigratedDataDir(join(root, name));
        chmodSync(join(dataDir, file), mode);
        const octal = mode.toString(8).padStart(4, '0');
        await expectNotWritable(dataDir, file, `its mode is ${octal}: its owner must be able to ${what} it; chmod -R u+rwX ${dataDir}`, { mode: octal });
        chmodSync(join(dataDir, file), mode === 0o500 ? 0o700 : 0o600);
        await (await createPgliteStore({ dataDir, fsync: false })).close();
      }
    });
  });

  it('refuses a data directory path that is a file, and says so', async () => {
    const dataDir = join(root, 'a-file');
    writeFileSync(dataDir, '');
    const error = await refusal(dataDir, false);
    expect(error.code, String(error)).to.equal('invalid_configuration');
    expect(error.message).to.equal(`The embedded database's data directory ${dataDir} cannot be used: it is not a directory.`);
    expect(error.details).to.deep.equal({ dataDir, reason: 'not_a_directory' });
  });

  it('a database PGlite cannot open (its control file damaged): invalid_configuration naming the directory, the lock released', async () => {
    const dataDir = await copyMigratedDataDir(join(root, 'damaged'));
    const control = join(dataDir, 'global', 'pg_control');
    const saved = readFileSync(control);
    writeFileSync(control, Buffer.alloc(saved.length, 0x55));
    const error = await refusal(dataDir, true);
    expect(error, String(error)).to.be.instanceOf(PayhostError);
    expect(error.code).to.equal('invalid_configuration');
    expect(error.message).to.match(new RegExp(`^The embedded database's data directory ${dataDir} cannot be used: PGlite could not open the database in it \\(.+\\); check`));
    expect(error.details).to.deep.equal({ dataDir, reason: 'open_failed' });
    expect(readdirSync(dataDir)).to.not.include('payhost.lock');
    writeFileSync(control, saved);
    await (await createPgliteStore({ dataDir, fsync: false })).close();
  });
});
