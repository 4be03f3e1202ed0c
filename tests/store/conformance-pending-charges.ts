import { expect } from 'chai';
import type { LedgerStore, Payment, Transaction } from '@payhost/core';
import { at, makePayment, makeTransaction, uid } from './fixtures.js';

/**
 * listUnsettledPendingCharges of the LedgerStore conformance suite: charges the processor answered
 * `pending` of a payment still `pending`, whether or not an authorization, capture or failure of the same
 * gateway transaction settled them: reconciliation asks the gateway about those nothing settled, and repairs
 * a payment that stayed `pending` after its charge was settled (the rule before endsPendingCharge).
 * Registered inside describeLedgerStoreConformance, which opens the store (shared: only this test's rows count).
 */
export function describeUnsettledPendingCharges(getStore: () => LedgerStore): void {
  let store: LedgerStore;
  before(() => {
    store = getStore();
  });

  describe('unsettled pending charges', () => {
    it('lists applied pending rows of payments still pending, settled or not, oldest first', async () => {
      const list = store.listUnsettledPendingCharges?.bind(store);
      // Optional in the interface; every store of this repository has it.
      if (!list) throw new Error('listUnsettledPendingCharges is not implemented');
      const payments: Payment[] = [];
      const payment = (overrides: Partial<Payment> = {}): Payment => {
        const p = makePayment({ chargeStatus: 'pending', ...overrides });
        payments.push(p);
        return p;
      };
      const pending = (paymentId: string, seconds: number, overrides: Partial<Transaction> = {}) =>
        makeTransaction(paymentId, { kind: 'pending', state: 'applied', isSuccess: true, gatewayTransactionId: uid('ch'), createdAt: at(seconds), updatedAt: at(seconds), ...overrides });
      const settling = (of: Transaction, overrides: Partial<Transaction> = {}) =>
        makeTransaction(of.paymentId, { kind: 'capture', state: 'applied', isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(900), ...overrides });

      const open = pending(payment().id, 300);
      const noId = pending(payment().id, 50, { gatewayTransactionId: null });
      const captured = pending(payment().id, 100);
      const authorized = pending(payment().id, 110);
      const declined = pending(payment().id, 120);
      const captureFailed = pending(payment().id, 130);
      const settlingInFlight = pending(payment().id, 150);
      const otherCharge = pending(payment().id, 250);
      const otherPayment = pending(payment().id, 260);
      const refundFailed = pending(payment().id, 270);
      const chargedPayment = pending(payment({ chargeStatus: 'fully-charged' }).id, 20);
      const notChargedPayment = pending(payment({ chargeStatus: 'not-charged' }).id, 25);
      // The payment's status set, so that the row alone keeps them out.
      const stillInFlight = pending(payment().id, 10, { state: 'pending' });
      const inReview = pending(payment().id, 15, { state: 'review' });
      const unsuccessful = pending(payment().id, 30, { isSuccess: false });
      const aCapture = pending(payment().id, 40, { kind: 'capture' });
      const rows = [
        open,
        noId,
        captured,
        settling(captured),
        authorized,
        settling(authorized, { kind: 'auth' }),
        declined,
        settling(declined, { isSuccess: false }),
        captureFailed,
        settling(captureFailed, { kind: 'capture_failed' }),
        settlingInFlight,
        // Not applied yet: settles nothing.
        settling(settlingInFlight, { state: 'pending', isSuccess: false }),
        otherCharge,
        settling(otherCharge, { gatewayTransactionId: uid('ch_other') }),
        otherPayment,
        // The same gateway id on another payment is no answer about this one.
        settling({ ...otherPayment, paymentId: open.paymentId }),
        refundFailed,
        // A refund's failure is no charge's.
        settling(refundFailed, { kind: 'refund_failed', isSuccess: false }),
        chargedPayment,
        notChargedPayment,
        stillInFlight,
        inReview,
        unsuccessful,
        aCapture,
      ];
      await store.transaction(async (tx) => {
        for (const p of payments) await tx.insertPayment(p);
        for (const t of rows) await tx.insertTransaction(t);
      });
      const ours = async () => (await list()).filter((t) => rows.some((r) => r.id === t.id));

      const listed = await ours();
      // Settled ones too: their payment, still pending, is one the older code left so (reconciliation repairs it).
      const all = [noId, captured, authorized, declined, captureFailed, settlingInFlight, otherCharge, otherPayment, refundFailed, open];
      expect(listed.map((t) => t.id)).to.deep.equal(all.map((t) => t.id));
      const read = listed.find((t) => t.id === open.id)!;
      expect(read).to.deep.equal({ ...open, amount: read.amount });
      expect(read.amount.toFixed()).to.equal(open.amount.toFixed());

      // Settled by a failure (its event, or reconciliation) while its payment stays pending: still listed.
      await store.transaction((tx) => tx.insertTransaction(settling(open, { kind: 'pending', isSuccess: false })));
      expect((await ours()).map((t) => t.id)).to.deep.equal(all.map((t) => t.id));
      // Its payment no longer pending (not-charged again, or charged through another gateway transaction): gone.
      for (const [row, chargeStatus] of [[otherCharge, 'partially-charged'], [declined, 'not-charged']] as const) {
        const p = payments.find((x) => x.id === row.paymentId)!;
        await store.transaction(async (tx) => {
          expect(await tx.updatePayment({ ...p, chargeStatus, version: p.version + 1 }, p.version)).to.equal(true);
        });
      }
      expect((await ours()).map((t) => t.id)).to.deep.equal(all.filter((t) => t !== otherCharge && t !== declined).map((t) => t.id));
    });
  });
}
