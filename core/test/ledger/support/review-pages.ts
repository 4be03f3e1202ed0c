import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, PaymentService, type LedgerStore, type Payment, type ReviewItem, type ReviewReason, type Transaction } from '@payhost/core';
import { CHANNEL, GATEWAY, GatedDummy, makeManager, rejection } from '../helpers.js';

/**
 * The review list a page at a time (review-page.ts), on a store of `openStore` per test: core's on the
 * memory store, tests/ledger's on PGlite. The rows are written straight to the store (a payment and one
 * transaction each, at chosen times) so the order, ties of createdAt and every kind of item are exact.
 */
export function reviewPagesSuite(storeName: string, openStore: () => Promise<LedgerStore>): void {
  describe(`ledger: the review list a page at a time (${storeName} store)`, () => {
    const NOW = Date.parse('2026-03-01T12:00:00.000Z');
    const DAY = 24 * 60 * 60 * 1000;
    let store: LedgerStore;
    let reads: { getPayment: number; listTransactions: number };
    let service: PaymentService;

    beforeEach(async () => {
      store = await openStore();
      reads = { getPayment: 0, listTransactions: 0 };
      // Counts the per-item reads of the list (outside any store transaction).
      const counted = new Proxy(store, {
        get(target, name, receiver) {
          const value: unknown = Reflect.get(target, name, receiver);
          if (typeof value !== 'function') return value;
          if (name === 'getPayment' || name === 'listTransactions') {
            return (...args: unknown[]) => {
              reads[name] += 1;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return (value as (...a: unknown[]) => unknown).bind(target);
        },
      });
      service = new PaymentService({ manager: makeManager({ plugin: GatedDummy }), store: counted, clock: () => new Date(NOW) });
    });
    afterEach(async () => {
      await store.close();
    });

    function paymentRow(chargeStatus: Payment['chargeStatus'], at: Date): Payment {
      const amount = new Decimal('10.00');
      const captured = chargeStatus === 'pending' ? new Decimal(0) : amount;
      return {
        id: randomUUID(),
        channel: CHANNEL,
        gateway: GATEWAY,
        chargeStatus,
        total: amount,
        authorizedAmount: new Decimal(0),
        capturedAmount: captured,
        currency: 'USD',
        customerId: null,
        customerEmail: null,
        token: null,
        pspReference: null,
        toConfirm: false,
        isActive: true,
        storePaymentMethod: false,
        metadata: {},
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
    }

    type Seeded = ReviewReason | 'settled_pending_charge';

    /** A payment and its row of `what`, created at NOW - `ageMs`, with the id given (to order ties). */
    async function seed(what: Seeded, ageMs: number, id: string = randomUUID()): Promise<Transaction> {
      const at = new Date(NOW - ageMs);
      const payment = paymentRow(what === 'pending_charge' || what === 'settled_pending_charge' ? 'pending' : 'fully-charged', at);
      const base: Transaction = {
        id,
        paymentId: payment.id,
        kind: 'refund',
        state: 'review',
        isSuccess: false,
        actionRequired: false,
        actionRequiredData: null,
        amount: new Decimal('10.00'),
        currency: 'USD',
        errorCode: null,
        error: 'the gateway could not tell',
        gatewayTransactionId: null,
        pspReference: null,
        customerId: null,
        rawResponse: null,
        requestData: null,
        idempotencyKey: null,
        gatewayIdempotencyKey: `payhost:refund:${payment.id}:${id}`,
        createdAt: at,
        updatedAt: at,
      };
      const applied = { state: 'applied' as const, isSuccess: true, error: null };
      const row: Transaction =
        what === 'held_for_review'
          ? base
          : what === 'refund_ongoing'
            ? { ...base, ...applied, kind: 'refund_ongoing', gatewayTransactionId: `re_${id}` }
            : { ...base, ...applied, kind: 'pending', gatewayTransactionId: `ch_${id}`, gatewayIdempotencyKey: `payhost:process:${payment.id}:${id}` };
      await store.transaction(async (tx) => {
        await tx.insertPayment(payment);
        await tx.insertTransaction(row);
        if (what === 'settled_pending_charge') {
          // Its capture applied, the payment left pending (as an older instance did): the store lists it, the list must not.
          const settledAt = new Date(at.getTime() + 1);
          await tx.insertTransaction({ ...row, id: randomUUID(), kind: 'capture', gatewayIdempotencyKey: `event:${id}`, createdAt: settledAt, updatedAt: settledAt });
        }
      });
      return row;
    }

    const ids = (items: readonly ReviewItem[]): string[] => items.map((i) => i.transaction.id);

    /** Every page of `limit`, after the cursor each gave. */
    async function allPages(limit: number): Promise<{ pages: ReviewItem[][]; cursors: (string | null)[] }> {
      const pages: ReviewItem[][] = [];
      const cursors: (string | null)[] = [];
      let after: string | null = null;
      do {
        const page: { items: ReviewItem[]; nextCursor: string | null } = await service.listReviewPage({ limit, after });
        pages.push(page.items);
        cursors.push(page.nextCursor);
        after = page.nextCursor;
        expect(pages.length, 'pages end').to.be.lessThan(50);
      } while (after !== null);
      return { pages, cursors };
    }

    it('pages through items of all three kinds oldest first (createdAt, then id), each once; nextCursor null on the last page', async () => {
      const tie = new Date(NOW - 3 * DAY).getTime();
      const expected: [string, ReviewReason][] = [];
      const add = async (what: ReviewReason, ageMs: number, id?: string): Promise<void> => {
        const row = await seed(what, ageMs, id);
        expected.push([row.id, what]);
      };
      await add('pending_charge', 5 * DAY);
      await add('refund_ongoing', 4 * DAY);
      // Three created in the same millisecond: ordered by id.
      await add('held_for_review', NOW - tie, 'ffffffff-0000-4000-8000-000000000003');
      await add('pending_charge', NOW - tie, '00000000-0000-4000-8000-000000000001');
      await add('refund_ongoing', NOW - tie, '88888888-0000-4000-8000-000000000002');
      await seed('settled_pending_charge', 2 * DAY);
      await add('held_for_review', DAY);
      await add('pending_charge', 2 * 60 * 60 * 1000);
      await add('refund_ongoing', 1000);
      // Younger than the hour: not listed.
      await seed('pending_charge', 60 * 1000);
      await seed('settled_pending_charge', 500);
      // The tie ordered by id: 0000..., 8888..., ffff....
      const tie3 = expected.slice(2, 5);
      const inOrder = [...expected.slice(0, 2), tie3[1], tie3[2], tie3[0], ...expected.slice(5)];
      const whole = await service.listReview();
      expect(whole.map((i) => [i.transaction.id, i.reason])).to.deep.equal(inOrder);
      for (const limit of [1, 2, 3, 7, 8, 9, 100]) {
        const { pages, cursors } = await allPages(limit);
        expect(ids(pages.flat()), `limit ${limit}`).to.deep.equal(ids(whole));
        expect(pages.map((p) => p.length), `limit ${limit}`).to.deep.equal(Array.from({ length: Math.ceil(whole.length / limit) }, (_, i) => Math.min(limit, whole.length - i * limit)));
        expect(cursors.at(-1), `limit ${limit}`).to.equal(null);
        expect(cursors.slice(0, -1).every((c) => typeof c === 'string')).to.equal(true);
      }
      // The item after a cursor is the same with or without the items before it resolved meanwhile.
      const first = await service.listReviewPage({ limit: 2 });
      expect(first.items.map((i) => i.reason)).to.deep.equal(['pending_charge', 'refund_ongoing']);
      expect(first.items[0]?.payment.id).to.equal(first.items[0]?.transaction.paymentId);
      const next = await service.listReviewPage({ limit: 100, after: first.nextCursor });
      expect(ids(next.items)).to.deep.equal(ids(whole).slice(2));
      expect(next.nextCursor).to.equal(null);
    });

    it('defaults to 100 items a page; reads the payments of the page and of one more row only', async () => {
      for (let i = 0; i < 105; i++) await seed(i % 2 === 0 ? 'held_for_review' : 'refund_ongoing', (200 - i) * 60_000);
      reads.getPayment = 0;
      const page = await service.listReviewPage();
      expect(page.items).to.have.length(100);
      expect(page.nextCursor).to.be.a('string');
      expect(reads.getPayment, 'the page and the next row').to.equal(101);
      const rest = await service.listReviewPage({ after: page.nextCursor });
      expect(rest.items).to.have.length(5);
      expect(rest.nextCursor).to.equal(null);

      reads.getPayment = 0;
      reads.listTransactions = 0;
      const small = await service.listReviewPage({ limit: 3 });
      expect(small.items).to.have.length(3);
      expect(reads.getPayment, 'three items and the fourth row, not 105').to.equal(4);
      expect(reads.listTransactions).to.equal(0);
    });

    it('pending charges: two reads each, for the rows of the page only', async () => {
      for (let i = 0; i < 20; i++) await seed('pending_charge', (100 - i) * 60 * 60 * 1000);
      reads.getPayment = 0;
      reads.listTransactions = 0;
      const page = await service.listReviewPage({ limit: 5 });
      expect(page.items.map((i) => i.reason)).to.deep.equal(Array(5).fill('pending_charge'));
      expect(reads).to.deep.equal({ getPayment: 6, listTransactions: 6 });
    });

    it('refuses a cursor it did not give (invalid_input, details.reason invalid_cursor) and a limit out of 1..1000', async () => {
      await seed('held_for_review', DAY);
      const good = (await service.listReviewPage({ limit: 1 })).items;
      expect(good).to.have.length(1);
      const forged = Buffer.from('r2:1:x', 'utf8').toString('base64url');
      for (const after of ['nope!', 'bm9wZQ', forged, Buffer.from('r1:abc:id', 'utf8').toString('base64url'), 'x'.repeat(501)]) {
        const err = await rejection(service.listReviewPage({ after }));
        expect(err.code, after).to.equal('invalid_input');
        expect(err.details, after).to.deep.include({ field: 'after', reason: 'invalid_cursor' });
      }
      for (const limit of [0, 1001, 1.5, -1, Number.NaN]) {
        const err = await rejection(service.listReviewPage({ limit }));
        expect(err.code, String(limit)).to.equal('invalid_input');
        expect(err.details, String(limit)).to.deep.include({ field: 'limit' });
      }
      expect((await service.listReviewPage({ limit: 1000 })).items).to.have.length(1);
    });
  });
}
