import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, type PaymentData } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, GatedDummy, codeOf, expectAmount, key, rejection, setup, type Setup } from './helpers.js';

describe('ledger: idempotency', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    await env?.close();
  });

  it('20 concurrent calls with one key: one gateway call, 20 identical results', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    env = setup();
    const payment = await env.create();
    const k = key();
    const results = await Promise.all(Array.from({ length: 20 }, () => env.service.process({ paymentId: payment.id, idempotencyKey: k })));
    expect(spy.callCount).to.equal(1);
    for (const r of results) expect(r).to.deep.equal(results[0]);
    expect(results[0]?.payment.chargeStatus).to.equal('fully-charged');
    expect(await env.service.listTransactions(payment.id)).to.have.length(1);
    // And once more after it completed: the recorded result, still no call.
    expect(await env.service.process({ paymentId: payment.id, idempotencyKey: k })).to.deep.equal(results[0]);
    expect(spy.callCount).to.equal(1);
  });

  it('replays the recorded result even after the payment moved on', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const k = key();
    const first = await env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '4.00' });
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '6.00' });
    // "4", Decimal 4 and "4.00" are the same parameters.
    const again = await env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: new Decimal(4) });
    expect(again).to.deep.equal(first);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '10');
  });

  it('the same key with other parameters is idempotency_key_reused, in flight or done', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const k = key();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '1.00' });
    await arrived;
    expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '2.00' }))).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    await first;
    expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '2.00' }))).to.equal('idempotency_key_reused');
    expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: k, amount: '1.00' }))).to.equal('idempotency_key_reused');
    const other = await env.create();
    expect(await codeOf(env.service.capture({ paymentId: other.id, idempotencyKey: k, amount: '1.00' }))).to.equal('idempotency_key_reused');
  });

  it('replays a decline as the same typed error without calling the gateway again', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    env = setup();
    const payment = await env.create({ token: DUMMY_TOKENS.declined });
    const k = key();
    const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }))));
    const later = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }));
    for (const err of [...errors, later]) {
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      expect((err as GatewayDeclinedError).transactionId).to.equal((errors[0] as GatewayDeclinedError).transactionId);
    }
    expect(spy.callCount).to.equal(1);
    expect(await env.service.listTransactions(payment.id)).to.have.length(1);
  });

  it('rule rejections are not recorded: the key is free again once the operation is allowed', async () => {
    env = setup();
    const payment = await env.create();
    const k = key();
    expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '1.00' }))).to.equal('operation_not_allowed');
    expect(await env.store.getIdempotencyRecord(k)).to.equal(null);
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '1.00' });
    expectAmount(captured.payment.capturedAmount, '1');
  });

  it('createPayment is idempotent too', async () => {
    env = setup();
    const k = key();
    const input = { idempotencyKey: k, channel: 'web', total: '5.00', currency: 'USD', token: DUMMY_TOKENS.success };
    const [a, b] = await Promise.all([env.service.createPayment(input), env.service.createPayment({ ...input, total: new Decimal('5') })]);
    expect(a).to.deep.equal(b);
    expect(await codeOf(env.service.createPayment({ ...input, total: '6.00' }))).to.equal('idempotency_key_reused');
    // A payment-creation key cannot be replayed as an operation.
    expect(await codeOf(env.service.process({ paymentId: a.id, idempotencyKey: k }))).to.equal('idempotency_key_reused');
  });

  it('sends the gateway a key derived from payment and transaction, stable for that transaction', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'capturePayment');
    env = setup();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const a = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1' });
    const b = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1' });
    const sent = spy.getCalls().map((c) => (c.args[0] as PaymentData).idempotencyKey);
    expect(sent).to.deep.equal([a.transaction.gatewayIdempotencyKey, b.transaction.gatewayIdempotencyKey]);
    expect(sent[0]).to.equal(`payhost:capture:${payment.id}:${a.transaction.id}`);
    expect(sent[0]).to.not.equal(sent[1]);
  });

  it('across processes: a second service on the same store waits for the first (polling) and gets its result', async () => {
    const spy = sinon.spy(GatedDummy.prototype, 'capturePayment');
    env = setup({ plugin: GatedDummy });
    const other = new PaymentService({ manager: env.manager, store: env.store, idempotency: { pollMs: 1, maxPollMs: 5 } });
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const k = key();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '2.00' });
    await arrived;
    const second = other.capture({ paymentId: payment.id, idempotencyKey: k, amount: '2.00' });
    // The second one is polling the store's in-flight record; let the first finish.
    expect((await env.store.getIdempotencyRecord(k))?.state).to.equal('in_flight');
    GatedDummy.gate.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b).to.deep.equal(a);
    expect(spy.callCount).to.equal(1);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '2');
  });

  it('a waiter gives up with payment_busy when the holder never finishes (crashed before reconciliation)', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ store, faults: { 'after-pending': () => Promise.reject(new Error('crash')) } });
    const payment = await env.create();
    const k = key();
    expect((await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }))).message).to.equal('crash');
    const other = new PaymentService({ manager: env.manager, store, idempotency: { pollMs: 1, maxPollMs: 2, waitTimeoutMs: 20 } });
    expect(await codeOf(other.process({ paymentId: payment.id, idempotencyKey: k }))).to.equal('payment_busy');
  });
});
