import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isPayhostError } from '@payhost/core';
import { lockDataDir, type DataDirLock } from '../../dist/data-dir-lock.js';

// Running a data-directory lock open step by step (the fs calls on `payhost.lock*` files), with other
// processes opening, or crashing, at a chosen step.

export const LOCK_MODULE = fileURLToPath(new URL('../../dist/data-dir-lock.js', import.meta.url));

export const original = {
  writeFileSync: fs.writeFileSync,
  readFileSync: fs.readFileSync,
  linkSync: fs.linkSync,
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
};

const isLockFile = (path: unknown) => typeof path === 'string' && basename(path).startsWith('payhost.lock');

/** Blocks this thread for `ms` (a child runs meanwhile). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A pid that ran a process of this host a moment ago and runs none now. */
export function deadPid(): number {
  const child = spawnSync('true');
  if (child.pid === undefined || child.status !== 0) throw new Error('could not run a short-lived child process');
  return child.pid;
}

/** An owner record as the lock module writes it (`token` random unless given; `start` only when given). */
export function ownerRecord(pid: number, options: { host?: string; token?: string; start?: string } = {}): string {
  const { host = hostname(), token = randomBytes(16).toString('hex'), start } = options;
  return JSON.stringify({ pid, host, token, ...(start === undefined ? {} : { start }) });
}

export interface Opener {
  child: ChildProcess;
  outcome: string;
}

/**
 * Starts another process that tries to lock `dataDir` and waits (this thread blocked, so an open under
 * test stays exactly where it is) for its outcome: `GOT` (it keeps holding the lock until killed) or
 * `REFUSED <code>`. The child writes its outcome aside and renames it into place: the file this waits for
 * is never seen created but not yet written (an empty outcome, which a loaded machine made likely).
 */
export function openInChild(dataDir: string, resultFile: string): Opener {
  const script = `
    import { renameSync, writeFileSync } from 'node:fs';
    import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
    let outcome;
    try { lockDataDir(${JSON.stringify(dataDir)}); outcome = 'GOT'; } catch (e) { outcome = 'REFUSED ' + (e.code ?? e.message); }
    writeFileSync(${JSON.stringify(`${resultFile}.part`)}, outcome);
    renameSync(${JSON.stringify(`${resultFile}.part`)}, ${JSON.stringify(resultFile)});
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(resultFile)) {
    if (Date.now() > deadline) throw new Error('the child opener did not answer');
    sleepSync(5);
  }
  return { child, outcome: original.readFileSync(resultFile, 'utf8') };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Opens `dataDir` in another process that kills itself (SIGKILL: no finally, no exit handler) right after
 * its step `crashAt` (counted as withSteps counts them). `crashed` false: it got to the end of the open,
 * whose lock it leaves behind, as any process that dies holding it.
 */
export function crashingOpen(dataDir: string, crashAt: number): { crashed: boolean; outcome: string } {
  const script = `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    import { basename } from 'node:path';
    let step = 0;
    const after = (path, call) => {
      try {
        return call();
      } finally {
        if (typeof path === 'string' && basename(path).startsWith('payhost.lock') && ++step === ${crashAt}) {
          process.kill(process.pid, 'SIGKILL');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        }
      }
    };
    const o = { ...fs };
    fs.writeFileSync = (path, data, options) => {
      const fd = after(path, () => fs.openSync(path, options?.flag ?? 'w'));
      try { fs.writeSync(fd, data); } finally { fs.closeSync(fd); }
      after(path, () => undefined);
    };
    fs.readFileSync = (path, options) => after(path, () => o.readFileSync(path, options));
    fs.linkSync = (from, to) => after(to, () => o.linkSync(from, to));
    fs.renameSync = (from, to) => after(from, () => o.renameSync(from, to));
    fs.unlinkSync = (path) => after(path, () => o.unlinkSync(path));
    syncBuiltinESMExports();
    const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
    try { lockDataDir(${JSON.stringify(dataDir)}); console.log('GOT'); } catch (e) { console.log('REFUSED ' + (e.code ?? e.message)); }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.signal === 'SIGKILL') return { crashed: true, outcome: '' };
  if (child.status !== 0) throw new Error(`the crashing opener failed: ${child.stderr}`);
  return { crashed: false, outcome: child.stdout.trim() };
}

