import { expect } from 'chai';
import type { Transaction } from '@payhost/core';
import { MIGRATIONS, createPostgresStore, runMigrations, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../ledger/support/postgres.js';
import { at, makePayment, makeTransaction, signal, uid } from './fixtures.js';

/**
 * Migration 8 flags the unsettled refund_ongoing rows (transactions.refund_unsettled), which listUnsettledRefunds
 * reads instead of every refund ever settled. The migration sets the flag of the rows already there (settled before
 * it: not listed; unsettled: listed), the database keeps it in step afterwards (triggers, in the writing
 * transaction), and two stores (two processes) writing at once leave it right, or at worst set on a settled row,
 * which the list still leaves out.
 */

/** Rows whose flag is not what the definition of an unsettled refund says (the query before migration 8). */
const WRONG_FLAGS = `SELECT id FROM transactions t WHERE t.refund_unsettled IS DISTINCT FROM (
  t.kind = 'refund_ongoing' AND t.state = 'applied' AND t.is_success AND NOT EXISTS (SELECT 1 FROM transactions s
    WHERE s.payment_id = t.payment_id AND s.state = 'applied' AND s.kind IN ('refund', 'refund_failed')
      AND s.gateway_transaction_id = t.gateway_transaction_id))`;

describePostgres('refund_unsettled (migration 8)', (pg) => {
  const stores: SqlLedgerStore[] = [];
  after(() => Promise.all(stores.map((s) => s.close())));
  async function open(schema: string, migrate = true): Promise<SqlLedgerStore> {
    const store = await createPostgresStore({ connectionString: pg.url, schema, migrate });
    stores.push(store);
    return store;
  }
  const wrongFlags = (store: SqlLedgerStore) => store.driver.session(async (c) => (await c.query<{ id: string }>(WRONG_FLAGS)).map((r) => r.id));

  it('flags the refunds unsettled when it runs: rows settled before it are not listed, the unsettled ones are, oldest first', async () => {
    expect(MIGRATIONS.length).to.be.at.least(8);
    const schema = pg.newSchema('refund_backfill');
    const store = await open(schema, false);
    expect(await runMigrations(store.driver, { schema, migrations: MIGRATIONS.slice(0, 7) })).to.equal(7);
    const [p1, p2] = [makePayment(), makePayment()];
    const ongoing = (paymentId: string, seconds: number, overrides: Partial<Transaction> = {}) =>
      makeTransaction(paymentId, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re'), createdAt: at(seconds), updatedAt: at(seconds), ...overrides });
    const settling = (of: Transaction, overrides: Partial<Transaction> = {}) =>
      makeTransaction(of.paymentId, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(900), ...overrides });
    const [refunded, failed, open1, noId, pendingAnswer, otherPayment, open2] = [
      ongoing(p1.id, 10),
      ongoing(p1.id, 20),
      ongoing(p1.id, 30),
      ongoing(p2.id, 5, { gatewayTransactionId: null }),
      ongoing(p2.id, 40),
      ongoing(p2.id, 50),
      ongoing(p1.id, 60),
    ];
    const rows = [
      refunded,
      settling(refunded),
      failed,
      settling(failed, { kind: 'refund_failed', isSuccess: false }),
      open1,
      noId,
      pendingAnswer,
      settling(pendingAnswer, { state: 'pending', isSuccess: false }),
      otherPayment,
      settling({ ...otherPayment, paymentId: p1.id }),
      open2,
      ongoing(p1.id, 70, { state: 'review' }),
      ongoing(p1.id, 80, { isSuccess: false }),
    ];
    // Written through the store at version 7 (no flag, no trigger yet). The store writes migration 9's payment
    // columns: added for the writes and dropped again, so the later migrations find the table as version 7 left it.
    const migration9 = ['ADD COLUMN billing jsonb, ADD COLUMN shipping jsonb, ADD COLUMN customer_ip_address text', 'DROP COLUMN billing, DROP COLUMN shipping, DROP COLUMN customer_ip_address'];
    await store.driver.session((c) => c.exec(`ALTER TABLE payments ${migration9[0]!}`));
    await store.transaction(async (tx) => {
      for (const p of [p1, p2]) await tx.insertPayment(p);
      for (const t of rows) await tx.insertTransaction(t);
    });
    await store.driver.session((c) => c.exec(`ALTER TABLE payments ${migration9[1]!}`));
    expect(await runMigrations(store.driver, { schema })).to.equal(MIGRATIONS.length);

    const flagged = await store.driver.session((c) => c.query<{ id: string }>('SELECT id FROM transactions WHERE refund_unsettled ORDER BY created_at, seq'));
    const expected = [noId.id, open1.id, pendingAnswer.id, otherPayment.id, open2.id];
    expect(flagged.map((r) => r.id)).to.deep.equal(expected);
    expect(await wrongFlags(store)).to.deep.equal([]);
    expect((await store.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal(expected);

    // Kept in step from then on: settled, it leaves; one settled again by another id comes back.
    const settledOpen1 = settling(open1);
    await store.transaction((tx) => tx.insertTransaction(settledOpen1));
    await store.transaction((tx) => tx.updateTransaction({ ...settledOpen1, gatewayTransactionId: uid('re_other') }));
    await store.transaction((tx) => tx.insertTransaction(settling(open2, { kind: 'refund_failed', isSuccess: false })));
    expect((await store.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal([noId.id, open1.id, pendingAnswer.id, otherPayment.id]);
    expect(await wrongFlags(store)).to.deep.equal([]);
    // SQL by hand too: its settling row deleted, a refund is unsettled again.
    await store.driver.session((c) => c.query("DELETE FROM transactions WHERE kind = 'refund_failed' AND gateway_transaction_id = $1", [open2.gatewayTransactionId]));
    expect((await store.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal([noId.id, open1.id, pendingAnswer.id, otherPayment.id, open2.id]);
    expect(await wrongFlags(store)).to.deep.equal([]);
  });

  it('two stores settling and refunding the same payments at once (each under the payment lock) leave every flag right', async () => {
    const schema = pg.newSchema('refund_two');
    const [a, b] = [await open(schema), await open(schema)];
    const payments = Array.from({ length: 12 }, () => makePayment());
    const ongoing = payments.flatMap((p, i) => [0, 1].map((n) => makeTransaction(p.id, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re'), createdAt: at(i * 10 + n) })));
    await a.transaction(async (tx) => {
      for (const p of payments) await tx.insertPayment(p);
      for (const t of ongoing) await tx.insertTransaction(t);
    });
    // Store a settles each payment's first refund, store b its second, and b writes a new refund of each: the same payments at once.
    const settle = (store: SqlLedgerStore, of: Transaction) =>
      store.transaction(async (tx) => {
        await tx.getPayment(of.paymentId, { forUpdate: true });
        await tx.insertTransaction(makeTransaction(of.paymentId, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(900) }));
      });
    const fresh = payments.map((p, i) => makeTransaction(p.id, { kind: 'refund', state: 'pending', isSuccess: false, gatewayTransactionId: null, createdAt: at(500 + i) }));
    const answer = (t: Transaction) =>
      b.transaction(async (tx) => {
        await tx.getPayment(t.paymentId, { forUpdate: true });
        await tx.insertTransaction(t);
        await tx.updateTransaction({ ...t, kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re_new') });
      });
    await Promise.all(payments.flatMap((_, i) => [settle(a, ongoing[2 * i]!), settle(b, ongoing[2 * i + 1]!), answer(fresh[i]!)]));
    expect((await a.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal(fresh.map((t) => t.id));
    expect(await wrongFlags(a)).to.deep.equal([]);
  });

  it('an ongoing row and its settling row written at once without the payment lock: the list still leaves the refund out', async () => {
    const schema = pg.newSchema('refund_race');
    const [a, b] = [await open(schema), await open(schema)];
    const p = makePayment();
    await a.transaction((tx) => tx.insertPayment(p));
    const ongoing = makeTransaction(p.id, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re'), createdAt: at(10) });
    // a writes the ongoing row and waits; b settles it and commits; then a commits: neither saw the other's row.
    const written = signal();
    const settled = signal();
    const first = a.transaction(async (tx) => {
      await tx.insertTransaction(ongoing);
      written.resolve();
      await settled.promise;
    });
    await written.promise;
    await b.transaction((tx) => tx.insertTransaction(makeTransaction(p.id, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: ongoing.gatewayTransactionId, createdAt: at(20) })));
    settled.resolve();
    await first;
    expect(await wrongFlags(a)).to.deep.equal([ongoing.id]); // Flagged, though settled: the race the payment lock prevents.
    expect((await a.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal([]);
  });
});
