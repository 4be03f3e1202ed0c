import { expect } from 'chai';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { makePayment } from './fixtures.js';

/**
 * PGlite answers in the process: an awaited statement resumes in a microtask, so a loop of store calls
 * never let the event loop turn, and timers, sockets and every other request waited for the loop to end
 * (a review listing of 5,000 items held the server 6 s). The store lets the loop turn between sessions,
 * never inside one. No timing is asserted: the loops below run until the event loop turned, or give up
 * after far more calls than a turn needs.
 */
describe('PGlite store: the event loop turns during a loop of store calls', function () {
  this.timeout(120_000);
  let store: SqlLedgerStore;
  before(async () => {
    store = await createPgliteStore();
  });
  after(() => store.close());

  /** Store calls one after another until `done()` or `limit` calls; how many ran. */
  async function callsUntil(done: () => boolean, limit: number, call: (i: number) => Promise<unknown>): Promise<number> {
    let calls = 0;
    while (!done() && calls < limit) await call(calls++);
    return calls;
  }

  it('runs a setImmediate scheduled before a loop of reads, and a timer, before the loop ends', async () => {
    const payment = makePayment();
    await store.transaction((tx) => tx.insertPayment(payment));
    const LIMIT = 20_000;

    let immediate = false;
    setImmediate(() => {
      immediate = true;
    });
    const reads = await callsUntil(() => immediate, LIMIT, () => store.getPayment(payment.id));
    expect(immediate, `no turn of the event loop in ${reads} reads`).to.equal(true);
    expect(reads).to.be.below(LIMIT);

    let timer = false;
    setTimeout(() => {
      timer = true;
    }, 1);
    const more = await callsUntil(() => timer, LIMIT, (i) => (i % 2 === 0 ? store.getPayment(payment.id) : store.listTransactions(payment.id)));
    expect(timer, `the timer did not fire in ${more} reads`).to.equal(true);
  });

  it('lets a request that arrives during the loop run between its calls, not after them', async () => {
    const payment = makePayment();
    await store.transaction((tx) => tx.insertPayment(payment));
    // A request arriving (a timer here): its store call queues behind the session starting, not behind the loop.
    let answeredAfter: number | null = null;
    let calls = 0;
    setTimeout(() => {
      void store.getPayment(payment.id).then(() => {
        answeredAfter = calls;
      });
    }, 1);
    while (answeredAfter === null && calls < 20_000) {
      await store.getPayment(payment.id);
      calls += 1;
    }
    expect(answeredAfter, 'the request was answered after the loop').to.not.equal(null);
    expect(calls).to.be.below(20_000);
  });

  it('never lets the event loop turn inside a session: a transaction of many statements runs through, whatever it takes', async () => {
    const payments = Array.from({ length: 400 }, () => makePayment());
    let turned = false;
    let turnedInside: boolean | null = null;
    await store.transaction(async (tx) => {
      setImmediate(() => {
        turned = true;
      });
      for (const p of payments) await tx.insertPayment(p);
      for (const p of payments) await tx.getPayment(p.id);
      turnedInside = turned;
    });
    expect(turnedInside).to.equal(false);
    // The same statements as sessions of their own let it turn.
    turned = false;
    setImmediate(() => {
      turned = true;
    });
    await callsUntil(() => turned, 20_000, (i) => store.getPayment(payments[i % payments.length]!.id));
    expect(turned).to.equal(true);
  });
});
