import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import sinon from 'sinon';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { makePayment as paymentFixture } from './fixtures.js';

// PGlite 0.5 runs Postgres with fsync off, and its Node file system cannot flush a file: a commit
// reached only the kernel's page cache. The store in a data directory flushes every commit to the
// disk (the WAL file's fsync) before the commit returns, as a PostgreSQL server does.

describe('PGlite store in a data directory: commits are flushed to the disk', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqlLedgerStore | null = null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payhost-fsync-'));
  });
  afterEach(async () => {
    sinon.restore();
    await store?.close();
    store = null;
    await rm(dir, { recursive: true, force: true });
  });

  async function setting(name: string): Promise<string | undefined> {
    const [row] = await store!.driver.session((c) => c.query<{ setting: string }>('SELECT setting FROM pg_settings WHERE name = $1', [name]));
    return row?.setting;
  }

  /** How many times the host's fsync ran while `fn` committed. */
  async function fsyncsDuring(fn: () => Promise<void>): Promise<number> {
    const spy = sinon.spy(fs, 'fsyncSync');
    try {
      await fn();
      return spy.callCount;
    } finally {
      spy.restore();
    }
  }

  it('runs Postgres with fsync on, and every commit fsyncs before it returns', async () => {
    store = await createPgliteStore({ dataDir: dir });
    expect(await setting('fsync')).to.equal('on');
    expect(await setting('wal_sync_method')).to.equal('fsync');
    for (const n of [1, 2, 3]) {
      const flushed = await fsyncsDuring(() => store!.transaction((tx) => tx.insertPayment(paymentFixture({ id: `00000000-0000-4000-8000-00000000000${n}` }))));
      expect(flushed, `commit ${n}`).to.be.at.least(1);
    }
    // A read-only session writes no WAL: nothing to flush.
    expect(await fsyncsDuring(async () => void (await store!.getPayment('00000000-0000-4000-8000-000000000001')))).to.equal(0);
  });

  it('keeps what it committed across a reopen', async () => {
    store = await createPgliteStore({ dataDir: dir });
    await store.transaction((tx) => tx.insertPayment(paymentFixture({ id: '00000000-0000-4000-8000-0000000000aa' })));
    await store.close();
    store = await createPgliteStore({ dataDir: dir });
    expect((await store.getPayment('00000000-0000-4000-8000-0000000000aa'))?.id).to.equal('00000000-0000-4000-8000-0000000000aa');
    expect(await setting('fsync')).to.equal('on');
  });

  it('with fsync: false, runs as PGlite does by default (no flush)', async () => {
    store = await createPgliteStore({ dataDir: dir, fsync: false });
    expect(await setting('fsync')).to.equal('off');
    expect(await fsyncsDuring(() => store!.transaction((tx) => tx.insertPayment(paymentFixture({ id: '00000000-0000-4000-8000-0000000000bb' }))))).to.equal(0);
  });

  /** Every file and directory under `root` (relative paths), and root itself as ''. */
  function tree(root: string): string[] {
    const out = [''];
    for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
      out.push(relative(root, join(entry.parentPath, entry.name)));
    }
    return out;
  }

  it('flushes a new data directory once PGlite has written the database into it (every file and directory)', async () => {
    const opened = new Map<number, string>();
    const flushed = new Set<string>();
    const open = fs.openSync;
    sinon.stub(fs, 'openSync').callsFake(((path: fs.PathLike, ...rest: unknown[]) => {
      const fd = (open as (...args: unknown[]) => number)(path, ...rest);
      opened.set(fd, String(path));
      return fd;
    }) as typeof fs.openSync);
    const fsync = fs.fsyncSync;
    sinon.stub(fs, 'fsyncSync').callsFake((fd: number) => {
      const path = opened.get(fd);
      if (path !== undefined) flushed.add(path);
      return fsync(fd);
    });
    const dataDir = join(dir, 'new');
    store = await createPgliteStore({ dataDir, migrate: false });
    sinon.restore();
    const unflushed = tree(dataDir).filter((path) => !flushed.has(join(dataDir, path).replace(/\/$/, '')));
    expect(unflushed, 'files and directories never flushed').to.deep.equal([]);
    expect(flushed.has(dir), 'the parent, which holds the directory entry').to.equal(true);
  });

  it('stops the process when the disk cannot flush, instead of hanging or acknowledging the commit; a restart recovers what was acknowledged', async () => {
    const child = join(dirname(fileURLToPath(import.meta.url)), 'support', 'fsync-failure-child.mjs');
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk));
    // A process that hangs instead (the old behaviour spun at full CPU) is ended with SIGTERM: the test fails on it.
    const guard = setTimeout(() => proc.kill('SIGTERM'), 30_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.once('exit', (c, s) => resolve([c, s])));
    clearTimeout(guard);
    expect(out).to.equal('committed before\n');
    expect(signal, `exit code ${code}, stderr: ${err}`).to.equal('SIGKILL');
    expect(err).to.include('payhost: FATAL: the embedded database could not flush a file to the disk (EIO: i/o error, fsync)');
    store = await createPgliteStore({ dataDir: dir });
    const events = await store.driver.session((c) => c.query<{ event_id: string }>('SELECT event_id FROM webhook_events ORDER BY event_id'));
    expect(events.map((e) => e.event_id)).to.include('before');
  });
});
