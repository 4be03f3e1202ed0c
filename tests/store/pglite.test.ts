import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Decimal, isPayhostError, type PayhostError } from '@payhost/core';
import { MIGRATIONS, createPgliteStore, runMigrations, type SqlLedgerStore } from '@payhost/store-postgres';
import { openMigratedPgliteStore } from '../support/pglite-template.js';
import { describeLedgerStoreConformance } from './conformance.js';
import { at, makePayment, makeTransaction, uid } from './fixtures.js';

describeLedgerStoreConformance('PGlite in memory', () => createPgliteStore());

describe('PGlite with a data directory', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payhost-pglite-'));
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describeLedgerStoreConformance('PGlite in a data directory', () => createPgliteStore({ dataDir: join(dataDir, 'conformance') }));

  it('keeps everything across close and reopen, and does not re-apply migrations', async () => {
    const dir = join(dataDir, 'durability');
    const payment = makePayment({ total: new Decimal('99999999999999.999') });
    const txn = makeTransaction(payment.id, { state: 'pending', createdAt: at(7) });
    const key = uid('idem');
    let store: SqlLedgerStore = await createPgliteStore({ dataDir: dir });
    expect(await store.schemaVersion()).to.equal(MIGRATIONS.length);
    await store.transaction(async (tx) => {
      await tx.insertPayment(payment);
      await tx.insertTransaction(txn);
      await tx.claimIdempotencyKey(key, 'h', at(1));
      await tx.completeIdempotencyKey(key, { ok: 1 }, at(2));
      await tx.recordWebhookEvent('stripe', 'evt_1', at(3));
      await tx.upsertCustomerAccount({ customerId: 'c', channel: 'ch', gateway: 'stripe', gatewayCustomerId: 'cus_1', createdAt: at(4) });
    });
    const settings = { active: true, configuration: { apiKey: '${STRIPE_SECRET_KEY}' } };
    const revision = await store.savePluginSettings({ plugin: 'payhost.stripe', channel: null, settings, now: at(6) });
    await store.close();

    store = await createPgliteStore({ dataDir: dir });
    try {
      expect(await store.schemaVersion()).to.equal(MIGRATIONS.length);
      const read = await store.getPayment(payment.id);
      expect(read!.total.equals(new Decimal('99999999999999.999'))).to.equal(true);
      expect((await store.listPendingTransactions()).map((t) => t.id)).to.deep.equal([txn.id]);
      expect(await store.getIdempotencyRecord(key)).to.deep.include({ state: 'done', response: { ok: 1 } });
      expect(await store.transaction((tx) => tx.recordWebhookEvent('stripe', 'evt_1', at(5)))).to.equal(false);
      expect((await store.transaction((tx) => tx.getCustomerAccount('c', 'ch', 'stripe')))!.gatewayCustomerId).to.equal('cus_1');
      expect(await store.listPluginSettings(0)).to.deep.equal([{ plugin: 'payhost.stripe', channel: null, settings, revision, savedAt: at(6) }]);
      // Revisions go on from the saved ones.
      expect(await store.savePluginSettings({ plugin: 'payhost.stripe', channel: 'ch', settings: null, now: at(7) })).to.equal(revision + 1);
    } finally {
      await store.close();
    }
  });
});

