import { expect } from 'chai';
import { Decimal, type Payment, type Transaction } from '@payhost/core';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { at, makePayment, makeTransaction, rejects, signal, uid } from '../../../tests/store/fixtures.js';
import { untilBlocked } from '../../../tests/support/lock-waits.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { claimOf, expectLockHeldToTheEnd, insertRows, steps } from './support/steps.js';

/**
 * A follow-up operation's steps on the SQL stores (LedgerTx.lockPaymentForOperation, then
 * LedgerTx.claimAndInsertTransaction, whose write goes with the COMMIT): each must leave exactly what
 * the sequence of basic calls it replaces leaves, including on every failure. On PGlite, and on
 * PostgreSQL (where transactions really run side by side): PAYHOST_TEST_DATABASE_URL or its default.
 */

function describeOperationSteps(name: string, open: () => Promise<SqlLedgerStore>): void {
  describe(`follow-up operation steps: ${name}`, function () {
    this.timeout(60_000);
    let store: SqlLedgerStore;

    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    const insert = (payment?: Payment, ...transactions: Transaction[]) => insertRows(store, payment, ...transactions);
    const claim = claimOf;

    describe('lockPaymentForOperation', () => {
      it('reads the payment, its transactions oldest first and the key\'s record; only reads', async () => {
        const payment = makePayment();
        const older = makeTransaction(payment.id, { createdAt: at(1), rawResponse: { x: 1 } });
        const newer = makeTransaction(payment.id, { createdAt: at(2), kind: 'refund', amount: new Decimal('0.1') });
        await insert(payment, newer, older);
        const k = uid('idem');
        const free = await store.transaction((tx) => steps(tx).lockPaymentForOperation(payment.id, k));
        expect(free.payment).to.deep.equal(await store.getPayment(payment.id));
        expect(free.transactions).to.deep.equal(await store.listTransactions(payment.id));
        expect(free.transactions.map((t) => t.id)).to.deep.equal([older.id, newer.id]);
        expect(free.record).to.equal(null);
        expect(await store.getIdempotencyRecord(k), 'it claims nothing').to.equal(null);
        await store.transaction((tx) => tx.claimIdempotencyKey(k, 'h', at(3)));
        const taken = await store.transaction((tx) => steps(tx).lockPaymentForOperation(payment.id, k));
        expect(taken.record).to.deep.equal(await store.getIdempotencyRecord(k));
      });

      it('a missing payment: null and no transactions, and still the key\'s record', async () => {
        const k = uid('idem');
        await store.transaction((tx) => tx.claimIdempotencyKey(k, 'h', at(3)));
        const missing = await store.transaction((tx) => steps(tx).lockPaymentForOperation(uid('missing'), k));
        expect(missing.payment).to.equal(null);
        expect(missing.transactions).to.deep.equal([]);
        expect(missing.record?.key).to.equal(k);
      });

      it('waits for a holder of the payment lock, then sees the transaction it inserted and the key it claimed', async () => {
        // One SQL statement would not: its snapshot is taken before it waits for the lock.
        const payment = makePayment();
        await insert(payment, makeTransaction(payment.id));
        const k = uid('idem');
        const added = makeTransaction(payment.id, { kind: 'refund', idempotencyKey: k, createdAt: at(5) });
        const locked = signal();
        const release = signal();
        const holder = store.transaction(async (tx) => {
          await tx.getPayment(payment.id, { forUpdate: true });
          locked.resolve();
          await release.promise;
          expect(await tx.claimIdempotencyKey(k, 'h', at(5))).to.deep.equal({ claimed: true });
          await tx.insertTransaction(added);
        });
        await locked.promise;
        const reader = store.transaction((tx) => steps(tx).lockPaymentForOperation(payment.id, k));
        await untilBlocked(store, 'lockPaymentForOperation');
        release.resolve();
        await holder;
        const seen = await reader;
        expect(seen.transactions.map((t) => t.id)).to.include(added.id);
        expect(seen.record).to.deep.include({ key: k, requestHash: 'h', state: 'in_flight' });
      });

      it('holds the payment\'s lock until the transaction ends', async () => {
        const payment = await insert();
        await expectLockHeldToTheEnd(store, payment, (tx) => steps(tx).lockPaymentForOperation(payment.id, uid('idem')));
      });
    });

    describe('claimAndInsertTransaction', () => {
      /** As the ledger reserves: a key the reads found taken answers from there; otherwise the claim does. */
      const reserve = async (payment: Payment, k: ReturnType<typeof claim>, t: Transaction, answeredBy: string[] = []) =>
        store.transaction(async (tx) => {
          const locked = await steps(tx).lockPaymentForOperation(payment.id, k.key);
          if (locked.record) {
            answeredBy.push('lock');
            return { claimed: false as const, record: locked.record };
          }
          answeredBy.push('claim');
          return steps(tx).claimAndInsertTransaction(k, t);
        });

      it('claims the key and writes the transaction, and ends the store transaction (COMMIT sent with it)', async () => {
        const payment = await insert();
        const k = claim();
        const t = makeTransaction(payment.id, { kind: 'refund', idempotencyKey: k.key, requestData: { d: 1 }, amount: new Decimal('0.1') });
        const ended = await rejects(
          store.transaction(async (tx) => {
            await steps(tx).lockPaymentForOperation(payment.id, k.key);
            expect(await steps(tx).claimAndInsertTransaction(k, t)).to.deep.equal({ claimed: true });
            await tx.getPayment(payment.id);
          }),
        );
        expect(String((ended as Error).message)).to.match(/already ended/);
        expect(await store.getIdempotencyRecord(k.key), 'committed with it').to.deep.include({ requestHash: 'h', state: 'in_flight', response: null });
        const [written] = await store.listTransactions(payment.id);
        const viaBasic = { ...t, id: uid('txn') };
        await store.transaction((tx) => tx.insertTransaction(viaBasic));
        const basic = (await store.listTransactions(payment.id)).find((x) => x.id === viaBasic.id);
        expect({ ...written, id: 'x' }).to.deep.equal({ ...basic, id: 'x' });
      });

      it('a key taken already: inserts nothing and answers its record', async () => {
        const payment = await insert();
        const k = claim();
        await store.transaction((tx) => tx.claimIdempotencyKey(k.key, 'first', at(1)));
        const t = makeTransaction(payment.id);
        const result = await store.transaction(async (tx) => {
          await steps(tx).lockPaymentForOperation(payment.id, uid('other'));
          return steps(tx).claimAndInsertTransaction({ ...k, requestHash: 'second' }, t);
        });
        if (result.claimed) throw new Error('claimed a taken key');
        expect(result.record).to.deep.include({ key: k.key, requestHash: 'first', state: 'in_flight' });
        expect(await store.listTransactions(payment.id)).to.deep.equal([]);
      });

      it('waits for a claimer in a transaction: answers its record when it commits, claims when it rolls back', async () => {
        for (const outcome of ['commits', 'rolls back'] as const) {
          const payment = await insert();
          const k = claim();
          const claimed = signal();
          const end = signal();
          const first = store.transaction(async (tx) => {
            expect(await tx.claimIdempotencyKey(k.key, 'first', at(1))).to.deep.equal({ claimed: true });
            claimed.resolve();
            await end.promise;
            if (outcome === 'rolls back') throw new Error('first gives up');
          });
          await claimed.promise;
          const t = makeTransaction(payment.id);
          const answeredBy: string[] = [];
          const second = reserve(payment, { ...k, requestHash: 'second' }, t, answeredBy);
          await untilBlocked(store, 'the second reservation');
          end.resolve();
          if (outcome === 'rolls back') await rejects(first);
          else await first;
          const result = await second;
          // PGlite runs transactions one after the other: the first has ended before the second reads.
          expect(answeredBy).to.deep.equal([store.driver.serialTransactions === true && outcome === 'commits' ? 'lock' : 'claim']);
          if (outcome === 'commits') {
            if (result.claimed) throw new Error('claimed a taken key');
            expect(result.record?.requestHash).to.equal('first');
            expect(await store.listTransactions(payment.id)).to.deep.equal([]);
          } else {
            expect(result).to.deep.equal({ claimed: true });
            expect((await store.getIdempotencyRecord(k.key))?.requestHash).to.equal('second');
            expect((await store.listTransactions(payment.id)).map((x) => x.id)).to.deep.equal([t.id]);
          }
        }
      });

      it('a missing payment: rejects, and nothing of the store transaction is written, the claim included', async () => {
        const payment = await insert();
        const k = claim();
        const event = uid('evt');
        await rejects(
          store.transaction(async (tx) => {
            await steps(tx).lockPaymentForOperation(payment.id, k.key);
            expect(await tx.recordWebhookEvent('payhost.dummy', event, at(2))).to.equal(true);
            await steps(tx).claimAndInsertTransaction(k, makeTransaction(uid('missing')));
          }),
        );
        expect(await store.getIdempotencyRecord(k.key)).to.equal(null);
        expect(await store.transaction((tx) => tx.recordWebhookEvent('payhost.dummy', event, at(3))), 'the event was not recorded').to.equal(true);
        // The connection is clean: the next transaction on it works.
        expect(await reserve(payment, k, makeTransaction(payment.id))).to.deep.equal({ claimed: true });
      });

      it('a transaction that cannot be written (its id taken): rejects and writes nothing', async () => {
        const payment = makePayment();
        const existing = makeTransaction(payment.id);
        await insert(payment, existing);
        const k = claim();
        await rejects(reserve(payment, k, { ...existing, kind: 'refund' }));
        expect(await store.getIdempotencyRecord(k.key)).to.equal(null);
        expect((await store.listTransactions(payment.id)).map((t) => t.kind)).to.deep.equal(['auth']);
      });

      it('as the only statement of a transaction, writes both or nothing', async () => {
        const payment = await insert();
        const k = claim();
        await rejects(store.transaction((tx) => steps(tx).claimAndInsertTransaction(k, makeTransaction(uid('missing')))));
        expect(await store.getIdempotencyRecord(k.key)).to.equal(null);
        const t = makeTransaction(payment.id);
        expect(await store.transaction((tx) => steps(tx).claimAndInsertTransaction(k, t))).to.deep.equal({ claimed: true });
        expect((await store.listTransactions(payment.id)).map((x) => x.id)).to.deep.equal([t.id]);
        expect((await store.getIdempotencyRecord(k.key))?.state).to.equal('in_flight');
      });

      it('lets exactly one of many concurrent reserves of one payment with one key claim it', async () => {
        const payment = await insert();
        const k = claim();
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => reserve(payment, { ...k, requestHash: `h-${i}` }, makeTransaction(payment.id)).catch((e: unknown) => e)));
        // The first to lock claims; the others, which lock after it committed, find the key in their reads.
        expect(results.filter((r) => (r as { claimed?: boolean }).claimed === true)).to.have.length(1);
        expect(await store.listTransactions(payment.id)).to.have.length(1);
      });
    });

  });
}

// A copy of a migrated database: creating one (in memory too) takes seconds.
describeOperationSteps('PGlite', openMigratedPgliteStore);

describePostgres('follow-up operation steps', (pgc) => {
  describeOperationSteps('PostgreSQL', () => createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('opsteps'), pool: { max: 12 } }));
});