/**
 * Runs `fn` with this module's fs calls on `payhost.lock*` files observed: after each step (a file
 * created but not written yet counts as one), `onStep(n)`.
 */
export function withSteps<T>(onStep: (step: number) => void, fn: () => T): T {
  let step = 0;
  const after = <R>(path: unknown, call: () => R): R => {
    if (!isLockFile(path)) return call();
    try {
      return call();
    } finally {
      onStep(++step);
    }
  };
  const patched = fs as unknown as Record<string, unknown>;
  // writeFileSync is open, then write: the step between is where a reader could see an empty file.
  patched.writeFileSync = (path: fs.PathOrFileDescriptor, data: string, options?: fs.WriteFileOptions) => {
    if (!isLockFile(path)) return original.writeFileSync(path, data, options);
    const flag = typeof options === 'object' && options?.flag ? options.flag : 'w';
    const fd = after(path, () => fs.openSync(path as string, flag));
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    onStep(++step);
  };
  patched.readFileSync = (path: fs.PathOrFileDescriptor, options?: unknown) => after(path, () => original.readFileSync(path, options as BufferEncoding));
  patched.linkSync = (from: fs.PathLike, to: fs.PathLike) => after(to, () => original.linkSync(from, to));
  patched.renameSync = (from: fs.PathLike, to: fs.PathLike) => after(from, () => original.renameSync(from, to));
  patched.unlinkSync = (path: fs.PathLike) => after(path, () => original.unlinkSync(path));
  syncBuiltinESMExports();
  try {
    return fn();
  } finally {
    Object.assign(patched, original);
    syncBuiltinESMExports();
  }
}

/**
 * Opens directories made by `prepare` (each set up the same way) with another process opening the
 * same directory at each step of the open in turn, after an undisturbed open counted the steps: at
 * every step exactly one of the two holds it, and the one refused gets `data_dir_in_use`.
 * `resultDir`: where the other process writes its outcome.
 */
export async function expectOneHolderAtEveryStep(prepare: () => string, resultDir: string): Promise<void> {
  let steps = 0;
  withSteps((n) => (steps = n), () => lockDataDir(prepare())).release();
  expect(steps).to.be.greaterThan(0);

  const outcomes: string[] = [];
  for (let at = 1; at <= steps; at += 1) {
    const dataDir = prepare();
    let other: Opener | undefined;
    let mine: DataDirLock | undefined;
    let refused: unknown;
    try {
      try {
        mine = withSteps(
          (n) => {
            if (n === at) other = openInChild(dataDir, join(resultDir, `result-${basename(dataDir)}`));
          },
          () => lockDataDir(dataDir),
        );
      } catch (error) {
        refused = error;
      }
      if (refused !== undefined) expect(isPayhostError(refused, 'data_dir_in_use'), String(refused)).to.equal(true);
      const theirs = other?.outcome ?? 'not started';
      outcomes.push(`step ${at}: other ${theirs}, this one ${mine ? 'GOT' : 'REFUSED'}`);
      expect(mine !== undefined !== (theirs === 'GOT'), `exactly one holder, at:\n${outcomes.join('\n')}`).to.equal(true);
      // Refused as a lock refuses, not failing on a file removed under it.
      expect(['GOT', 'REFUSED data_dir_in_use', 'not started'], `at:\n${outcomes.join('\n')}`).to.include(theirs);
    } finally {
      mine?.release();
      if (other) await stop(other.child);
    }
  }
}

/** The data_dir_in_use error opening `dataDir` gives; fails the test when the open succeeds (its lock then released). */
export function lockRefusal(dataDir: string): Error & { details?: Record<string, unknown> } {
  let lock: DataDirLock;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
    return error as Error;
  }
  lock.release();
  throw new Error('expected the open to be refused');
}

/**
 * For a describe block: a temporary folder made before its tests and removed after them (`root()`), and
 * `newDir()`, a new empty data directory in it at each call.
 */
export function useDataDirs(prefix: string): { root(): string; newDir(): string } {
  let root = '';
  let dirs = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  return {
    root: () => root,
    newDir() {
      const dataDir = join(root, `d${(dirs += 1)}`);
      fs.mkdirSync(dataDir);
      return dataDir;
    },
  };
}
