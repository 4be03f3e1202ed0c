import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isPayhostError } from '@payhost/core';
import { lockDataDir } from '../dist/data-dir-lock.js';
import { crashingOpen, deadPid, expectOneHolderAtEveryStep, LOCK_MODULE, lockRefusal, original, stop, withSteps, useDataDirs } from './support/lock-steps.js';

// A process that dies in the middle of taking over a dead process's lock leaves
// `payhost.lock.takeover` (and maybe a guard file) behind. Its process is gone
// too, so the next open takes the directory, and of two opening together, one.

/** An owner record as the lock module writes it. */
function owner(pid: number, host = hostname()): string {
  return JSON.stringify({ pid, host, token: randomBytes(16).toString('hex') });
}


/** Opens `dataDir` here; true when it got the lock (then released). */
function opens(dataDir: string): boolean {
  try {
    lockDataDir(dataDir).release();
    return true;
  } catch (error) {
    expect(isPayhostError(error, 'data_dir_in_use'), String(error)).to.equal(true);
    return false;
  }
}

describe('PGlite data directory lock: a crash during a takeover', function () {
  this.timeout(180_000);
  const { root, newDir } = useDataDirs('payhost-lock-takeover-');
  /** A lock whose process died, and a takeover of it whose process died too. */
  const crashedTakeover = (dataDir: string) => {
    original.writeFileSync(join(dataDir, 'payhost.lock'), owner(deadPid()));
    original.writeFileSync(join(dataDir, 'payhost.lock.takeover'), owner(deadPid()));
  };


  it('takes over a directory whose takeover file is left by a dead process, and leaves no lock file of it', () => {
    const dataDir = newDir();
    crashedTakeover(dataDir);
    const lock = lockDataDir(dataDir);
    expect(JSON.parse(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8'))).to.deep.include({ pid: process.pid });
    lock.release();
    expect(fs.readdirSync(dataDir)).to.deep.equal([]);
  });

  for (const [name, setup] of [
    ['a dead process', (dataDir: string) => original.writeFileSync(join(dataDir, 'payhost.lock'), owner(deadPid()))],
    ['a dead process, whose takeover a dead process left', crashedTakeover],
  ] as const) {
    it(`opens after a process crashed at any step of taking over the lock of ${name}`, () => {
      const crashes: string[] = [];
      for (let at = 1; ; at += 1) {
        if (at > 100) throw new Error('the open never ends');
        const dataDir = newDir();
        setup(dataDir);
        const crash = crashingOpen(dataDir, at);
        if (!crash.crashed) expect(crash.outcome).to.equal('GOT');
        crashes.push(`crashed after step ${at}: left ${fs.readdirSync(dataDir).join(', ')}`);
        expect(opens(dataDir), crashes.join('\n')).to.equal(true);
        // Its own lock only: whatever the crash left is gone or harmless, a second open finds it free.
        expect(opens(dataDir), crashes.join('\n')).to.equal(true);
        if (!crash.crashed) break;
      }
      expect(crashes.length).to.be.greaterThan(5);
    });
  }

  it('refuses while a live process holds the takeover file, and leaves it', async () => {
    const dataDir = newDir();
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      original.writeFileSync(join(dataDir, 'payhost.lock'), owner(deadPid()));
      const takeover = owner(live.pid!);
      original.writeFileSync(join(dataDir, 'payhost.lock.takeover'), takeover);
      const error = lockRefusal(dataDir);
      expect(error.message).to.include(`by process ${live.pid} right now`).and.include(`delete ${join(dataDir, 'payhost.lock.takeover')}`);
      expect(error.details).to.deep.include({ dataDir, pid: live.pid, lockFile: join(dataDir, 'payhost.lock.takeover') });
      expect(original.readFileSync(join(dataDir, 'payhost.lock.takeover'), 'utf8')).to.equal(takeover);
    } finally {
      await stop(live);
    }
  });

  it('refuses a takeover file of another host, or one that cannot be read, naming the file to delete and when', () => {
    for (const [content, says] of [
      [owner(process.pid, `not-${hostname()}`), `by process ${process.pid} on host not-${hostname()}, which payhost cannot check`],
      ['', 'cannot be checked (it is empty)'],
      [JSON.stringify({ pid: deadPid(), host: hostname() }), 'cannot be checked (it holds no token this version writes)'],
    ] as const) {
      const dataDir = newDir();
      original.writeFileSync(join(dataDir, 'payhost.lock'), owner(deadPid()));
      original.writeFileSync(join(dataDir, 'payhost.lock.takeover'), content);
      const error = lockRefusal(dataDir);
      expect(error.message).to.include(says).and.include(`delete ${join(dataDir, 'payhost.lock.takeover')}`).and.include('Once ');
      expect(original.readFileSync(join(dataDir, 'payhost.lock.takeover'), 'utf8')).to.equal(content);
    }
  });

  it('refuses, naming the last file, after more crashes in a row inside takeovers than it takes apart', () => {
    const dataDir = newDir();
    original.writeFileSync(join(dataDir, 'payhost.lock'), owner(deadPid()));
    let file = join(dataDir, 'payhost.lock.takeover');
    for (let level = 0; level < 4; level += 1) {
      const text = owner(deadPid());
      original.writeFileSync(file, text);
      file = `${file}.${(JSON.parse(text) as { token: string }).token}`;
    }
    const deepest = file.slice(0, file.lastIndexOf('.'));
    const error = lockRefusal(dataDir);
    expect(error.message).to.include('several crashes in a row').and.include(`Delete ${deepest}`);
    fs.unlinkSync(deepest);
    expect(opens(dataDir)).to.equal(true);
  });

  it('never removes a takeover file that replaced the dead one while it looked, wherever that happens', async () => {
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const newer = owner(live.pid!);
      for (let at = 1; ; at += 1) {
        if (at > 100) throw new Error('the open never ends');
        const dataDir = newDir();
        crashedTakeover(dataDir);
        const takeover = join(dataDir, 'payhost.lock.takeover');
        const dead = original.readFileSync(takeover, 'utf8');
        const guard = `${takeover}.${(JSON.parse(dead) as { token: string }).token}`;
        const lock = original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8');
        let replaced = false;
        let error: unknown;
        try {
          withSteps(
            (n) => {
              // What another process did meanwhile: removed the dead one under the guard, linked its own, and is still taking over.
              if (n === at && !fs.existsSync(guard) && fs.existsSync(takeover) && original.readFileSync(takeover, 'utf8') === dead) {
                original.unlinkSync(takeover);
                original.writeFileSync(takeover, newer);
                replaced = true;
              }
            },
            () => lockDataDir(dataDir),
          ).release();
        } catch (e) {
          error = e;
        }
        if (!replaced) break; // This open had taken the guard by then.
        expect(isPayhostError(error, 'data_dir_in_use'), `replaced at step ${at}: ${String(error)}`).to.equal(true);
        expect(original.readFileSync(takeover, 'utf8'), `replaced at step ${at}`).to.equal(newer);
        expect(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8'), `replaced at step ${at}`).to.equal(lock);
      }
    } finally {
      await stop(live);
    }
  });

  it('never lets two processes hold it after a crashed takeover, wherever the second one comes in', async () => {
    await expectOneHolderAtEveryStep(() => {
      const dataDir = newDir();
      crashedTakeover(dataDir);
      return dataDir;
    }, root());
  });

  it('lets exactly one of several processes starting together after a crashed takeover have it', async () => {
    const dataDir = newDir();
    crashedTakeover(dataDir);
    const script = `
      import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
      process.stdin.once('data', () => {
        let outcome;
        try { lockDataDir(${JSON.stringify(dataDir)}); outcome = 'GOT'; } catch (e) { outcome = 'REFUSED ' + (e.code ?? e.message); }
        console.log(outcome);
        setInterval(() => {}, 1000);
      });
      console.log('ready');`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      const lines = children.map((child) => {
        const seen: string[] = [];
        let buffered = '';
        const waiting: Array<() => void> = [];
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const parts = buffered.split('\n');
          buffered = parts.pop()!;
          seen.push(...parts);
          for (const wake of waiting.splice(0)) wake();
        });
        return async (count: number) => {
          while (seen.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
          return seen[count - 1]!;
        };
      });
      expect(await Promise.all(lines.map((line) => line(1)))).to.deep.equal(children.map(() => 'ready'));
      // All at once: each is waiting on its stdin with the module loaded.
      for (const child of children) child.stdin.write('go\n');
      const outcomes = await Promise.all(lines.map((line) => line(2)));
      expect(outcomes.filter((o) => o === 'GOT'), outcomes.join(', ')).to.have.length(1);
      expect(outcomes.filter((o) => o === 'REFUSED data_dir_in_use'), outcomes.join(', ')).to.have.length(children.length - 1);
    } finally {
      await Promise.all(children.map(stop));
    }
  });
});
