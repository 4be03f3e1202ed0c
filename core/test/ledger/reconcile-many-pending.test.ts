import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, PaymentService, type GatewayResponse, type LedgerStore, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GatedDummy, key, payInput, setup, type Setup } from './helpers.js';
import { answersAs, restoreAfterEach } from './support/pending-charges.js';

const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

/** A MemoryLedgerStore whose getPayment and listTransactions (outside a database transaction) are counted. */
function countingStore(): { store: LedgerStore; reads: { getPayment: number; listTransactions: number } } {
  const target = new MemoryLedgerStore();
  const reads = { getPayment: 0, listTransactions: 0 };
  const store = new Proxy(target, {
    get(t, name, receiver) {
      const value = Reflect.get(t, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (name === 'getPayment' || name === 'listTransactions') {
        return (...args: unknown[]) => {
          reads[name] += 1;
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(t);
    },
  });
  return { store, reads };
}

// Failed bank transfers and USSD payments stay `pending` for a person and pile up by the thousand: a pass must cost
// one read of each charge it asks about, nothing for one its backoff says is not due, and no walk of the backoff per row.
describe('ledger: reconciliation over many charges still pending', () => {
  let env: Setup;
  restoreAfterEach(() => env);

  /** `count` payments whose charge the processor answered pending (ch_1, ch_2, ...), and a service on a settable clock. */
  async function manyPending(count: number, age = HOUR) {
    const { store, reads } = countingStore();
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answersAs(`ch_${++next}`)('pending', { amount: p.amount, currency: p.currency }));
    env = setup({ plugin: GatedDummy, store });
    const ids: string[] = [];
    let created = 0;
    for (let n = 0; n < count; n++) {
      const payment = await env.create();
      const { transaction } = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      ids.push(transaction.id);
      created = Math.max(created, transaction.createdAt.getTime());
    }
    // Each an hour old (or a few ms more): asked about every 6 minutes (younger than 10 minutes: at every pass).
    const clock = { now: created + age };
    const service = new PaymentService({ manager: env.manager, store, clock: () => new Date(clock.now) });
    // The processor still shows each one pending.
    const asked: string[] = [];
    const status = sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
      asked.push(input.transaction.id);
      return answersAs(input.transaction.gatewayTransactionId ?? '')('pending');
    });
    return { service, ids, reads, asked, clock, status };
  }

  it('reads each due charge\'s payment and transactions once, and nothing of one not due yet (held, not asked)', async () => {
    const { service, ids, reads, asked, clock } = await manyPending(25);
    reads.getPayment = reads.listTransactions = 0;
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ checked: 25, held: ids, skipped: [], failed: [] });
    expect(asked).to.deep.equal(ids);
    expect(reads, 'one read pair per charge asked about').to.deep.equal({ getPayment: 25, listTransactions: 25 });

    // A minute later (an hour old: asked every 6 minutes), none is due: nothing read, nothing asked.
    clock.now += MINUTE;
    reads.getPayment = reads.listTransactions = 0;
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ checked: 25, held: ids });
    expect(reads, 'nothing read for charges not due').to.deep.equal({ getPayment: 0, listTransactions: 0 });
    expect(asked).to.have.length(25);
  });

  it('forgets the charges no longer listed once per pass, not once per charge (no walk of the backoff per row)', async () => {
    const { service, clock } = await manyPending(30);
    await service.reconcile({ minAgeMs: 0 });
    clock.now += MINUTE;
    const keys = sinon.spy(Map.prototype, 'keys');
    const deletes = sinon.spy(Map.prototype, 'delete');
    await service.reconcile({ minAgeMs: 0 });
    // Pruning per row walked every remembered id for each of the 30 (30 keys() calls, 900 steps).
    expect(keys.callCount, 'Map keys() calls in a pass over 30 charges').to.be.below(5);
    expect(deletes.callCount).to.equal(0);
  });

  it('with a budget (on an injected clock), a pass stops and the next one goes on with the charges not reached before re-asking the others', async () => {
    const { service, ids, asked, clock, status } = await manyPending(6);
    const timers = sinon.useFakeTimers({ toFake: ['performance'] });
    try {
      // Each status question takes 100 ms of the pass's clock.
      status.callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
        asked.push(input.transaction.id);
        timers.tick(100);
        return answersAs(input.transaction.gatewayTransactionId ?? '')('pending');
      });
      const first = await service.reconcile({ minAgeMs: 0, budgetMs: 250 });
      expect(first).to.deep.include({ checked: 6, held: ids.slice(0, 3), skipped: ids.slice(3), failed: [] });
      clock.now += MINUTE;
      const second = await service.reconcile({ minAgeMs: 0, budgetMs: 250 });
      // The first three are not due (held without a question); the three not reached are asked now.
      expect(second).to.deep.include({ checked: 6, held: ids, skipped: [] });
      expect(asked).to.deep.equal(ids);
    } finally {
      timers.restore();
    }
  });

  it('with a budget, passes that each reach only some of the charges due at every pass rotate through all of them', async () => {
    // A minute old (asked about at every pass): walked oldest first, every pass asked about the same three.
    const { service, ids, asked, clock, status } = await manyPending(6, MINUTE);
    const timers = sinon.useFakeTimers({ toFake: ['performance'] });
    try {
      status.callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
        asked.push(input.transaction.id);
        timers.tick(100);
        return answersAs(input.transaction.gatewayTransactionId ?? '')('pending');
      });
      const passes: string[][] = [];
      for (let n = 0; n < 8; n++) {
        const before = asked.length;
        await service.reconcile({ minAgeMs: 0, budgetMs: 250 });
        passes.push(asked.slice(before));
        clock.now += MINUTE;
      }
      expect(passes[0]).to.deep.equal(ids.slice(0, 3));
      expect(passes[1], 'the second pass asks about the three not reached').to.deep.equal(ids.slice(3));
      for (const id of ids) expect(passes.filter((p) => p.includes(id)), `passes asking about ${id}`).to.have.length(4);
    } finally {
      timers.restore();
    }
  });

  it('with a budget, refunds still ongoing and charges still pending take turns: many of one group do not starve the other', async () => {
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answersAs(`re_${p.idempotencyKey}`)('refund_ongoing', { amount: p.amount, currency: p.currency }));
    // Charged as usual first (the stub is in place before the plugin is built), then answered pending.
    const processPayment = sinon.stub(GatedDummy.prototype, 'processPayment').callThrough();
    env = setup({ plugin: GatedDummy });
    const refunds: string[] = [];
    for (let n = 0; n < 4; n++) {
      const payment = await env.create();
      await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      refunds.push((await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' })).transaction.id);
    }
    let next = 0;
    processPayment.callsFake(async (p: PaymentData): Promise<GatewayResponse> => answersAs(`ch_${++next}`)('pending', { amount: p.amount, currency: p.currency }));
    const charges: string[] = [];
    let created = 0;
    for (let n = 0; n < 2; n++) {
      const { transaction } = await env.service.process({ paymentId: (await env.create()).id, idempotencyKey: key() });
      charges.push(transaction.id);
      created = transaction.createdAt.getTime();
    }
    const service = new PaymentService({ manager: env.manager, store: env.store, clock: () => new Date(created + MINUTE) });
    const timers = sinon.useFakeTimers({ toFake: ['performance'] });
    const asked: string[] = [];
    try {
      sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput): Promise<GatewayResponse> => {
        asked.push(input.transaction.id);
        timers.tick(100);
        const answer = answersAs(input.transaction.gatewayTransactionId ?? '');
        return input.transaction.kind === 'refund_ongoing' ? answer('refund_ongoing', { amount: input.transaction.amount }) : answer('pending');
      });
      const report = await service.reconcile({ minAgeMs: 0, budgetMs: 350 });
      // One question of each group in turn (refunds first, then charges, each oldest first took the whole budget).
      expect(asked).to.deep.equal([refunds[0], charges[0], refunds[1], charges[1]]);
      expect(report).to.deep.include({ checked: 6, held: [refunds[0], refunds[1], charges[0], charges[1]], skipped: [refunds[2], refunds[3]], failed: [] });
    } finally {
      timers.restore();
    }
  });

  it('a transaction held for review is asked about again after the same wait (a tenth of its age), not at every pass', async () => {
    env = setup({ plugin: GatedDummy, faults: { 'after-pending': () => { throw new Error('crash'); } } });
    await env.service.pay(payInput()).catch(() => undefined);
    const [row] = await env.store.listPendingTransactions();
    let now = row!.createdAt.getTime() + HOUR;
    const service = new PaymentService({ manager: env.manager, store: env.store, clock: () => new Date(now) });
    const asked = sinon.stub(GatedDummy.prototype, 'getTransactionStatus').resolves(undefined);
    expect((await service.reconcile({ minAgeMs: 0 })).review).to.deep.equal([row!.id]);
    now += MINUTE;
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ checked: 1, held: [row!.id], review: [] });
    expect(asked.callCount, 'an hour old: asked every 6 minutes').to.equal(1);
    now += 6 * MINUTE;
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([row!.id]);
    expect(asked.callCount).to.equal(2);
  });

  it('a refund still ongoing is asked about again after the same wait, not at every pass', async () => {
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => answersAs('re_1')('refund_ongoing', { amount: p.amount, currency: p.currency }));
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const ongoing = (await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' })).transaction;
    let now = ongoing.createdAt.getTime() + HOUR;
    const service = new PaymentService({ manager: env.manager, store: env.store, clock: () => new Date(now) });
    const asked = sinon.stub(GatedDummy.prototype, 'getTransactionStatus').resolves(answersAs('re_1')('refund_ongoing', { amount: '4.00' as never }));
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([ongoing.id]);
    now += MINUTE;
    expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([ongoing.id]);
    expect(asked.callCount).to.equal(1);
    now += 6 * MINUTE;
    await service.reconcile({ minAgeMs: 0 });
    expect(asked.callCount).to.equal(2);
  });
});
