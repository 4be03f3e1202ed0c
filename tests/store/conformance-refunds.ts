import { expect } from 'chai';
import type { LedgerStore, Transaction } from '@payhost/core';
import { at, makePayment, makeTransaction, uid } from './fixtures.js';

/**
 * listUnsettledRefunds of the LedgerStore conformance suite: refunds the processor accepted and has
 * not reported finished, which listReview shows and reconciliation asks the gateway about. Registered
 * inside describeLedgerStoreConformance, which opens the store (shared: only this test's rows count).
 */
export function describeUnsettledRefunds(getStore: () => LedgerStore): void {
  let store: LedgerStore;
  before(() => {
    store = getStore();
  });

  describe('unsettled refunds', () => {
    it('lists applied refund_ongoing rows no applied refund/refund_failed of the same gateway id (same payment) settles, oldest first', async () => {
      const list = store.listUnsettledRefunds?.bind(store);
      // Optional in the interface; every store of this repository has it.
      if (!list) throw new Error('listUnsettledRefunds is not implemented');
      const [p1, p2, p3] = [makePayment(), makePayment(), makePayment()];
      const gw = (name: string) => uid(`re_${name}`);
      const ongoing = (paymentId: string, seconds: number, overrides: Partial<Transaction> = {}) =>
        makeTransaction(paymentId, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: gw('ongoing'), createdAt: at(seconds), updatedAt: at(seconds), ...overrides });
      const settling = (of: Transaction, overrides: Partial<Transaction> = {}) =>
        makeTransaction(of.paymentId, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(900), ...overrides });

      const open = ongoing(p1.id, 300);
      const noId = ongoing(p2.id, 50, { gatewayTransactionId: null });
      const refunded = ongoing(p1.id, 100);
      const failed = ongoing(p2.id, 200);
      const settlingPending = ongoing(p2.id, 150);
      const otherRefund = ongoing(p3.id, 250);
      const otherPayment = ongoing(p3.id, 260);
      // isSuccess set, so that the state alone keeps them out.
      const stillPending = ongoing(p1.id, 10, { state: 'pending' });
      const inReview = ongoing(p1.id, 20, { state: 'review' });
      const unsuccessful = ongoing(p3.id, 30, { isSuccess: false });
      const plainRefund = makeTransaction(p3.id, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: gw('plain'), createdAt: at(40) });
      const rows = [
        open,
        noId,
        refunded,
        settling(refunded),
        failed,
        settling(failed, { kind: 'refund_failed', isSuccess: false }),
        settlingPending,
        // Not applied yet: settles nothing.
        settling(settlingPending, { state: 'pending', isSuccess: false }),
        otherRefund,
        settling(otherRefund, { gatewayTransactionId: gw('other') }),
        otherPayment,
        // The same refund id on another payment is no answer about this one.
        settling({ ...otherPayment, paymentId: p1.id }),
        stillPending,
        inReview,
        unsuccessful,
        plainRefund,
      ];
      await store.transaction(async (tx) => {
        for (const p of [p1, p2, p3]) await tx.insertPayment(p);
        for (const t of rows) await tx.insertTransaction(t);
      });
      const ours = async () => (await list()).filter((t) => rows.some((r) => r.id === t.id));

      const listed = await ours();
      expect(listed.map((t) => t.id)).to.deep.equal([noId.id, settlingPending.id, otherRefund.id, otherPayment.id, open.id]);
      const read = listed.find((t) => t.id === open.id)!;
      expect(read).to.deep.equal({ ...open, amount: read.amount });
      expect(read.amount.toFixed()).to.equal('100');

      // Settled by its refund (a person, reconciliation or the event), it leaves the list.
      await store.transaction((tx) => tx.insertTransaction(settling(open, { kind: 'refund_failed', isSuccess: false })));
      await store.transaction((tx) => tx.insertTransaction(settling(noId, { gatewayTransactionId: gw('unrelated') })));
      expect((await ours()).map((t) => t.id)).to.deep.equal([noId.id, settlingPending.id, otherRefund.id, otherPayment.id]);
      // The ongoing row given the id (resolveReview does), then a settling row of it: gone too.
      const id = gw('late');
      await store.transaction(async (tx) => {
        await tx.updateTransaction({ ...noId, gatewayTransactionId: id, updatedAt: at(950) });
        await tx.insertTransaction(settling({ ...noId, gatewayTransactionId: id }));
      });
      expect((await ours()).map((t) => t.id)).to.deep.equal([settlingPending.id, otherRefund.id, otherPayment.id]);
    });

    // The stores keep the unsettled ones apart (no scan of every refund ever settled): every way a row changes counts.
    it('follows every write that changes whether a refund is settled, in any order', async () => {
      const list = store.listUnsettledRefunds!.bind(store);
      const p = makePayment();
      const ongoing = (seconds: number, gatewayTransactionId: string | null = uid('re_x')) =>
        makeTransaction(p.id, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId, createdAt: at(seconds), updatedAt: at(seconds) });
      const settling = (of: Transaction, overrides: Partial<Transaction> = {}) =>
        makeTransaction(p.id, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(900), ...overrides });
      const [late, reopened, unapplied, becomesCapture, becomesApplied] = [ongoing(10), ongoing(20), ongoing(30), ongoing(40), ongoing(50)];
      const [reopenedBy, unappliedBy] = [settling(reopened), settling(unapplied, { kind: 'refund_failed', isSuccess: false })];
      const mine = [late, reopened, unapplied, becomesCapture, becomesApplied];
      const ours = async () => (await list()).filter((t) => mine.some((r) => r.id === t.id)).map((t) => t.id);
      await store.transaction(async (tx) => {
        await tx.insertPayment(p);
        // Its settling row first (the processor's event came before the refund's answer was applied).
        await tx.insertTransaction(settling(late));
        await tx.insertTransaction(late);
        for (const t of [reopened, reopenedBy, unapplied, unappliedBy, becomesCapture]) await tx.insertTransaction(t);
        await tx.insertTransaction({ ...becomesApplied, state: 'pending' });
      });
      expect(await ours()).to.deep.equal([becomesCapture.id]);

      // One write a transaction: a store that looked again at the payment's rows for another write would hide a miss.
      await store.transaction((tx) => tx.updateTransaction({ ...becomesCapture, kind: 'capture' }));
      expect(await ours()).to.deep.equal([]);
      // A settling row of another refund id, or no longer applied, settles it no more.
      await store.transaction((tx) => tx.updateTransaction({ ...reopenedBy, gatewayTransactionId: uid('re_other') }));
      await store.transaction((tx) => tx.updateTransaction({ ...unappliedBy, state: 'review' }));
      await store.transaction((tx) => tx.updateTransaction(becomesApplied));
      expect(await ours()).to.deep.equal([reopened.id, unapplied.id, becomesApplied.id]);

      // Its settling row given back its id; an ongoing row given the id an applied settling row has.
      await store.transaction(async (tx) => {
        await tx.updateTransaction({ ...reopenedBy, gatewayTransactionId: reopened.gatewayTransactionId, updatedAt: at(950) });
        await tx.updateTransaction({ ...unapplied, gatewayTransactionId: late.gatewayTransactionId, updatedAt: at(950) });
      });
      expect(await ours()).to.deep.equal([becomesApplied.id]);
    });
  });
}