describe('PGlite store specifics', function () {
  this.timeout(60_000);
  let store: SqlLedgerStore;

  before(async () => {
    store = await openMigratedPgliteStore(); // A copy of a migrated database: creating one takes seconds.
  });

  after(async () => {
    await store?.close();
  });

  it('refuses (instead of hanging) a store call from inside its own transaction', async () => {
    const error = await store
      .transaction(async () => {
        await store.getPayment('x');
      })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(error?.message).to.match(/inside one of its own transactions/);
    // A programming error of the caller, with a stable code.
    expect(isPayhostError(error, 'invalid_input'), String(error)).to.equal(true);
    expect((error as PayhostError).details).to.deep.equal({ store: 'pglite', reason: 'reentrant_call' });
    const nested = await store.transaction(() => store.transaction(async () => 1)).catch((e: Error) => e);
    expect(isPayhostError(nested, 'invalid_input'), String(nested)).to.equal(true);
    // The store still works afterwards, also from work a finished transaction started.
    let later: Promise<unknown> | undefined;
    await store.transaction(async () => {
      later = Promise.resolve().then(() => new Promise((r) => setTimeout(r, 20))).then(() => store.getPayment('x'));
    });
    expect(await later).to.equal(null);
  });

  it('rolls back (and says so) when a failed statement was swallowed inside the transaction', async () => {
    const payment = makePayment();
    const error = await store
      .transaction(async (tx) => {
        await tx.insertPayment(payment);
        await tx.insertTransaction(makeTransaction(uid('missing'))).catch(() => undefined);
      })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(error?.message).to.match(/transaction aborted/);
    expect(await store.getPayment(payment.id)).to.equal(null);
  });

  it('refuses saved plugin settings for the empty channel (it stands for a global plugin) and a revision that is not a number', async () => {
    const plugin = uid('plugin');
    const error = await store.savePluginSettings({ plugin, channel: '', settings: null, now: at(1) }).catch((e: unknown) => e);
    expect(isPayhostError(error, 'invalid_input'), String(error)).to.equal(true);
    expect((await store.listPluginSettings(0)).filter((s) => s.plugin === plugin)).to.deep.equal([]);
    const notNumber = await store.listPluginSettings(Number.NaN).catch((e: unknown) => e);
    expect(isPayhostError(notNumber, 'invalid_input'), String(notNumber)).to.equal(true);
    // A fractional or infinite bound compares as the revisions' whole numbers do.
    const revision = await store.savePluginSettings({ plugin, channel: null, settings: null, now: at(1) });
    expect((await store.listPluginSettings(revision - 0.5)).map((s) => s.revision)).to.deep.equal([revision]);
    expect((await store.listPluginSettings(-Infinity)).map((s) => s.plugin)).to.include(plugin);
    expect(await store.listPluginSettings(Infinity)).to.deep.equal([]);
  });

  it('applies a run of migrations in one transaction: one that fails leaves none of that run applied', async () => {
    const db = await createPgliteStore({ migrate: false });
    try {
      const broken = [...MIGRATIONS, 'CREATE TABLE half_done (id int)', 'ALTER TABLE no_such_table ADD COLUMN x int'];
      const failure = await runMigrations(db.driver, { migrations: broken }).then(() => null, (e: Error) => e);
      expect(failure?.message).to.match(/no_such_table/);
      expect(await db.schemaVersion()).to.equal(0);
      const [row] = await db.driver.session((c) => c.query<{ t: string | null }>(`SELECT to_regclass('half_done')::text AS t`));
      expect(row?.t ?? null).to.equal(null);
      // The next start applies them all.
      expect(await runMigrations(db.driver)).to.equal(MIGRATIONS.length);
    } finally {
      await db.close();
    }
  });

  it('upgrades with a new migration and refuses a schema newer than it knows', async () => {
    const db = await createPgliteStore({ migrate: false });
    try {
      expect(await db.schemaVersion()).to.equal(0);
      await db.migrate();
      expect(await db.schemaVersion()).to.equal(MIGRATIONS.length);
      const driver = db.driver;
      const extra = [...MIGRATIONS, 'ALTER TABLE payments ADD COLUMN note text'];
      expect(await runMigrations(driver, { migrations: extra })).to.equal(MIGRATIONS.length + 1);
      expect(await runMigrations(driver, { migrations: extra })).to.equal(MIGRATIONS.length + 1);
      let failure: Error | undefined;
      await db.migrate().catch((e: Error) => {
        failure = e;
      });
      expect(failure?.message).to.match(/newer than this package/);
      expect(isPayhostError(failure, 'invalid_configuration'), String(failure)).to.equal(true);
      expect((failure as PayhostError).details).to.deep.equal({ reason: 'schema_newer', schemaVersion: MIGRATIONS.length + 1, supportedVersion: MIGRATIONS.length });
    } finally {
      await db.close();
    }
  });
});
