import { expect } from 'chai';
import { MemoryLedgerStore, type Transaction } from '@payhost/core';
import { describeLedgerStoreConformance } from './conformance.js';
import { at, makePayment, makeTransaction, uid } from './fixtures.js';

describeLedgerStoreConformance('MemoryLedgerStore', async () => new MemoryLedgerStore());

describe('MemoryLedgerStore: unsettled refunds', () => {
  it('lists them from the set it keeps, without going through every transaction (refunds settled long ago included)', async () => {
    const store = new MemoryLedgerStore();
    const payments = Array.from({ length: 20 }, () => makePayment());
    const refund = (paymentId: string, seconds: number): Transaction =>
      makeTransaction(paymentId, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re'), createdAt: at(seconds) });
    const ongoing = payments.map((p, i) => refund(p.id, 100 - i));
    await store.transaction(async (tx) => {
      for (const p of payments) await tx.insertPayment(p);
      for (const [i, t] of ongoing.entries()) {
        await tx.insertTransaction(t);
        // All but two settled.
        if (i % 10 !== 3) await tx.insertTransaction(makeTransaction(t.paymentId, { kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: t.gatewayTransactionId }));
      }
    });
    // Its committed transactions, which a scan would go through: any walk over them now fails.
    const rows = (store as unknown as { state: { transactions: Map<string, unknown> } }).state.transactions;
    const scanned = (): never => {
      throw new Error('went through every transaction');
    };
    Object.assign(rows, { values: scanned, entries: scanned, keys: scanned, forEach: scanned, [Symbol.iterator]: scanned });
    expect((await store.listUnsettledRefunds()).map((t) => t.id)).to.deep.equal([ongoing[13]!.id, ongoing[3]!.id]);
  });
});
