import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { lockDataDir } from '../dist/data-dir-lock.js';
import { crashingOpen, deadPid, expectOneHolderAtEveryStep, original, ownerRecord, stop, withSteps, useDataDirs } from './support/lock-steps.js';

// Files that opens which crashed leave beside `payhost.lock` (their own record `payhost.lock.<token>`,
// a dead lock renamed aside `payhost.lock.stale-<token>`, a takeover file and its guards) are removed
// by the next open that gets the lock, when their process is provably gone; never a live one's.

const token = () => randomBytes(16).toString('hex');
const tokenOf = (record: string) => (JSON.parse(record) as { token: string }).token;

describe('PGlite data directory lock: what crashed opens left beside it', function () {
  this.timeout(180_000);
  const { root, newDir } = useDataDirs('payhost-lock-leftovers-');
  const write = (dataDir: string, name: string, text: string) => original.writeFileSync(join(dataDir, name), text);
  const files = (dataDir: string) => fs.readdirSync(dataDir).sort();


  for (const [name, setup] of [
    ['a free directory', () => undefined],
    ['the lock of a dead process', (dataDir: string) => write(dataDir, 'payhost.lock', ownerRecord(deadPid()))],
    [
      'the lock of a dead process, whose takeover a dead process left',
      (dataDir: string) => {
        write(dataDir, 'payhost.lock', ownerRecord(deadPid()));
        write(dataDir, 'payhost.lock.takeover', ownerRecord(deadPid()));
      },
    ],
  ] as const) {
    it(`after a crash at any step of an open of ${name}, the next open that gets the lock removes what it left`, () => {
      let swept = 0;
      for (let at = 1; ; at += 1) {
        if (at > 100) throw new Error('the open never ends');
        const dataDir = newDir();
        setup(dataDir);
        const crash = crashingOpen(dataDir, at);
        const left = files(dataDir).filter((f) => f !== 'payhost.lock');
        const lock = lockDataDir(dataDir);
        // Only an empty record stays (a crash between creating it and writing it): it cannot say whose it is.
        const kept = files(dataDir).filter((f) => f !== 'payhost.lock');
        for (const file of kept) {
          expect(file, `crashed after step ${at}: left ${left.join(', ')}`).to.match(/^payhost\.lock\.[0-9a-f]{32}$/);
          expect(original.readFileSync(join(dataDir, file), 'utf8'), `crashed after step ${at}`).to.equal('');
        }
        swept += left.length - kept.length;
        lock.release();
        if (!crash.crashed) break;
      }
      expect(swept).to.be.greaterThan(1);
    });
  }

  it("removes dead processes' files and leaves live processes', other hosts', this process's and unreadable ones", async () => {
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      // This process's start, as its opens write it (another thread's open in progress would carry it).
      const probe = newDir();
      const probeLock = lockDataDir(probe);
      const ours = JSON.parse(original.readFileSync(join(probe, 'payhost.lock'), 'utf8')) as { start?: string };
      probeLock.release();
      expect(ours.start, 'the lock records the process start (Linux /proc)').to.match(/^[0-9a-f-]+:\d+$/);
      const dataDir = newDir();
      const gone: string[] = [];
      const stays: string[] = [];
      const add = (list: string[], name: string, text: string) => {
        write(dataDir, name, text);
        list.push(name);
      };
      const deadOwn = ownerRecord(deadPid());
      add(gone, `payhost.lock.${tokenOf(deadOwn)}`, deadOwn);
      add(gone, `payhost.lock.stale-${token()}`, ownerRecord(deadPid()));
      add(gone, `payhost.lock.stale-${token()}`, ownerRecord(live.pid!)); // renamed aside: never a lock again
      const deadTakeover = ownerRecord(deadPid());
      add(gone, 'payhost.lock.takeover', deadTakeover);
      const deadGuard = ownerRecord(deadPid());
      add(gone, `payhost.lock.takeover.${tokenOf(deadTakeover)}`, deadGuard);
      add(gone, `payhost.lock.takeover.${tokenOf(deadTakeover)}.${tokenOf(deadGuard)}`, ownerRecord(deadPid()));
      const earlier = ownerRecord(process.pid, { start: `${ours.start!.split(':')[0]}:1` }); // our pid, another process
      add(gone, `payhost.lock.${tokenOf(earlier)}`, earlier);

      const liveOwn = ownerRecord(live.pid!);
      add(stays, `payhost.lock.${tokenOf(liveOwn)}`, liveOwn);
      add(stays, `payhost.lock.takeover.${token()}`, ownerRecord(live.pid!));
      const otherHost = ownerRecord(deadPid(), { host: `not-${hostname()}` });
      add(stays, `payhost.lock.${tokenOf(otherHost)}`, otherHost);
      const thisProcess = ownerRecord(process.pid, { start: ours.start! });
      add(stays, `payhost.lock.${tokenOf(thisProcess)}`, thisProcess);
      const noStart = ownerRecord(process.pid); // our pid, and no start to tell whose: not provably gone
      add(stays, `payhost.lock.${tokenOf(noStart)}`, noStart);
      add(stays, `payhost.lock.${token()}`, ownerRecord(deadPid())); // its token is not its name's: not an open's record
      add(stays, `payhost.lock.${token()}`, '');
      add(stays, `payhost.lock.stale-${token()}`, 'not json');
      add(stays, 'payhost.lock.backup', ownerRecord(deadPid())); // not a name the lock writes
      const before = new Map(stays.map((name) => [name, original.readFileSync(join(dataDir, name), 'utf8')]));

      const lock = lockDataDir(dataDir);
      expect(files(dataDir)).to.deep.equal(['payhost.lock', ...stays].sort());
      for (const [name, text] of before) expect(original.readFileSync(join(dataDir, name), 'utf8'), name).to.equal(text);
      lock.release();
      expect(files(dataDir)).to.deep.equal([...stays].sort());
    } finally {
      await stop(live);
    }
  });

  it('never removes a takeover file that replaced the dead one while it swept, wherever that happens', async () => {
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const newer = ownerRecord(live.pid!);
      let replacedAt = 0;
      for (let at = 1; ; at += 1) {
        if (at > 100) throw new Error('the open never ends');
        // A free directory (the lock is linked at once) with a takeover file a dead process left.
        const dataDir = newDir();
        const takeover = join(dataDir, 'payhost.lock.takeover');
        const dead = ownerRecord(deadPid());
        original.writeFileSync(takeover, dead);
        const guard = `${takeover}.${tokenOf(dead)}`;
        let replaced = false;
        withSteps(
          (n) => {
            // What another process did meanwhile: removed the dead one under the guard and linked its own.
            if (n === at && !fs.existsSync(guard) && fs.existsSync(takeover) && original.readFileSync(takeover, 'utf8') === dead) {
              original.unlinkSync(takeover);
              original.writeFileSync(takeover, newer);
              replaced = true;
            }
          },
          () => lockDataDir(dataDir),
        ).release();
        if (!replaced) {
          // The sweep had taken the guard by then: the dead one is gone.
          expect(fs.existsSync(takeover), `left at step ${at}`).to.equal(false);
          break;
        }
        replacedAt = at;
        expect(original.readFileSync(takeover, 'utf8'), `replaced at step ${at}`).to.equal(newer);
      }
      expect(replacedAt).to.be.greaterThan(3);
    } finally {
      await stop(live);
    }
  });

  it("never lets two processes hold a directory full of crashed opens' files, wherever the second one comes in, and they go", async () => {
    const opened: string[] = [];
    await expectOneHolderAtEveryStep(() => {
      const dataDir = newDir();
      opened.push(dataDir);
      write(dataDir, 'payhost.lock', ownerRecord(deadPid()));
      const own = ownerRecord(deadPid());
      write(dataDir, `payhost.lock.${tokenOf(own)}`, own);
      write(dataDir, `payhost.lock.stale-${token()}`, ownerRecord(deadPid()));
      const takeover = ownerRecord(deadPid());
      write(dataDir, 'payhost.lock.takeover', takeover);
      write(dataDir, `payhost.lock.takeover.${tokenOf(takeover)}`, ownerRecord(deadPid()));
      return dataDir;
    }, root());
    // Whichever of the two got it swept them; what stays is at most the lock of the other process, now killed.
    const left = opened.map((dataDir) => files(dataDir).filter((f) => f !== 'payhost.lock'));
    expect(left.filter((f) => f.length > 0)).to.deep.equal([]);
  });
});
