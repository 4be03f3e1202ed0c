import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isPayhostError } from '@payhost/core';
import { lockDataDir, type DataDirLock } from '../../packages/store-postgres/dist/data-dir-lock.js';
import { openInChild, original, stop, withSteps, type Opener } from '../../packages/store-postgres/test/support/lock-steps.js';

// The data-directory lock, step by step: another process opening the same
// directory at any point of an open must find it either free (and then this
// open fails) or held (and then it is refused). Never both holding it.
// (Crashes inside an open: packages/store-postgres/test/data-dir-takeover.test.ts.)

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
          if (other) await stop(other.child);
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
