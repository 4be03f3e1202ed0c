import { expect } from 'chai';
import { Decimal, type Payment, type SettleWrites, type Transaction } from '@payhost/core';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { at, makePayment, makeTransaction, rejects, signal, uid } from '../../../tests/store/fixtures.js';
import { untilBlocked } from '../../../tests/support/lock-waits.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { claimOf, expectLockHeldToTheEnd, insertRows, steps } from './support/steps.js';

/**
 * The SQL stores' one-statement steps (LedgerStore.claimAndCreate, LedgerTx.lockPaymentAndTransaction,
 * LedgerTx.settle; a follow-up operation's steps: operation-steps.test.ts) and the transaction handling that saves round trips (BEGIN sent with a first
 * read, settle's write sent with the COMMIT): each must leave exactly what the sequence of basic calls
 * it replaces leaves, including on every failure. On PGlite, and on PostgreSQL (where transactions
 * really run side by side): PAYHOST_TEST_DATABASE_URL or its default.
 */


function describeSteps(name: string, open: () => Promise<SqlLedgerStore>): void {
  describe(`one-statement ledger steps: ${name}`, function () {
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

    describe('claimAndCreate', () => {
      it('claims the key and writes the payment and its transaction; a taken key writes nothing and answers its record', async () => {
        const payment = makePayment();
        const pending = makeTransaction(payment.id, { idempotencyKey: 'k' });
        const k = claim();
        expect(await store.claimAndCreate(k, payment, pending)).to.deep.equal({ claimed: true });
        expect((await store.getPayment(payment.id))?.total.toFixed(2)).to.equal('100.00');
        expect((await store.listTransactions(payment.id)).map((t) => t.id)).to.deep.equal([pending.id]);
        expect(await store.getIdempotencyRecord(k.key)).to.deep.include({ requestHash: 'h', state: 'in_flight', response: null });

        const other = makePayment();
        const again = await store.claimAndCreate({ ...k, requestHash: 'other' }, other, makeTransaction(other.id));
        expect(again.claimed).to.equal(false);
        if (again.claimed) throw new Error('unreachable');
        expect(again.record).to.deep.include({ key: k.key, requestHash: 'h', state: 'in_flight' });
        expect(await store.getPayment(other.id)).to.equal(null);
      });

      it('keeps every column as insertPayment and insertTransaction do', async () => {
        const payment = makePayment({ customerId: null, token: 'tok_x', metadata: { a: [1, { b: 'c' }] }, toConfirm: true, total: new Decimal('12345678901234567890.123456789') });
        const pending = makeTransaction(payment.id, { rawResponse: { raw: true }, requestData: { d: 1 }, actionRequiredData: { url: 'u' }, amount: new Decimal('0.1') });
        await store.claimAndCreate(claim(), payment, pending);
        const viaBasic = makePayment({ ...payment, id: uid('pay') });
        const viaBasicTx = { ...pending, id: uid('txn'), paymentId: viaBasic.id };
        await insert(viaBasic, viaBasicTx);
        expect({ ...(await store.getPayment(payment.id)), id: 'x' }).to.deep.equal({ ...(await store.getPayment(viaBasic.id)), id: 'x' });
        const [a] = await store.listTransactions(payment.id);
        const [b] = await store.listTransactions(viaBasic.id);
        expect({ ...a, id: 'x', paymentId: 'y' }).to.deep.equal({ ...b, id: 'x', paymentId: 'y' });
      });

      it('writes nothing, the claim included, when the payment or its transaction cannot be written', async () => {
        const existing = await insert();
        const k = claim();
        await rejects(store.claimAndCreate(k, existing, makeTransaction(existing.id)));
        expect(await store.getIdempotencyRecord(k.key)).to.equal(null);
        const payment = makePayment();
        const clash = makeTransaction(payment.id);
        const holder = await insert();
        await store.transaction((tx) => tx.insertTransaction({ ...clash, paymentId: holder.id }));
        await rejects(store.claimAndCreate(k, payment, clash));
        expect(await store.getIdempotencyRecord(k.key)).to.equal(null);
        expect(await store.getPayment(payment.id)).to.equal(null);
      });

      it('lets exactly one of many concurrent calls with one key claim it', async () => {
        const k = claim();
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => {
            const payment = makePayment();
            return store.claimAndCreate({ ...k, requestHash: `h-${i}` }, payment, makeTransaction(payment.id));
          }),
        );
        expect(results.filter((r) => r.claimed)).to.have.length(1);
        const winner = results.findIndex((r) => r.claimed);
        for (const r of results) if (!r.claimed) expect(r.record.requestHash).to.equal(`h-${winner}`);
      });

      it('waits for a claimer in a transaction, and claims the key when that one rolls back', async () => {
        const k = claim();
        const claimed = signal();
        const abort = signal();
        const first = store.transaction(async (tx) => {
          expect(await tx.claimIdempotencyKey(k.key, 'first', at(1))).to.deep.equal({ claimed: true });
          claimed.resolve();
          await abort.promise;
          throw new Error('first gives up');
        });
        await claimed.promise;
        const payment = makePayment();
        const second = store.claimAndCreate({ ...k, requestHash: 'second' }, payment, makeTransaction(payment.id));
        await untilBlocked(store, 'claimAndCreate');
        abort.resolve();
        await rejects(first);
        expect(await second).to.deep.equal({ claimed: true });
        expect((await store.getIdempotencyRecord(k.key))!.requestHash).to.equal('second');
        expect((await store.getPayment(payment.id))?.id).to.equal(payment.id);
      });
    });

    describe('lockPaymentAndTransaction', () => {
      it('reads the payment and the transaction; null for whichever is missing', async () => {
        const payment = makePayment();
        const t = makeTransaction(payment.id, { rawResponse: { x: 1 } });
        await insert(payment, t);
        const both = await store.transaction((tx) => steps(tx).lockPaymentAndTransaction(payment.id, t.id));
        expect(both.payment).to.deep.equal(await store.getPayment(payment.id));
        expect(both.transaction).to.deep.equal((await store.listTransactions(payment.id))[0]);
        const noTransaction = await store.transaction((tx) => steps(tx).lockPaymentAndTransaction(payment.id, uid('missing')));
        expect(noTransaction.payment?.id).to.equal(payment.id);
        expect(noTransaction.transaction).to.equal(null);
        const noPayment = await store.transaction((tx) => steps(tx).lockPaymentAndTransaction(uid('missing'), t.id));
        expect(noPayment.payment).to.equal(null);
        expect(noPayment.transaction?.id).to.equal(t.id);
      });

      it('waits for a holder of the payment lock, then reads both as it left them (no stale transaction)', async () => {
        const payment = makePayment();
        const t = makeTransaction(payment.id);
        await insert(payment, t);
        const locked = signal();
        const release = signal();
        const writer = store.transaction(async (tx) => {
          const p = (await tx.getPayment(payment.id, { forUpdate: true }))!;
          locked.resolve();
          await release.promise;
          // As an event applying the transaction does: the transaction row, then the payment.
          await tx.updateTransaction({ ...t, state: 'applied', isSuccess: true, updatedAt: at(9) });
          expect(await tx.updatePayment({ ...p, capturedAmount: new Decimal('100'), version: 2 }, 1)).to.equal(true);
        });
        await locked.promise;
        const reader = store.transaction((tx) => steps(tx).lockPaymentAndTransaction(payment.id, t.id));
        await untilBlocked(store);
        release.resolve();
        await writer;
        const seen = await reader;
        expect(seen.payment?.version).to.equal(2);
        expect(seen.transaction?.state).to.equal('applied');
      });

      it('waits for a holder that only locked the payment and changed the transaction (held for review)', async () => {
        const payment = makePayment();
        const t = makeTransaction(payment.id);
        await insert(payment, t);
        const locked = signal();
        const release = signal();
        const writer = store.transaction(async (tx) => {
          await tx.getPayment(payment.id, { forUpdate: true });
          locked.resolve();
          await release.promise;
          await tx.updateTransaction({ ...t, state: 'review', updatedAt: at(9) });
        });
        await locked.promise;
        const reader = store.transaction((tx) => steps(tx).lockPaymentAndTransaction(payment.id, t.id));
        await untilBlocked(store);
        release.resolve();
        await writer;
        expect((await reader).transaction?.state).to.equal('review');
      });

      it('with pspClaim, makes a claimer of that reference for another payment wait until the transaction ends', async () => {
        const psp = uid('psp');
        const payment = makePayment();
        const t = makeTransaction(payment.id);
        await insert(payment, t);
        const other = await insert();
        const events: string[] = [];
        const locked = signal();
        const release = signal();
        const first = store.transaction(async (tx) => {
          await steps(tx).lockPaymentAndTransaction(payment.id, t.id, { pspClaim: { gateway: 'payhost.dummy', pspReference: psp } });
          locked.resolve();
          await release.promise;
          expect(await tx.claimPspReference('payhost.dummy', psp, payment.id)).to.equal(null);
          expect(await tx.updatePayment({ ...payment, pspReference: psp, version: 2 }, 1)).to.equal(true);
          events.push('first commits');
        });
        await locked.promise;
        const second = store.transaction(async (tx) => {
          const holder = await tx.claimPspReference('payhost.dummy', psp, other.id);
          events.push(`second sees ${holder === payment.id ? 'first' : String(holder)}`);
        });
        await untilBlocked(store);
        events.push('first released');
        release.resolve();
        await Promise.all([first, second]);
        expect(events).to.deep.equal(['first released', 'first commits', 'second sees first']);
      });
    });

    describe('settle', () => {
      async function pendingPayment(): Promise<{ payment: Payment; t: Transaction; key: string }> {
        const key = uid('idem');
        const payment = makePayment({ customerId: uid('cust') });
        const t = makeTransaction(payment.id, { idempotencyKey: key });
        await store.claimAndCreate({ key, requestHash: 'h', now: at(1) }, payment, t);
        return { payment, t, key };
      }
      const writes = ({ payment, t, key }: { payment: Payment; t: Transaction; key: string }, expectedVersion = 1): SettleWrites => ({
        transaction: { ...t, state: 'applied', isSuccess: true, kind: 'capture', gatewayTransactionId: 'gw_1', updatedAt: at(5) },
        payment: { next: { ...payment, chargeStatus: 'fully-charged', capturedAmount: new Decimal('100'), pspReference: 'ch_1', version: 2, updatedAt: at(5) }, expectedVersion },
        account: { customerId: payment.customerId!, channel: payment.channel, gateway: payment.gateway, gatewayCustomerId: 'cus_9', createdAt: at(5) },
        idempotency: { key, response: { ok: true, n: 1 }, now: at(5) },
      });
      const unchanged = async ({ payment, t, key }: { payment: Payment; t: Transaction; key: string }) => {
        expect((await store.getPayment(payment.id))?.version).to.equal(1);
        expect((await store.listTransactions(payment.id))[0]?.state).to.equal(t.state);
        expect((await store.getIdempotencyRecord(key))?.state).to.equal('in_flight');
        expect(await store.transaction((tx) => tx.getCustomerAccount(payment.customerId!, payment.channel, payment.gateway))).to.equal(null);
      };

      it('writes the transaction, the payment, the card on file and the idempotency record, with the COMMIT', async () => {
        const rows = await pendingPayment();
        const w = writes(rows);
        await store.transaction(async (tx) => {
          const { payment } = await steps(tx).lockPaymentAndTransaction(rows.payment.id, rows.t.id);
          expect(payment?.version).to.equal(1);
          await steps(tx).settle(w);
        });
        const read = await store.getPayment(rows.payment.id);
        expect(read).to.deep.include({ chargeStatus: 'fully-charged', pspReference: 'ch_1', version: 2 });
        expect((await store.listTransactions(rows.payment.id))[0]).to.deep.include({ state: 'applied', isSuccess: true, gatewayTransactionId: 'gw_1' });
        expect(await store.getIdempotencyRecord(rows.key)).to.deep.include({ state: 'done', response: { ok: true, n: 1 } });
        expect((await store.transaction((tx) => tx.getCustomerAccount(w.account!.customerId, read!.channel, read!.gateway)))?.gatewayCustomerId).to.equal('cus_9');
      });

      it('writes nothing, and fails the transaction with what was written before it, when the payment is not at its version', async () => {
        const rows = await pendingPayment();
        const event = uid('evt');
        const error = await rejects(
          store.transaction(async (tx) => {
            await tx.getPayment(rows.payment.id, { forUpdate: true });
            expect(await tx.recordWebhookEvent('payhost.dummy', event, at(2))).to.equal(true);
            await steps(tx).settle(writes(rows, 7));
          }),
        );
        expect(String((error as Error).message)).to.match(/settle wrote nothing/);
        await unchanged(rows);
        expect(await store.transaction((tx) => tx.recordWebhookEvent('payhost.dummy', event, at(3))), 'the event was not recorded').to.equal(true);
      });

      it('writes nothing when the idempotency key or the transaction row is missing', async () => {
        const rows = await pendingPayment();
        await rejects(store.transaction((tx) => steps(tx).settle({ ...writes(rows), idempotency: { key: uid('nokey'), response: null, now: at(5) } })));
        await unchanged(rows);
        await rejects(store.transaction((tx) => steps(tx).settle({ ...writes(rows), transaction: { ...writes(rows).transaction, id: uid('notxn') } })));
        await unchanged(rows);
      });

      it('as the only statement of a transaction, writes everything or nothing', async () => {
        const rows = await pendingPayment();
        await rejects(store.transaction((tx) => steps(tx).settle(writes(rows, 3))));
        await unchanged(rows);
        await store.transaction((tx) => steps(tx).settle(writes(rows)));
        expect((await store.getPayment(rows.payment.id))?.version).to.equal(2);
      });

      it('is sent before a later statement of the transaction, which sees its writes; a failure there rolls back', async () => {
        const rows = await pendingPayment();
        await store.transaction(async (tx) => {
          await steps(tx).settle(writes(rows));
          expect((await tx.getPayment(rows.payment.id))?.version).to.equal(2);
        });
        const more = await pendingPayment();
        await rejects(
          store.transaction(async (tx) => {
            await steps(tx).settle(writes(more, 4));
            await tx.getPayment(more.payment.id);
          }),
        );
        await unchanged(more);
      });

      it('is never sent when the function throws after it', async () => {
        const rows = await pendingPayment();
        await rejects(
          store.transaction(async (tx) => {
            await tx.getPayment(rows.payment.id, { forUpdate: true });
            await steps(tx).settle(writes(rows));
            throw new Error('changed my mind');
          }),
        );
        await unchanged(rows);
      });
    });

    describe('transactions', () => {
      it('roll back every write when the function throws after a first statement that read (BEGIN was sent with it)', async () => {
        const existing = await insert();
        const payment = makePayment();
        const key = uid('idem');
        await rejects(
          store.transaction(async (tx) => {
            expect((await tx.getPayment(existing.id, { forUpdate: true }))?.id).to.equal(existing.id);
            await tx.insertPayment(payment);
            await tx.insertTransaction(makeTransaction(payment.id));
            expect(await tx.claimIdempotencyKey(key, 'h', at(1))).to.deep.equal({ claimed: true });
            expect(await tx.updatePayment({ ...existing, chargeStatus: 'cancelled', version: 2 }, 1)).to.equal(true);
            throw new Error('boom');
          }),
        );
        expect(await store.getPayment(payment.id)).to.equal(null);
        expect(await store.getIdempotencyRecord(key)).to.equal(null);
        expect((await store.getPayment(existing.id))?.chargeStatus).to.equal('not-charged');
      });

      it('hold the lock of a first read until they end', async () => {
        const payment = await insert();
        await expectLockHeldToTheEnd(store, payment, (tx) => tx.getPayment(payment.id, { forUpdate: true }));
      });

      it('refuse to commit when the function swallowed a failed statement', async () => {
        const payment = makePayment();
        await rejects(
          store.transaction(async (tx) => {
            await tx.getPayment(payment.id);
            await tx.insertPayment(payment);
            await tx.insertPayment(payment).catch(() => undefined);
          }),
        );
        expect(await store.getPayment(payment.id)).to.equal(null);
      });

      it('that run no statement send nothing and answer their value', async () => {
        expect(await store.transaction(async () => 42)).to.equal(42);
      });
    });
  });
}

// A copy of a migrated database: creating one (in memory too) takes seconds.
describeSteps('PGlite', openMigratedPgliteStore);

describePostgres('one-statement ledger steps', (pgc) => {
  describeSteps('PostgreSQL', () => createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('steps'), pool: { max: 12 } }));
});
