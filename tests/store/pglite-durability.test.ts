import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
