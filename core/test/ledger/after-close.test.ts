import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, type OperationResult } from '@payhost/core';
import { GATEWAY, codeOf, expectAmount, key, payInput, rejection, setup, type Setup } from './helpers.js';

/**
 * A PaymentService whose manager's close() was called refuses every request that would reserve or
 * write (shutting_down) before touching the ledger: no new payment, no failed attempt, no claimed key.
 * (A request already past that check when close() begins is closing-manager.test.ts's race.)
 */
describe('ledger: after the manager was closed', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** An authorized payment (not captured), then the manager closed. */
  async function closedAfterAuthorize(): Promise<OperationResult> {
    env = setup({ configuration: { auto_capture: false }, store: new MemoryLedgerStore() });
    const authorized = await env.service.pay(payInput());
    expect(authorized.payment.chargeStatus).to.equal('not-charged');
    expectAmount(authorized.payment.authorizedAmount, '10');
    await env.manager.close();
    return authorized;
  }

  it('every operation answers shutting_down and writes nothing', async () => {
    const authorized = await closedAfterAuthorize();
    const paymentId = authorized.payment.id;
    const before = { payment: await env.service.getPayment(paymentId), transactions: await env.service.listTransactions(paymentId) };
    const writes = sinon.spy(env.store, 'transaction');
    const keys: string[] = [];
    const k = (): string => {
      keys.push(key());
      return keys[keys.length - 1] as string;
    };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['pay', () => env.service.pay(payInput({ idempotencyKey: k() }))],
      ['createPayment', () => env.service.createPayment(payInput({ idempotencyKey: k() }))],
      ['process', () => env.service.process({ paymentId, idempotencyKey: k() })],
      ['authorize', () => env.service.authorize({ paymentId, idempotencyKey: k() })],
      ['capture', () => env.service.capture({ paymentId, idempotencyKey: k(), amount: '4.00' })],
      ['refund', () => env.service.refund({ paymentId, idempotencyKey: k() })],
      ['void', () => env.service.void({ paymentId, idempotencyKey: k() })],
      ['confirm', () => env.service.confirm({ paymentId, idempotencyKey: k() })],
      ['reconcile', () => env.service.reconcile({ minAgeMs: 0 })],
    ];
    for (const [method, call] of calls) {
      const err = await rejection(call());
      expect([err.code, err.details?.['method']], method).to.deep.equal(['shutting_down', method]);
      // Twice: a retry on this instance writes nothing either.
      expect(await codeOf(call()), `${method} again`).to.equal('shutting_down');
    }
    expect(writes.callCount, 'store transactions after close').to.equal(0);
    for (const used of keys) expect(await env.store.getIdempotencyRecord(used), used).to.equal(null);
    expect(await env.service.getPayment(paymentId)).to.deep.equal(before.payment);
    expect(await env.service.listTransactions(paymentId)).to.deep.equal(before.transactions);
  });

  it('a repeat of a completed request is refused too (its retry elsewhere replays it), and the record is kept', async () => {
    env = setup({ store: new MemoryLedgerStore() });
    const request = payInput();
    const paid = await env.service.pay(request);
    await env.manager.close();
    expect(await codeOf(env.service.pay(request))).to.equal('shutting_down');
    const up = setup({ store: env.store });
    try {
      expect(await up.service.pay(request)).to.deep.equal(paid);
    } finally {
      await up.close();
    }
  });

  it('a verified processor event is still applied (it runs no plugin), as are reads', async () => {
    const authorized = await closedAfterAuthorize();
    const event = { gateway: GATEWAY, eventId: 'evt-after-close', paymentId: authorized.payment.id, response: { isSuccess: true, kind: 'capture' as const, amount: '10.00', transactionId: 'cap-dash' } };
    const applied = await env.service.applyGatewayEvent(event);
    expect(applied.status).to.equal('applied');
    expect((await env.service.getPayment(authorized.payment.id)).chargeStatus).to.equal('fully-charged');
  });

  it('reconcile: a manager closing during the pass leaves the pending row as it is, not held for review', async () => {
    env = setup({ store: new MemoryLedgerStore(), faults: { 'after-pending': () => Promise.reject(new Error('crash')) } });
    const request = payInput();
    await rejection(env.service.pay(request));
    const [pending] = await env.store.listPendingTransactions();
    expect(pending?.state).to.equal('pending');
    const list = env.store.listPendingTransactions.bind(env.store);
    // close() begins after reconcile's own check, before it asks the gateway about the row.
    sinon.stub(env.store, 'listPendingTransactions').callsFake(async (options) => {
      void env.manager.close();
      return list(options);
    });
    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report.failed).to.deep.equal([pending?.id]);
    expect(report.review).to.deep.equal([]);
    const [after] = await env.store.listTransactions(pending?.paymentId ?? '');
    expect([after?.id, after?.state]).to.deep.equal([pending?.id, 'pending']);
  });
});
