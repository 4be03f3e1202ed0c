import { expect } from 'chai';
import { isPayhostError, type LedgerStore, type PayhostError } from '@payhost/core';
import { at, makePayment, makeTransaction, rejects, uid } from './fixtures.js';

/**
 * A closed store in the LedgerStore conformance suite: every call refused with a stable code. Its own
 * store, opened once the suite's is closed (a data directory opens in one store at a time).
 */
export function describeClosedStore(name: string, makeStore: () => Promise<LedgerStore>, openTimeout: number): void {
  describe(`LedgerStore conformance: ${name}, once closed`, function () {
    it('refuses every call with store_unavailable (details.reason closed), and closes again quietly', async function () {
      this.timeout(openTimeout);
      const closed = await makeStore();
      await closed.migrate();
      await closed.close();
      let ran = false;
      const payment = makePayment();
      const calls: Array<[string, (() => Promise<unknown>) | undefined]> = [
        ['migrate', () => closed.migrate()],
        ['transaction', () => closed.transaction(async () => (ran = true))],
        ['getPayment', () => closed.getPayment(payment.id)],
        ['listTransactions', () => closed.listTransactions(payment.id)],
        ['getIdempotencyRecord', () => closed.getIdempotencyRecord(uid('key'))],
        ['listPendingTransactions', () => closed.listPendingTransactions({ includeReview: true })],
        ['claimAndCreate', closed.claimAndCreate && (() => closed.claimAndCreate!({ key: uid('key'), requestHash: 'h', now: at(1) }, payment, makeTransaction(payment.id)))],
        ['findPaymentIdByPspReference', closed.findPaymentIdByPspReference && (() => closed.findPaymentIdByPspReference!('g', 'psp'))],
        ['ping', closed.ping && (() => closed.ping!())],
        ['listPluginSettings', closed.listPluginSettings && (() => closed.listPluginSettings!(0))],
        ['savePluginSettings', closed.savePluginSettings && (() => closed.savePluginSettings!({ plugin: uid('plugin'), channel: null, settings: null, now: at(1) }))],
      ];
      for (const [method, call] of calls) {
        if (!call) continue;
        const error = await rejects(call());
        expect(isPayhostError(error, 'store_unavailable'), `${method}: ${String(error)}`).to.equal(true);
        expect((error as PayhostError).details, method).to.include({ reason: 'closed' });
        expect((error as Error).message, method).to.match(/ is closed/);
      }
      expect(ran, 'the transaction function ran').to.equal(false);
      await closed.close();
    });
  });
}
