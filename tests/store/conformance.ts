import { expect } from 'chai';
import { Decimal, isPayhostError, type LedgerStore, type PayhostError, type Payment } from '@payhost/core';
import { at, makePayment, makeTransaction, pause, rejects, signal, uid } from './fixtures.js';
import { untilBlocked } from '../support/lock-waits.js';
import { describeKeyedRecords } from './conformance-keys.js';
import { describeClosedStore } from './conformance-closed.js';
import { describePluginSettings } from './conformance-plugin-settings.js';
import { describeUnsettledRefunds } from './conformance-refunds.js';
import { describeCustomerDetails } from './conformance-customer-details.js';
import { describeUnsettledPendingCharges } from './conformance-pending-charges.js';

export interface ConformanceOptions {
  /** Milliseconds for the `before` hook that opens the store (PGlite's initdb takes seconds). */
  openTimeout?: number;
}

function expectAmount(actual: Decimal, expected: string): void {
  expect(Decimal.isDecimal(actual), `${String(actual)} is a Decimal`).to.equal(true);
  expect(actual.equals(new Decimal(expected)), `${actual.toFixed()} equals ${expected}`).to.equal(true);
}

/**
 * The behaviour every `LedgerStore` must have. One store is opened for the
 * suite; each test works on fresh ids, so the suite also runs against a
 * shared database.
 */
