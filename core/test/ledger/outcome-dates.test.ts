import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, type StoredOutcome } from '@payhost/core';
import { makeManager, payInput } from './helpers.js';

/**
 * A recorded outcome's dates are printed by the ledger's own formatter (iso-text.ts), not
 * toISOString: they must be the same text, whatever the year, and a replay must give them back.
 */
describe('ledger: dates in recorded outcomes', () => {
  const times = [
    Date.UTC(2024, 5, 7, 8, 9, 10, 11),
    Date.UTC(2000, 1, 29, 23, 59, 59, 999), // a leap day
    Date.UTC(1969, 11, 31, 23, 59, 59, 1), // before 1970: a negative time
    Date.UTC(5, 0, 2, 3, 4, 5, 6) - Date.UTC(5, 0, 1) + new Date('0005-01-01T00:00:00.000Z').getTime(), // year 5 (Date.UTC reads 5 as 1905)
    new Date('0000-01-01T00:00:00.000Z').getTime(),
    new Date('9999-12-31T23:59:59.999Z').getTime(),
    new Date('+010000-01-01T00:00:00.000Z').getTime(), // the extended-year form
    new Date('-000001-12-31T23:59:59.999Z').getTime(),
  ];

  for (const time of times) {
    it(`prints ${new Date(time).toISOString()} as toISOString does`, async () => {
      let now = time;
      const manager = makeManager();
      const store = new MemoryLedgerStore();
      // Each reading a millisecond later: the payment's and the transaction's dates differ.
      const service = new PaymentService({ manager, store, clock: () => new Date(now++) });
      try {
        const request = payInput();
        const result = await service.pay(request);
        const response = (await store.getIdempotencyRecord(request.idempotencyKey))?.response as StoredOutcome;
        expect(response.ok).to.equal(true);
        const { payment, transaction } = result;
        expect(response.payment).to.include({ createdAt: payment.createdAt.toISOString(), updatedAt: payment.updatedAt.toISOString() });
        expect(response.transaction).to.include({ createdAt: transaction.createdAt.toISOString(), updatedAt: transaction.updatedAt.toISOString() });
        expect(new Date(response.payment?.createdAt ?? Number.NaN).getTime()).to.equal(payment.createdAt.getTime());
        // Another service (no shared in-flight call) replays the record: the dates decode to the same instants.
        const replay = await new PaymentService({ manager, store }).pay(request);
        expect(replay).to.deep.equal(result);
      } finally {
        await store.close();
        await manager.close();
      }
    });
  }
});
