import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { lockDataDir } from '../dist/data-dir-lock.js';
import { expectOneHolderAtEveryStep, lockRefusal, original, ownerRecord, stop, useDataDirs } from './support/lock-steps.js';

// A lock whose pid now runs another process: after a reboot (a power cut) the pid of a payhost that
// held the directory may belong to a system daemon, and within a boot pids are reused. The lock's
// `start` (boot id and start time, Linux's /proc) tells its writer apart: such a lock is stale and
// taken over, while a lock whose pid still runs its writer stands.

const OTHER_BOOT = '00000000-0000-0000-0000-000000000000';

function bootId(): string {
  return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** Field 3 (state) and field 22 (start time in clock ticks since boot) of /proc/<pid>/stat. */
function stat(pid: number): { state: string; startTime: number } {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, startTime: Number(fields[19]) };
}

/** A live process that is not payhost (what a reused pid runs: a daemon), until stopped. */
function unrelatedProcess(): ChildProcess {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not start sleep');
  return child;
}


/** Opens `dataDir`: the lock must then be ours (this pid, a new token), and `sleeper` is left running. */
function expectTakenOver(dataDir: string, stale: string, sleeper: ChildProcess): void {
  const lock = lockDataDir(dataDir);
  try {
    const now = original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8');
    expect(now).not.to.equal(stale);
    expect(JSON.parse(now)).to.deep.include({ pid: process.pid });
  } finally {
    lock.release();
  }
  expect(fs.readdirSync(dataDir)).to.deep.equal([]);
  expect(sleeper.exitCode === null && sleeper.signalCode === null, 'the process with the old pid is left alone').to.equal(true);
}

describe('PGlite data directory lock: a pid that now runs another process', function () {
  this.timeout(120_000);
  const { root, newDir } = useDataDirs('payhost-lock-reused-pid-');
  const writeLock = (dataDir: string, text: string) => original.writeFileSync(join(dataDir, 'payhost.lock'), text);


  it("takes over a lock of an earlier boot whose pid runs another process now (a power cut, then a daemon got the pid)", async () => {
    const sleeper = unrelatedProcess();
    try {
      const dataDir = newDir();
      const stale = ownerRecord(sleeper.pid!, { start: `${OTHER_BOOT}:${stat(sleeper.pid!).startTime}` });
      writeLock(dataDir, stale);
      expectTakenOver(dataDir, stale, sleeper);
    } finally {
      await stop(sleeper);
    }
  });

  it('takes over a lock of this boot whose pid was reused by a process started at another time', async () => {
    const sleeper = unrelatedProcess();
    try {
      const dataDir = newDir();
      const stale = ownerRecord(sleeper.pid!, { start: `${bootId()}:${stat(sleeper.pid!).startTime - 1}` });
      writeLock(dataDir, stale);
      expectTakenOver(dataDir, stale, sleeper);
    } finally {
      await stop(sleeper);
    }
  });

  it("refuses while the lock's pid runs the process that wrote it (this boot, its start time), and leaves the lock", async () => {
    const sleeper = unrelatedProcess();
    try {
      const dataDir = newDir();
      const held = ownerRecord(sleeper.pid!, { start: `${bootId()}:${stat(sleeper.pid!).startTime}` });
      writeLock(dataDir, held);
      const error = lockRefusal(dataDir);
      expect(error.message).to.include(`in use by process ${sleeper.pid}`);
      expect(error.details).to.deep.include({ dataDir, pid: sleeper.pid });
      expect(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8')).to.equal(held);
    } finally {
      await stop(sleeper);
    }
  });

  it('refuses a lock without a start (an older payhost wrote it) while its pid runs a process, as before', async () => {
    const sleeper = unrelatedProcess();
    try {
      const dataDir = newDir();
      const held = ownerRecord(sleeper.pid!);
      writeLock(dataDir, held);
      expect(lockRefusal(dataDir).details).to.deep.include({ dataDir, pid: sleeper.pid });
      expect(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8')).to.equal(held);
    } finally {
      await stop(sleeper);
    }
  });

  it('takes over the lock of a process that exited but is not reaped yet (a zombie), whose start matches', async () => {
    const sleeper = unrelatedProcess();
    try {
      const dataDir = newDir();
      const stale = ownerRecord(sleeper.pid!, { start: `${bootId()}:${stat(sleeper.pid!).startTime}` });
      writeLock(dataDir, stale);
      // Killed; Node reaps its children only from its event loop, which does not run before the open below.
      sleeper.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (stat(sleeper.pid!).state !== 'Z') {
        if (Date.now() > deadline) throw new Error('the killed child never became a zombie');
      }
      const lock = lockDataDir(dataDir);
      expect(JSON.parse(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: process.pid });
      expect(stat(sleeper.pid!).state, 'still a zombie when the lock was taken').to.equal('Z');
      lock.release();
    } finally {
      await stop(sleeper);
    }
  });

  it('never lets two processes hold a directory whose lock names a reused pid, wherever the second one comes in', async () => {
    const sleeper = unrelatedProcess();
    try {
      const start = `${bootId()}:${stat(sleeper.pid!).startTime + 1}`;
      await expectOneHolderAtEveryStep(() => {
        const dataDir = newDir();
        writeLock(dataDir, ownerRecord(sleeper.pid!, { start }));
        return dataDir;
      }, root());
    } finally {
      await stop(sleeper);
    }
  });
});
