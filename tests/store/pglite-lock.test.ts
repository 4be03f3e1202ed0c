import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { createPgliteStore } from '@payhost/store-postgres';
import { makePayment } from './fixtures.js';

// One process at a time per data directory: PGlite has no cross-process
// locking, and two processes on one directory lose each other's writes.

/** A child process holding the store open on `dataDir` until killed. */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  const script = `
    import { createPgliteStore } from '@payhost/store-postgres';
    await createPgliteStore({ dataDir: ${JSON.stringify(dataDir)} });
    console.log('open');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('open')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before opening the store`)));
  });
  return child;
}

async function refusal(open: () => Promise<{ close(): Promise<void> }>): Promise<unknown> {
  let store: { close(): Promise<void> };
  try {
    store = await open();
  } catch (error) {
    return error;
  }
  await store.close(); // Not left open (it would keep the process alive).
  throw new Error('expected the store to be refused');
}

describe('PGlite data directory lock', function () {
  this.timeout(60_000);
  let root = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'payhost-pglite-lock-'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses a second store on the same directory in this process, and frees it on close', async () => {
    const dataDir = join(root, 'same-process');
    const first = await createPgliteStore({ dataDir });
    const payment = makePayment();
    await first.transaction((tx) => tx.insertPayment(payment));
    const error = await refusal(() => createPgliteStore({ dataDir }));
    expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
    // It is this process: close the other store, not "stop that process" (nor delete a lock a live store holds).
    expect((error as Error).message)
      .to.include(dataDir)
      .and.include(`already open in this process (pid ${process.pid}): another store of this process holds it`)
      .and.include('close that store first');
    expect((error as Error).message).not.to.match(/stop that process|delete/);
    expect((error as PayhostError).details).to.deep.equal({ dataDir, lockFile: join(dataDir, 'payhost.lock'), pid: process.pid, host: hostname() });
    await first.close();
    expect(existsSync(join(dataDir, 'payhost.lock'))).to.equal(false);

    const second = await createPgliteStore({ dataDir });
    try {
      expect((await second.getPayment(payment.id))?.id).to.equal(payment.id);
    } finally {
      await second.close();
    }
  });

  it('refuses the same directory reached through a symlinked parent, and the first store keeps its lock', async () => {
    const parent = join(root, 'real-parent');
    await mkdir(parent);
    await symlink(parent, join(root, 'linked-parent'));
    const dataDir = join(parent, 'data');
    const first = await createPgliteStore({ dataDir });
    try {
      const error = await refusal(() => createPgliteStore({ dataDir: join(root, 'linked-parent', 'data') }));
      expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
      expect((error as Error).message).to.include(join(root, 'linked-parent', 'data')).and.include(`already open in this process (pid ${process.pid})`);
      expect(JSON.parse(await readFile(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: process.pid });
    } finally {
      await first.close();
    }
    expect(existsSync(join(dataDir, 'payhost.lock'))).to.equal(false);
  });

  it('removes only its own lock on close, not one another open wrote with the same pid and host', async () => {
    const dataDir = join(root, 'own-lock');
    const store = await createPgliteStore({ dataDir });
    // What another open of this pid and host (another copy of this module, a worker thread) would hold.
    const other = JSON.stringify({ pid: process.pid, host: hostname() });
    await writeFile(join(dataDir, 'payhost.lock'), other);
    await store.close();
    expect(await readFile(join(dataDir, 'payhost.lock'), 'utf8')).to.equal(other);
  });

  it('refuses a directory another running process has open, and takes it over once that process died', async () => {
    const dataDir = join(root, 'other-process');
    const child = await holdInChild(dataDir);
    try {
      const error = await refusal(() => createPgliteStore({ dataDir }));
      expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
      expect((error as { details?: unknown }).details).to.deep.include({ dataDir, pid: child.pid });
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // The lock file stays behind after a crash; its process is gone, so it is stale.
    expect(JSON.parse(await readFile(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: child.pid });
    const store = await createPgliteStore({ dataDir });
    try {
      expect(JSON.parse(await readFile(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: process.pid });
    } finally {
      await store.close();
    }
  });

  it('takes over the lock of a process that ran before a reboot, whose pid now runs another process', async () => {
    const dataDir = join(root, 'rebooted');
    const first = await createPgliteStore({ dataDir });
    await first.close();
    // After a power cut: the lock of the crashed server, whose pid a daemon of this boot got.
    const daemon = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      const stat = await readFile(`/proc/${daemon.pid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const token = '10f8'.padEnd(32, '0');
      await writeFile(
        join(dataDir, 'payhost.lock'),
        JSON.stringify({ pid: daemon.pid, host: hostname(), token, start: `00000000-0000-0000-0000-000000000000:${startTime}` }),
      );
      const store = await createPgliteStore({ dataDir });
      try {
        expect(JSON.parse(await readFile(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: process.pid });
      } finally {
        await store.close();
      }
      expect(daemon.exitCode, 'the daemon is left alone').to.equal(null);
    } finally {
      daemon.kill('SIGKILL');
      await new Promise((resolve) => daemon.once('exit', resolve));
    }
  });

  it('leaves the lock of a process on another host alone', async () => {
    const dataDir = join(root, 'other-host');
    const first = await createPgliteStore({ dataDir });
    await first.close();
    await writeFile(join(dataDir, 'payhost.lock'), JSON.stringify({ pid: process.pid, host: `not-${hostname()}` }));
    const error = await refusal(() => createPgliteStore({ dataDir }));
    expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
    expect((error as Error).message).to.include(`on host not-${hostname()}`);
  });
});
