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
  });
}
