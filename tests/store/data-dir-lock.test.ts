import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { expect } from 'chai';
import { isPayhostError } from '@payhost/core';
import { lockDataDir, type DataDirLock } from '../../packages/store-postgres/dist/data-dir-lock.js';

// The data-directory lock, step by step: another process opening the same
// directory at any point of an open must find it either free (and then this
// open fails) or held (and then it is refused). Never both holding it.

const LOCK_MODULE = resolve('packages/store-postgres/dist/data-dir-lock.js');

const original = {
  writeFileSync: fs.writeFileSync,
  readFileSync: fs.readFileSync,
  linkSync: fs.linkSync,
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
};

/** Blocks this thread for `ms` (the child runs meanwhile). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Opener {
  child: ChildProcess;
  outcome: string;
}

/**
 * Starts another process that tries to lock `dataDir` and waits (this thread
 * blocked, so the open under test stays exactly where it is) for its outcome:
 * `GOT` (it keeps holding the lock until killed) or `REFUSED <code>`.
 */
function openInChild(dataDir: string, resultFile: string): Opener {
  const script = `
    import { writeFileSync } from 'node:fs';
    import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
    let outcome;
    try { lockDataDir(${JSON.stringify(dataDir)}); outcome = 'GOT'; } catch (e) { outcome = 'REFUSED ' + (e.code ?? e.message); }
    writeFileSync(${JSON.stringify(resultFile)}, outcome);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(resultFile)) {
    if (Date.now() > deadline) throw new Error('the child opener did not answer');
    sleepSync(5);
  }
  return { child, outcome: original.readFileSync(resultFile, 'utf8') };
}

/**
 * Runs `fn` with this module's fs calls on `payhost.lock*` files observed: after
 * each step (a file created but not written yet counts as one), `onStep(n)`.
 */
function withSteps<T>(onStep: (step: number) => void, fn: () => T): T {
  let step = 0;
  const isLockFile = (path: unknown) => typeof path === 'string' && basename(path).startsWith('payhost.lock');
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

describe('PGlite data directory lock, step by step', function () {
  this.timeout(180_000);
  let root = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'payhost-lock-steps-'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  const setups: Record<string, (dataDir: string) => void> = {
    'a free directory': () => undefined,
    'a directory whose owner died (stale lock)': (dataDir) =>
      original.writeFileSync(join(dataDir, 'payhost.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname() })),
  };

  for (const [name, setup] of Object.entries(setups)) {
    it(`never lets two processes hold ${name}, wherever the second one comes in`, async () => {
      // How many steps an open takes here, undisturbed.
      const probe = join(root, `probe-${Object.keys(setups).indexOf(name)}`);
      fs.mkdirSync(probe);
      setup(probe);
      let steps = 0;
      withSteps((n) => (steps = n), () => lockDataDir(probe)).release();
      expect(steps).to.be.greaterThan(0);

      const outcomes: string[] = [];
      for (let at = 1; at <= steps; at += 1) {
        const dataDir = join(root, `${Object.keys(setups).indexOf(name)}-${at}`);
        fs.mkdirSync(dataDir);
        setup(dataDir);
        let other: Opener | undefined;
        let mine: DataDirLock | undefined;
        let refused: unknown;
        try {
          try {
            mine = withSteps(
              (n) => {
                if (n === at) other = openInChild(dataDir, join(root, `result-${Object.keys(setups).indexOf(name)}-${at}`));
              },
              () => lockDataDir(dataDir),
            );
          } catch (error) {
            refused = error;
          }
          if (refused !== undefined) expect(isPayhostError(refused, 'data_dir_in_use'), String(refused)).to.equal(true);
          const theirs = other?.outcome ?? 'not started';
          outcomes.push(`step ${at}: other ${theirs}, this one ${mine ? 'GOT' : 'REFUSED'}`);
          // Exactly one of the two holds it.
          expect(mine !== undefined !== (theirs === 'GOT'), `exactly one holder, at:\n${outcomes.join('\n')}`).to.equal(true);
        } finally {
          mine?.release();
          if (other) {
            other.child.kill('SIGKILL');
            if (other.child.exitCode === null && other.child.signalCode === null) await new Promise((r) => other!.child.once('exit', r));
          }
        }
      }
    });
  }

  it('takes an empty or unreadable lock file for a held lock, and says so', async () => {
    for (const content of ['', '{"pid":']) {
      const dataDir = join(root, `unreadable-${content.length}`);
      fs.mkdirSync(dataDir);
      original.writeFileSync(join(dataDir, 'payhost.lock'), content);
      let error: unknown;
      try {
        lockDataDir(dataDir).release();
      } catch (e) {
        error = e;
      }
      expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
      expect((error as Error).message).to.include('cannot be read').and.include(join(dataDir, 'payhost.lock'));
      expect(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8')).to.equal(content);
    }
  });
});