export function describeLedgerStoreConformance(name: string, makeStore: () => Promise<LedgerStore>, options: ConformanceOptions = {}): void {
  describe(`LedgerStore conformance: ${name}`, function () {
    let store: LedgerStore;

    before(async function () {
      this.timeout(options.openTimeout ?? 60_000);
      store = await makeStore();
      await store.migrate();
    });

    after(async () => {
      await store?.close();
    });

    async function insert(payment: Payment = makePayment()): Promise<Payment> {
      await store.transaction((tx) => tx.insertPayment(payment));
      return payment;
    }

    describe('payments', () => {
      it('inserts and reads a payment back field for field', async () => {
        const payment = await insert(makePayment({ pspReference: 'psp_1', toConfirm: true, storePaymentMethod: true, customerEmail: null }));
        const read = await store.getPayment(payment.id);
        expect(read).to.deep.equal({ ...payment, total: read!.total, authorizedAmount: read!.authorizedAmount, capturedAmount: read!.capturedAmount });
        expectAmount(read!.total, '100');
        expect(read!.createdAt).to.be.instanceOf(Date);
        expect(read!.createdAt.getTime()).to.equal(payment.createdAt.getTime());
        expect(await store.transaction((tx) => tx.getPayment(payment.id))).to.deep.equal(read);
      });

      it('returns null for an unknown payment', async () => {
        expect(await store.getPayment(uid('missing'))).to.equal(null);
        expect(await store.transaction((tx) => tx.getPayment(uid('missing'), { forUpdate: true }))).to.equal(null);
      });

      it('rejects a second payment with the same id', async () => {
        const payment = await insert();
        await rejects(store.transaction((tx) => tx.insertPayment({ ...payment, total: new Decimal(1) })));
        expectAmount((await store.getPayment(payment.id))!.total, '100');
      });

      it('updates when the version matches, and writes nothing on a stale version', async () => {
        const payment = await insert();
        const next = { ...payment, chargeStatus: 'fully-charged' as const, capturedAmount: new Decimal('100'), updatedAt: at(5), version: 2 };
        expect(await store.transaction((tx) => tx.updatePayment(next, 1))).to.equal(true);
        const stale = { ...payment, chargeStatus: 'cancelled' as const, isActive: false, version: 2 };
        expect(await store.transaction((tx) => tx.updatePayment(stale, 1))).to.equal(false);
        const read = await store.getPayment(payment.id);
        expect(read!.chargeStatus).to.equal('fully-charged');
        expect(read!.isActive).to.equal(true);
        expect(read!.version).to.equal(2);
        expect(read!.updatedAt.getTime()).to.equal(at(5).getTime());
        expect(await store.transaction((tx) => tx.updatePayment({ ...payment, id: uid('missing') }, 1))).to.equal(false);
      });

      it('finds a payment by gateway and PSP reference (the newest when several match)', async () => {
        // Optional in the interface; every store of this repository has it.
        const withFind = store as LedgerStore & { findPaymentIdByPspReference?(gateway: string, pspReference: string): Promise<string | null> };
        const find = withFind.findPaymentIdByPspReference?.bind(store);
        if (!find) throw new Error('findPaymentIdByPspReference is not implemented');
        const psp = uid('psp');
        const old = await insert(makePayment({ pspReference: psp, createdAt: at(1) }));
        expect(await find('payhost.dummy', psp)).to.equal(old.id);
        const newer = await insert(makePayment({ pspReference: psp, createdAt: at(2) }));
        await insert(makePayment({ pspReference: psp, gateway: 'other', createdAt: at(3) }));
        expect(await find('payhost.dummy', psp)).to.equal(newer.id);
        expect(await find('payhost.dummy', uid('psp'))).to.equal(null);
      });

      it('keeps JSON metadata as JSON (nested values; Dates become strings)', async () => {
        const payment = await insert(makePayment({ metadata: { a: { b: [1, 2.5, 'x', null, { c: false }] }, when: new Date(0) as unknown } }));
        expect((await store.getPayment(payment.id))!.metadata).to.deep.equal({ a: { b: [1, 2.5, 'x', null, { c: false }] }, when: '1970-01-01T00:00:00.000Z' });
      });

      it('hands out copies: mutating a result or an argument does not change the store', async () => {
        const payment = makePayment();
        await insert(payment);
        payment.metadata.order = 'changed';
        payment.chargeStatus = 'cancelled';
        const read = await store.getPayment(payment.id);
        expect(read!.metadata.order).to.equal('o-1');
        read!.metadata.order = 'mutated';
        read!.createdAt.setTime(0);
        const again = await store.getPayment(payment.id);
        expect(again!.metadata.order).to.equal('o-1');
        expect(again!.chargeStatus).to.equal('not-charged');
        expect(again!.createdAt.getTime()).to.equal(at(0).getTime());
      });
    });

    describe('amounts are exact numerics, never floating point', () => {
      const cases: Array<[string, string]> = [
        ['USD', new Decimal('0.1').plus('0.2').toFixed()],
        ['USD', '99999999999999.999'],
        ['USD', '123456789012345678901234567890.123456789'],
        ['JPY', '5000'],
        ['KWD', '1.234'],
        ['USD', '0.01'],
        ['USD', '0'],
      ];
      for (const [currency, amount] of cases) {
        it(`keeps ${amount} ${currency} exactly`, async () => {
          const payment = await insert(makePayment({ currency, total: new Decimal(amount), authorizedAmount: new Decimal(amount), capturedAmount: new Decimal(amount) }));
          const txn = makeTransaction(payment.id, { amount: new Decimal(amount), currency });
          await store.transaction((tx) => tx.insertTransaction(txn));
          const read = await store.getPayment(payment.id);
          expectAmount(read!.total, amount);
          expectAmount(read!.authorizedAmount, amount);
          expectAmount(read!.capturedAmount, amount);
          expectAmount((await store.listTransactions(payment.id))[0]!.amount, amount);
        });
      }

      it('keeps 0.1 + 0.2 at 0.3 and sums stored amounts exactly', async () => {
        const payment = await insert(makePayment({ capturedAmount: new Decimal('0.1') }));
        const read = await store.getPayment(payment.id);
        const next = { ...read!, capturedAmount: read!.capturedAmount.plus('0.2'), version: 2 };
        expect(await store.transaction((tx) => tx.updatePayment(next, 1))).to.equal(true);
        const after = await store.getPayment(payment.id);
        expectAmount(after!.capturedAmount, '0.3');
        expect(after!.capturedAmount.toFixed()).to.equal('0.3');
      });
    });

    describe('transactions', () => {
      it('inserts, reads, updates and lists a payment\'s transactions oldest first', async () => {
        const payment = await insert();
        const late = makeTransaction(payment.id, { createdAt: at(30), kind: 'capture' });
        const early = makeTransaction(payment.id, { createdAt: at(10), kind: 'auth', rawResponse: { id: 'ch_1', nested: { ok: true } }, requestData: { connectedAccountId: 'acct_1', list: [1, 'two'] } });
        const sameA = makeTransaction(payment.id, { createdAt: at(20), kind: 'refund' });
        const sameB = makeTransaction(payment.id, { createdAt: at(20), kind: 'void' });
        await store.transaction(async (tx) => {
          for (const t of [late, early, sameA, sameB]) await tx.insertTransaction(t);
        });
        const listed = await store.listTransactions(payment.id);
        expect(listed.map((t) => t.id)).to.deep.equal([early.id, sameA.id, sameB.id, late.id]);
        expect(listed[0]!.rawResponse).to.deep.equal({ id: 'ch_1', nested: { ok: true } });
        expect(listed[0]!.requestData).to.deep.equal({ connectedAccountId: 'acct_1', list: [1, 'two'] });
        expect(listed[1]!.requestData).to.equal(null);
        expect(await store.transaction((tx) => tx.listTransactions(payment.id))).to.deep.equal(listed);

        const applied = { ...early, state: 'applied' as const, isSuccess: true, gatewayTransactionId: 'gw_1', actionRequiredData: { url: 'https://3ds' }, errorCode: 'declined' as const, error: 'no', updatedAt: at(40) };
        await store.transaction((tx) => tx.updateTransaction(applied));
        const read = await store.transaction((tx) => tx.getTransaction(early.id));
        expect(read).to.deep.equal({ ...applied, amount: read!.amount });
        expectAmount(read!.amount, '100');
        expect(await store.transaction((tx) => tx.getTransaction(uid('missing')))).to.equal(null);
        expect(await store.listTransactions(uid('missing'))).to.deep.equal([]);
      });

      it('rejects a transaction of an unknown payment, a duplicate id, and updating a missing one', async () => {
        const payment = await insert();
        const txn = makeTransaction(payment.id);
        await rejects(store.transaction((tx) => tx.insertTransaction(makeTransaction(uid('missing')))));
        await store.transaction((tx) => tx.insertTransaction(txn));
        await rejects(store.transaction((tx) => tx.insertTransaction(txn)));
        await rejects(store.transaction((tx) => tx.updateTransaction(makeTransaction(payment.id))));
        expect(await store.listTransactions(payment.id)).to.have.length(1);
      });

      it('lists pending transactions oldest first, across payments, until they are applied', async () => {
        const p1 = await insert();
        const p2 = await insert();
        const a = makeTransaction(p1.id, { createdAt: at(300), state: 'pending' });
        const b = makeTransaction(p2.id, { createdAt: at(100), state: 'pending' });
        const c = makeTransaction(p1.id, { createdAt: at(200), state: 'applied' });
        const d = makeTransaction(p2.id, { createdAt: at(250), state: 'review' });
        await store.transaction(async (tx) => {
          for (const t of [a, b, c, d]) await tx.insertTransaction(t);
        });
        const ours = (list: { id: string }[]) => list.map((t) => t.id).filter((id) => [a.id, b.id, c.id, d.id].includes(id));
        expect(ours(await store.listPendingTransactions())).to.deep.equal([b.id, a.id]);
        expect(ours(await store.listPendingTransactions({ includeReview: true }))).to.deep.equal([b.id, d.id, a.id]);
        await store.transaction((tx) => tx.updateTransaction({ ...b, state: 'applied', isSuccess: true }));
        expect(ours(await store.listPendingTransactions())).to.deep.equal([a.id]);
        await store.transaction((tx) => tx.updateTransaction({ ...d, state: 'applied', isSuccess: true }));
        expect(ours(await store.listPendingTransactions({ includeReview: true }))).to.deep.equal([a.id]);
      });
    });

    describe('atomicity', () => {
      it('rolls back every write when the function throws, and rethrows its error', async () => {
        const payment = makePayment();
        const existing = await insert();
        const key = uid('idem');
        const event = uid('evt');
        const boom = new Error('boom');
        const error = await rejects(
          store.transaction(async (tx) => {
            await tx.insertPayment(payment);
            await tx.insertTransaction(makeTransaction(payment.id));
            expect(await tx.updatePayment({ ...existing, chargeStatus: 'cancelled', version: 2 }, 1)).to.equal(true);
            expect(await tx.claimIdempotencyKey(key, 'h', at(0))).to.deep.equal({ claimed: true });
            expect(await tx.recordWebhookEvent('gw', event, at(0))).to.equal(true);
            await tx.upsertCustomerAccount({ customerId: key, channel: 'c', gateway: 'gw', gatewayCustomerId: 'cus_1', createdAt: at(0) });
            // The transaction sees its own writes.
            expect((await tx.getPayment(payment.id))?.id).to.equal(payment.id);
            expect(await tx.listTransactions(payment.id)).to.have.length(1);
            throw boom;
          }),
        );
        expect(error).to.equal(boom);
        expect(await store.getPayment(payment.id)).to.equal(null);
        expect(await store.listTransactions(payment.id)).to.deep.equal([]);
        expect((await store.getPayment(existing.id))!.chargeStatus).to.equal('not-charged');
        expect(await store.getIdempotencyRecord(key)).to.equal(null);
        expect(await store.transaction((tx) => tx.recordWebhookEvent('gw', event, at(0)))).to.equal(true);
        expect(await store.transaction((tx) => tx.getCustomerAccount(key, 'c', 'gw'))).to.equal(null);
      });

      it('does not show uncommitted writes outside the transaction', async () => {
        const payment = makePayment();
        const inserted = signal();
        const checked = signal();
        const writer = store.transaction(async (tx) => {
          await tx.insertPayment(payment);
          inserted.resolve();
          await checked.promise;
        });
        await inserted.promise;
        const read = store.getPayment(payment.id);
        if ((store as { driver?: { serialTransactions?: boolean } }).driver?.serialTransactions === true) {
          // PGlite runs one session at a time: the read waits for the open transaction, so it can only
          // see the state that transaction commits, never its uncommitted writes.
          let readEnded = false;
          const ended = () => (readEnded = true);
          void read.then(ended, ended);
          expect(readEnded, 'the read answered while the writer was open').to.equal(false);
          checked.resolve();
          await writer;
          expect((await read)?.id, 'the read after the commit').to.equal(payment.id);
        } else {
          // Elsewhere a read does not wait for the writer: it answers, with the last committed state, while
          // the writer is still open (which a hang here would show it did not).
          expect(await read, 'a read while the writer was open').to.equal(null);
          checked.resolve();
          await writer;
        }
        expect((await store.getPayment(payment.id))?.id).to.equal(payment.id);
      });

      it('refuses a transaction object used after its transaction ended', async () => {
        let leaked: Parameters<Parameters<LedgerStore['transaction']>[0]>[0] | undefined;
        await store.transaction(async (tx) => {
          leaked = tx;
        });
        // The caller's mistake, with a stable code (not a plain Error).
        for (const error of [await rejects(leaked!.getPayment(uid('x'))), await rejects(leaked!.insertPayment(makePayment()))]) {
          expect(isPayhostError(error, 'invalid_input'), String(error)).to.equal(true);
          expect((error as PayhostError).details).to.include({ reason: 'transaction_ended' });
          expect((error as Error).message).to.match(/transaction already ended/);
        }
      });
    });

    describe('row locks (FOR UPDATE)', () => {
      it('makes a second locker wait until the first transaction ends, then see its write', async () => {
        const payment = await insert();
        const events: string[] = [];
        const aLocked = signal();
        const releaseA = signal();
        const a = store.transaction(async (tx) => {
          const p = await tx.getPayment(payment.id, { forUpdate: true });
          events.push('A locked');
          aLocked.resolve();
          await releaseA.promise;
          expect(await tx.updatePayment({ ...p!, capturedAmount: new Decimal('10'), version: p!.version + 1 }, p!.version)).to.equal(true);
          events.push('A commits');
        });
        await aLocked.promise;
        const b = store.transaction(async (tx) => {
          const p = await tx.getPayment(payment.id, { forUpdate: true });
          events.push(`B locked at version ${p!.version}`);
          return p;
        });
        // B is waiting for A's lock (seen, not guessed): only then is A released.
        await untilBlocked(store, 'B (locking the payment)');
        events.push('A released');
        releaseA.resolve();
        const [, seenByB] = await Promise.all([a, b]);
        expect(events).to.deep.equal(['A locked', 'A released', 'A commits', 'B locked at version 2']);
        expectAmount(seenByB!.capturedAmount, '10');
      });

      it('loses no update when concurrent transactions lock, read and increment', async () => {
        const payment = await insert(makePayment({ capturedAmount: new Decimal('0') }));
        const n = 8;
        const results = await Promise.all(
          Array.from({ length: n }, () =>
            store.transaction(async (tx) => {
              const p = (await tx.getPayment(payment.id, { forUpdate: true }))!;
              await pause(1);
              return tx.updatePayment({ ...p, capturedAmount: p.capturedAmount.plus('0.01'), version: p.version + 1 }, p.version);
            }),
          ),
        );
        expect(results).to.deep.equal(Array(n).fill(true));
        const read = await store.getPayment(payment.id);
        expect(read!.version).to.equal(1 + n);
        expectAmount(read!.capturedAmount, '0.08');
      });
    });

    describe('PSP reference claims', () => {
      it("answers another payment's id when it holds the reference, null when none or only the claimer does", async () => {
        const psp = uid('psp');
        const holder = await insert(makePayment({ pspReference: psp }));
        const claimer = await insert();
        expect(await store.transaction((tx) => tx.claimPspReference('payhost.dummy', psp, claimer.id))).to.equal(holder.id);
        expect(await store.transaction((tx) => tx.claimPspReference('payhost.dummy', psp, holder.id))).to.equal(null);
        expect(await store.transaction((tx) => tx.claimPspReference('other', psp, claimer.id))).to.equal(null);
        expect(await store.transaction((tx) => tx.claimPspReference('payhost.dummy', uid('psp'), claimer.id))).to.equal(null);
      });

      it('makes a second claimer wait until the first transaction ends, then see its payment; a rollback frees the reference', async () => {
        const psp = uid('psp');
        const [a, b, c] = [await insert(), await insert(), await insert()];
        const events: string[] = [];
        const aClaimed = signal();
        const releaseA = signal();
        const first = store.transaction(async (tx) => {
          expect(await tx.claimPspReference('payhost.dummy', psp, a.id)).to.equal(null);
          aClaimed.resolve();
          await releaseA.promise;
          expect(await tx.updatePayment({ ...a, pspReference: psp, version: 2 }, 1)).to.equal(true);
          events.push('A commits');
        });
        await aClaimed.promise;
        const second = store.transaction(async (tx) => {
          const holder = await tx.claimPspReference('payhost.dummy', psp, b.id);
          events.push(`B sees ${holder === a.id ? 'A' : String(holder)}`);
        });
        await untilBlocked(store, 'B (claiming the reference)');
        events.push('A released');
        releaseA.resolve();
        await Promise.all([first, second]);
        expect(events).to.deep.equal(['A released', 'A commits', 'B sees A']);

        const other = uid('psp');
        await rejects(
          store.transaction(async (tx) => {
            expect(await tx.claimPspReference('payhost.dummy', other, b.id)).to.equal(null);
            await tx.updatePayment({ ...b, pspReference: other, version: 2 }, 1);
            throw new Error('rolled back');
          }),
        );
        expect(await store.transaction((tx) => tx.claimPspReference('payhost.dummy', other, c.id))).to.equal(null);
      });
    });

    describeKeyedRecords(() => store);
    describePluginSettings(() => store);
    describeUnsettledRefunds(() => store);
    describeCustomerDetails(() => store);
    describeUnsettledPendingCharges(() => store);

    describe('migrations', () => {
      it('can migrate again (and again) without losing data', async () => {
        const payment = await insert();
        await store.migrate();
        await store.migrate();
        expect((await store.getPayment(payment.id))?.id).to.equal(payment.id);
      });
    });
  });

  describeClosedStore(name, makeStore, options.openTimeout ?? 60_000);
}
