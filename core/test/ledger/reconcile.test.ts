import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, PaymentService, type FaultContext, type FaultHooks, type FaultPoint } from '@payhost/core';
import { GatedDummy, codeOf, expectAmount, key, makeManager, rejection, setup, type Setup } from './helpers.js';

/** Simulates a crash at one fault point: the operation stops there, the ledger stays as a crash would leave it. */
function crashAt(point: FaultPoint, operation?: string): FaultHooks {
  let left = 1;
  return {
    [point]: (context: FaultContext) => {
      if ((operation === undefined || context.operation === operation) && left-- > 0) throw new Error(`crash at ${point}`);
    },
  };
}

describe('ledger: crash safety and reconcile()', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    GatedDummy.canTell = true;
    await env?.close();
  });

  it('crash after the gateway call: reconcile applies what the gateway did, and the caller\'s key replays it', async () => {
    const spy = sinon.spy(GatedDummy.prototype, 'processPayment');
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: crashAt('after-gateway') });
    const payment = await env.create();
    const k = key();
    expect((await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }))).message).to.equal('crash at after-gateway');
    const [pending] = await store.listPendingTransactions();
    expect(pending).to.deep.include({ paymentId: payment.id, state: 'pending', idempotencyKey: k });
    expect((await store.getIdempotencyRecord(k))?.state).to.equal('in_flight');
    expect((await env.service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');

    // A new process starts and reconciles.
    const restarted = new PaymentService({ manager: env.manager, store });
    const report = await restarted.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [pending?.id], review: [] });
    const after = await restarted.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
    expectAmount(after.capturedAmount, '10');
    expect(await store.listPendingTransactions()).to.have.length(0);
    const replay = await restarted.process({ paymentId: payment.id, idempotencyKey: k });
    expect(replay.transaction.id).to.equal(pending?.id);
    expect(spy.callCount).to.equal(1);
    expect((await restarted.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
  });

  it('reconcile sends the operation\'s data again (card data removed), so the gateway can find the call', async () => {
    const seen: unknown[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input) => {
      seen.push(input.payment.data);
      return undefined; // cannot tell: the row goes to review, which is enough here
    });
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: crashAt('after-gateway') });
    const payment = await env.create();
    // A card number itself is refused (card-numbers.test.ts); a card field such as the CVC is dropped.
    const data = { connectedAccountId: 'acct_42', nested: { ref: 'r-1' }, cvc: '123' };
    await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key(), data }));
    const [pending] = await store.listPendingTransactions();
    expect(pending?.requestData).to.deep.equal({ connectedAccountId: 'acct_42', nested: { ref: 'r-1' } });
    const restarted = new PaymentService({ manager: env.manager, store });
    expect((await restarted.reconcile({ minAgeMs: 0 })).review).to.deep.equal([pending?.id]);
    expect(seen).to.deep.equal([{ connectedAccountId: 'acct_42', nested: { ref: 'r-1' } }]);
  });

  it('crash before the gateway call: the gateway never saw it, the reservation is released as a failed attempt', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: crashAt('after-pending', 'refund') });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    await rejection(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' }));
    // The pending refund reserves the whole amount until it is resolved.
    expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }))).to.equal('amount_exceeds');
    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.have.length(1);
    const txs = await env.service.listTransactions(payment.id);
    expect(txs.at(-1)).to.deep.include({ kind: 'refund', state: 'applied', isSuccess: false, errorCode: 'processing_error' });
    const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' });
    expectAmount(refunded.payment.capturedAmount, '9');
  });

  it('a gateway that cannot tell: the transaction goes to review and keeps its reservation', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: crashAt('after-gateway') });
    GatedDummy.canTell = false;
    const payment = await env.create();
    await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report.review).to.have.length(1);
    const [tx] = await env.service.listTransactions(payment.id);
    expect(tx).to.deep.include({ state: 'review' });
    expect(tx?.error).to.match(/could not tell/);
    // Nothing else may run on the payment until the review is resolved: busy (409), not refused for good (422).
    const busy = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'held_for_review', transactionId: tx?.id, kind: 'capture', operation: 'process' });
    // The processor's event resolves it.
    const result = await env.service.applyGatewayEvent({
      gateway: 'payhost.dummy',
      eventId: 'evt-review-1',
      paymentId: payment.id,
      gatewayIdempotencyKey: tx?.gatewayIdempotencyKey ?? null,
      response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'gw-tx-1', pspReference: 'gw-ch-1' },
    });
    expect(result.status).to.equal('applied');
    expect(result.payment.chargeStatus).to.equal('fully-charged');
  });

  it('a status answer that itself cannot tell (outcome_unknown) is not a final failure: review, the reservation kept', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: crashAt('after-gateway') });
    const payment = await env.create();
    await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    // The status request's own answer was lost: the plugin says so, as a lost charge answer does.
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').resolves({
      isSuccess: false,
      actionRequired: false,
      kind: 'capture',
      amount: payment.total,
      currency: payment.currency,
      transactionId: '',
      error: 'The status request timed out',
      errorCode: 'processing_error',
      customerId: null,
      cardInfo: null,
      rawResponse: { outcome_unknown: true },
      actionRequiredData: null,
      transactionAlreadyProcessed: false,
      pspReference: null,
    });
    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report.review).to.have.length(1);
    const [tx] = await env.service.listTransactions(payment.id);
    expect(tx).to.deep.include({ state: 'review' });
    // Still reserved: another process of the payment waits until the review is settled (a failure would have freed it).
    expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('payment_busy');
    expect((await env.service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('leaves alone transactions whose gateway call is in flight in this process, and young ones with minAgeMs', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const manager = makeManager({ plugin: GatedDummy });
    const store = new MemoryLedgerStore();
    const service = new PaymentService({ manager, store, clock: () => now });
    env = { manager, store, service, create: () => Promise.reject(new Error('unused')), close: () => manager.close() };
    const payment = await service.createPayment({ idempotencyKey: key(), channel: 'web', total: '5', currency: 'USD', token: 'tok_dummy_success' });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const running = service.process({ paymentId: payment.id, idempotencyKey: key() });
    await arrived;
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [], review: [] });
    expect(report.skipped).to.have.length(1);
    const other = new PaymentService({ manager, store, clock: () => now });
    expect((await other.reconcile({ minAgeMs: 60_000 })).skipped).to.have.length(1);
    now = new Date(now.getTime() + 120_000);
    GatedDummy.gate.open();
    await running;
    expect((await other.reconcile({ minAgeMs: 60_000 })).checked).to.equal(0);
  });

  it('an API result arriving after reconciliation marked the transaction for review still applies', async () => {
    const manager = makeManager({ plugin: GatedDummy });
    const store = new MemoryLedgerStore();
    const service = new PaymentService({ manager, store });
    env = { manager, store, service, create: () => Promise.reject(new Error('unused')), close: () => manager.close() };
    const payment = await service.createPayment({ idempotencyKey: key(), channel: 'web', total: '5', currency: 'USD', token: 'tok_dummy_success' });
    GatedDummy.gate.close();
    GatedDummy.canTell = false;
    const arrived = GatedDummy.gate.nextArrival();
    const running = service.process({ paymentId: payment.id, idempotencyKey: key() });
    await arrived;
    // Another instance, thinking it crashed, reconciles it.
    expect((await new PaymentService({ manager, store }).reconcile({ minAgeMs: 0 })).review).to.have.length(1);
    GatedDummy.gate.open();
    const result = await running;
    expect(result.transaction.state).to.equal('applied');
    expect(result.payment.chargeStatus).to.equal('fully-charged');
  });

  it('a row that cannot be reconciled is reported failed, and the pass goes on with the rows after it', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: { 'after-gateway': () => { throw new Error('crash'); } } });
    const stuck = await env.create();
    const other = await env.create();
    await rejection(env.service.process({ paymentId: stuck.id, idempotencyKey: key() }));
    await rejection(env.service.process({ paymentId: other.id, idempotencyKey: key() }));
    const [first, second] = await store.listPendingTransactions();
    expect(first?.paymentId).to.equal(stuck.id);
    // The oldest row's payment cannot be read (say, a row the database refuses): it fails on every pass.
    const read = store.getPayment.bind(store);
    sinon.stub(store, 'getPayment').callsFake((id: string) => (id === stuck.id ? Promise.reject(new Error('unreadable row')) : read(id)));
    const restarted = new PaymentService({ manager: env.manager, store });
    const report = await restarted.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 2, failed: [first?.id], applied: [second?.id] });
    expect((await restarted.getPayment(other.id)).chargeStatus).to.equal('fully-charged');
    expect((await store.listPendingTransactions()).map((t) => t.id)).to.deep.equal([first?.id]);
  });

  it('a pass stops between transactions once its signal aborts: the one in progress finishes, the rest are left as they are and reported skipped', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store, faults: { 'after-gateway': () => { throw new Error('crash'); } } });
    const payments = [await env.create(), await env.create(), await env.create()];
    for (const payment of payments) await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    const [first, ...rest] = await store.listPendingTransactions();
    expect(rest).to.have.length(2);
    const asked = sinon.spy(GatedDummy.prototype, 'getTransactionStatus');
    const controller = new AbortController();
    // The host shuts down while the gateway is being asked about the first row.
    const restarted = new PaymentService({ manager: env.manager, store, faults: { 'after-gateway': (context) => void (context.operation === 'reconcile' && controller.abort()) } });
    const report = await restarted.reconcile({ minAgeMs: 0, signal: controller.signal });
    expect(asked.callCount).to.equal(1);
    expect(report).to.deep.include({ checked: 3, applied: [first?.id], review: [], failed: [], skipped: rest.map((t) => t.id) });
    expect((await store.listPendingTransactions()).map((t) => [t.id, t.state])).to.deep.equal(rest.map((t) => [t.id, 'pending']));
    // An aborted signal from the start: nothing is asked, everything is skipped; the next pass resolves them.
    expect(await restarted.reconcile({ minAgeMs: 0, signal: AbortSignal.abort() })).to.deep.include({ checked: 2, applied: [], skipped: rest.map((t) => t.id) });
    expect(asked.callCount).to.equal(1);
    expect((await new PaymentService({ manager: env.manager, store }).reconcile({ minAgeMs: 0 })).applied).to.deep.equal(rest.map((t) => t.id));
  });
});
