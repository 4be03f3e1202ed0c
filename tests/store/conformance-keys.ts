import { expect } from 'chai';
import type { LedgerStore } from '@payhost/core';
import { at, pause, rejects, signal, uid } from './fixtures.js';

/**
 * The keyed records of the LedgerStore conformance suite: idempotency keys,
 * webhook events and customer accounts. Registered inside
 * describeLedgerStoreConformance, which opens the store.
 */
export function describeKeyedRecords(getStore: () => LedgerStore): void {
  let store: LedgerStore;
  // Registered after the suite's own `before` that opens the store, so it runs after it.
  before(() => {
    store = getStore();
  });

  describe('idempotency keys', () => {
    it('claims, refuses a second claim, completes, and releases', async () => {
      const key = uid('idem');
      expect(await store.getIdempotencyRecord(key)).to.equal(null);
      expect(await store.transaction((tx) => tx.claimIdempotencyKey(key, 'hash-1', at(1)))).to.deep.equal({ claimed: true });
      const second = await store.transaction((tx) => tx.claimIdempotencyKey(key, 'hash-2', at(2)));
      expect(second.claimed).to.equal(false);
      if (second.claimed) throw new Error('unreachable');
      expect(second.record).to.deep.include({ key, requestHash: 'hash-1', state: 'in_flight', response: null });
      expect(second.record.createdAt.getTime()).to.equal(at(1).getTime());

      const response = { ok: true, payment: { id: 'p', amount: '10.50' }, list: [1, 'a'] };
      await store.transaction((tx) => tx.completeIdempotencyKey(key, response, at(3)));
      const done = await store.getIdempotencyRecord(key);
      expect(done).to.deep.include({ key, requestHash: 'hash-1', state: 'done' });
      expect(done!.response).to.deep.equal(response);
      expect(done!.updatedAt.getTime()).to.equal(at(3).getTime());
      const replay = await store.transaction((tx) => tx.claimIdempotencyKey(key, 'hash-1', at(4)));
      expect(replay).to.deep.include({ claimed: false });

      const other = uid('idem');
      await store.transaction((tx) => tx.claimIdempotencyKey(other, 'h', at(1)));
      await store.transaction((tx) => tx.releaseIdempotencyKey(other));
      expect(await store.getIdempotencyRecord(other)).to.equal(null);
      expect(await store.transaction((tx) => tx.claimIdempotencyKey(other, 'h', at(2)))).to.deep.equal({ claimed: true });
    });

    it('stores JSON responses of any shape (string, null, typed error)', async () => {
      for (const response of ['plain', null, { error: { code: 'declined', message: 'no' } }, [1, 2]]) {
        const key = uid('idem');
        await store.transaction(async (tx) => {
          await tx.claimIdempotencyKey(key, 'h', at(1));
          await tx.completeIdempotencyKey(key, response, at(2));
        });
        expect((await store.getIdempotencyRecord(key))!.response).to.deep.equal(response);
      }
    });

    it('keeps its own copy of a response: changing the one given, or one read back, changes nothing stored', async () => {
      const key = uid('idem');
      const response = { payment: { id: 'p', amount: '10.50', metadata: { order: 'o-1' } }, list: [1, 'a'] };
      await store.transaction(async (tx) => {
        await tx.claimIdempotencyKey(key, 'h', at(1));
        await tx.completeIdempotencyKey(key, response, at(2));
      });
      response.payment.metadata.order = 'changed by the caller';
      response.list.push('added');
      const read = (await store.getIdempotencyRecord(key))!.response as typeof response;
      read.payment.amount = 'changed by a reader';
      const replay = await store.transaction((tx) => tx.claimIdempotencyKey(key, 'h', at(3)));
      if (replay.claimed) throw new Error('the key was claimed again');
      const expected = { payment: { id: 'p', amount: '10.50', metadata: { order: 'o-1' } }, list: [1, 'a'] };
      expect(replay.record.response).to.deep.equal(expected);
      expect((await store.getIdempotencyRecord(key))!.response).to.deep.equal(expected);
    });

    it('holds an in-flight key with a marker (holdIdempotencyKey) until completing it replaces it; leaves done and missing keys alone', async () => {
      const marker = { heldForReview: { paymentId: 'pay-1', transactionId: 'tx-1' } };
      const hold = (key: string, now: Date, fail = false): Promise<void> =>
        store.transaction(async (tx) => {
          expect(tx.holdIdempotencyKey, 'the store implements holdIdempotencyKey').to.be.a('function');
          await tx.holdIdempotencyKey!(key, marker, now);
          if (fail) throw new Error('rolled back');
        });
      const key = uid('idem');
      await store.transaction((tx) => tx.claimIdempotencyKey(key, 'h', at(1)));
      await rejects(hold(key, at(2), true));
      expect(await store.getIdempotencyRecord(key), 'a rolled-back hold leaves nothing').to.deep.include({ state: 'in_flight', response: null });

      await hold(key, at(3));
      const held = await store.getIdempotencyRecord(key);
      expect(held).to.deep.include({ key, requestHash: 'h', state: 'in_flight', response: marker });
      expect([held!.createdAt.getTime(), held!.updatedAt.getTime()]).to.deep.equal([at(1).getTime(), at(3).getTime()]);
      const taken = await store.transaction((tx) => tx.claimIdempotencyKey(key, 'h', at(4)));
      expect(taken.claimed ? null : taken.record, 'a claim that finds the key taken sees the marker').to.deep.include({ state: 'in_flight', response: marker });

      await store.transaction((tx) => tx.completeIdempotencyKey(key, { ok: true }, at(5)));
      await hold(key, at(6));
      const done = await store.getIdempotencyRecord(key);
      expect(done).to.deep.include({ state: 'done', response: { ok: true } });
      expect(done!.updatedAt.getTime()).to.equal(at(5).getTime());

      const missing = uid('idem');
      await hold(missing, at(1));
      expect(await store.getIdempotencyRecord(missing)).to.equal(null);
    });

    it('refuses to complete a key that was never claimed', async () => {
      await rejects(store.transaction((tx) => tx.completeIdempotencyKey(uid('idem'), { ok: true }, at(1))));
    });

    it('lets exactly one of many concurrent claims of a key win', async () => {
      const key = uid('idem');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.transaction((tx) => tx.claimIdempotencyKey(key, `hash-${i}`, at(i)))),
      );
      expect(results.filter((r) => r.claimed)).to.have.length(1);
      const winner = results.findIndex((r) => r.claimed);
      for (const r of results) if (!r.claimed) expect(r.record.requestHash).to.equal(`hash-${winner}`);
    });

    it('gives the key to a waiting claimer when the first claimer rolls back', async () => {
      const key = uid('idem');
      const claimed = signal();
      const abort = signal();
      const first = store.transaction(async (tx) => {
        expect(await tx.claimIdempotencyKey(key, 'first', at(1))).to.deep.equal({ claimed: true });
        claimed.resolve();
        await abort.promise;
        throw new Error('first gives up');
      });
      await claimed.promise;
      const second = store.transaction((tx) => tx.claimIdempotencyKey(key, 'second', at(2)));
      await pause(50);
      abort.resolve();
      await rejects(first);
      expect(await second).to.deep.equal({ claimed: true });
      expect((await store.getIdempotencyRecord(key))!.requestHash).to.equal('second');
    });
  });

  describe('webhook events', () => {
    it('records an event once per gateway', async () => {
      const event = uid('evt');
      expect(await store.transaction((tx) => tx.recordWebhookEvent('stripe', event, at(1)))).to.equal(true);
      expect(await store.transaction((tx) => tx.recordWebhookEvent('stripe', event, at(2)))).to.equal(false);
      expect(await store.transaction((tx) => tx.recordWebhookEvent('razorpay', event, at(2)))).to.equal(true);
    });

    it('lets exactly one of many concurrent deliveries through', async () => {
      const event = uid('evt');
      const results = await Promise.all(Array.from({ length: 8 }, () => store.transaction((tx) => tx.recordWebhookEvent('stripe', event, at(1)))));
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });

  describe('customer accounts', () => {
    it('upserts per (customer, channel, gateway), keeping the first creation time', async () => {
      const customer = uid('cust');
      const get = (channel: string, gateway: string) => store.transaction((tx) => tx.getCustomerAccount(customer, channel, gateway));
      expect(await get('c1', 'stripe')).to.equal(null);
      await store.transaction((tx) => tx.upsertCustomerAccount({ customerId: customer, channel: 'c1', gateway: 'stripe', gatewayCustomerId: 'cus_1', createdAt: at(1) }));
      await store.transaction((tx) => tx.upsertCustomerAccount({ customerId: customer, channel: 'c2', gateway: 'stripe', gatewayCustomerId: 'cus_2', createdAt: at(2) }));
      await store.transaction((tx) => tx.upsertCustomerAccount({ customerId: customer, channel: 'c1', gateway: 'stripe', gatewayCustomerId: 'cus_3', createdAt: at(3) }));
      expect(await get('c1', 'stripe')).to.deep.equal({ customerId: customer, channel: 'c1', gateway: 'stripe', gatewayCustomerId: 'cus_3', createdAt: at(1) });
      expect((await get('c2', 'stripe'))!.gatewayCustomerId).to.equal('cus_2');
      expect(await get('c1', 'razorpay')).to.equal(null);
    });
  });
}
