import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isPayhostError } from '@payhost/core';
import { lockDataDir } from '../../packages/store-postgres/dist/data-dir-lock.js';
import { expectOneHolderAtEveryStep, original } from '../../packages/store-postgres/test/support/lock-steps.js';

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

  for (const [index, [name, setup]] of Object.entries(setups).entries()) {
    it(`never lets two processes hold ${name}, wherever the second one comes in`, async () => {
      let count = 0;
      await expectOneHolderAtEveryStep(() => {
        const dataDir = join(root, `${index}-${count++}`);
        fs.mkdirSync(dataDir);
        setup(dataDir);
        return dataDir;
      }, root);
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
