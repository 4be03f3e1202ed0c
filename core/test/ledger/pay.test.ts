import { expect } from 'chai';
import sinon from 'sinon';
import { GatewayDeclinedError, MemoryLedgerStore, PaymentService, type FaultHooks, type PayInput } from '@payhost/core';
import { CHANNEL, DUMMY_TOKENS, DummyGatewayPlugin, GATEWAY, GatedDummy, codeOf, expectAmount, key, payInput, rejection, setup, type Setup } from './helpers.js';

/** pay(): createPayment and process (or authorize) as one idempotent operation. */
describe('ledger: pay (create and charge in one operation)', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    await env?.close();
  });

  const input = payInput;

  it('creates and charges the payment: one transaction, one idempotency record, and a replay calls nothing', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    env = setup();
    const request = input();
    const result = await env.service.pay(request);
    expect(result.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(result.payment.capturedAmount, '10');
    expect(result.transaction).to.deep.include({ kind: 'capture', state: 'applied', isSuccess: true, paymentId: result.payment.id });
    expect(await env.service.listTransactions(result.payment.id)).to.have.length(1);
    expect((await env.store.getIdempotencyRecord(request.idempotencyKey))?.state).to.equal('done');

    const again = await env.service.pay({ ...request, total: '10' });
    expect(again).to.deep.equal(result);
    // The currency as the payment records it: "usd" is the same request as "USD" (createPayment too).
    expect(await env.service.pay({ ...request, currency: ` ${request.currency.toLowerCase()}` })).to.deep.equal(result);
    expect(spy.callCount).to.equal(1);
    const createKey = key();
    const created = await env.service.createPayment({ ...request, idempotencyKey: createKey });
    expect(await env.service.createPayment({ ...request, currency: request.currency.toLowerCase(), idempotencyKey: createKey })).to.deep.equal(created);
    // The stored payment is the one returned.
    expect(await env.service.getPayment(result.payment.id)).to.deep.equal(result.payment);
  });

  it('20 concurrent calls with one key: one payment, one gateway call, identical results', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    env = setup();
    const request = input();
    const results = await Promise.all(Array.from({ length: 20 }, () => env.service.pay(request)));
    expect(spy.callCount).to.equal(1);
    for (const r of results) expect(r).to.deep.equal(results[0]);
  });

  it('action "authorize" only authorizes; the result can then be captured', async () => {
    env = setup();
    const { payment, transaction } = await env.service.pay(input({ action: 'authorize' }));
    expect(transaction.kind).to.equal('auth');
    expectAmount(payment.authorizedAmount, '10');
    expectAmount(payment.capturedAmount, '0');
    const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
  });

  it('an optional field given as undefined, null or its default is the same request as one leaving it out (a retry through JSON replays)', async () => {
    env = setup();
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    const unset = { customerId: undefined, customerEmail: null, gateway: null, storePaymentMethod: false, metadata: {} };
    for (const [first, retry] of [
      [input(unset), null],
      [input(), unset],
    ] as const) {
      const result = await env.service.pay(first);
      // As a job queue or outbox would hand it back: undefined dropped, the rest as JSON.
      const replayed = JSON.parse(JSON.stringify(first)) as PayInput;
      const again = await env.service.pay(retry === null ? replayed : { ...first, ...retry });
      expect(again).to.deep.equal(result);
      // createPayment alike.
      const createKey = key();
      const created = await env.service.createPayment({ ...first, idempotencyKey: createKey });
      const createRetry = retry === null ? { ...replayed, idempotencyKey: createKey } : { ...first, ...retry, idempotencyKey: createKey };
      expect(await env.service.createPayment(createRetry)).to.deep.equal(created);
    }
    expect(spy.callCount).to.equal(2);
    // What a field does say still counts: a customer, a stored card, metadata, another gateway.
    const request = input();
    await env.service.pay(request);
    for (const other of [{ customerId: 'cus-1' }, { storePaymentMethod: true }, { metadata: { order: '42' } }, { customerEmail: 'a@example.com' }]) {
      expect(await codeOf(env.service.pay({ ...request, ...other })), JSON.stringify(other)).to.equal('idempotency_key_reused');
    }
    // metadata: null is refused under a new key, so under a used one it is not the accepted request either.
    expect(await codeOf(env.service.pay({ ...input(), metadata: null as never }))).to.equal('invalid_input');
    expect(await codeOf(env.service.pay({ ...request, metadata: null as never }))).to.equal('idempotency_key_reused');
  });

  it('data: {} is the same request as no data (the gateway gets no data either way); data that says something is not', async () => {
    env = setup();
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    for (const [first, retry] of [
      [{ data: {} }, {}],
      [{}, { data: {} }],
      [{ data: null }, { data: {} }],
    ] as const) {
      const request = input(first);
      const result = await env.service.pay(request);
      const { data: _data, ...withoutData } = request;
      expect(await env.service.pay({ ...withoutData, ...retry }), JSON.stringify([first, retry])).to.deep.equal(result);
    }
    expect(spy.callCount).to.equal(3);
    expect(spy.getCalls().map((call) => call.args[0].data)).to.deep.equal([null, null, null]);
    const request = input({ data: {} });
    await env.service.pay(request);
    expect(await codeOf(env.service.pay({ ...request, data: { note: 'x' } }))).to.equal('idempotency_key_reused');

    // The operations that take data (process, authorize, confirm) alike.
    const payment = await env.create();
    const k = key();
    const processed = await env.service.process({ paymentId: payment.id, idempotencyKey: k, data: {} });
    expect(await env.service.process({ paymentId: payment.id, idempotencyKey: k })).to.deep.equal(processed);
    expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: k, data: { note: 'x' } }))).to.equal('idempotency_key_reused');
  });

  it('the same key with other parameters is idempotency_key_reused', async () => {
    env = setup();
    const request = input();
    await env.service.pay(request);
    expect(await codeOf(env.service.pay({ ...request, total: '11.00' }))).to.equal('idempotency_key_reused');
    expect(await codeOf(env.service.pay({ ...request, action: 'authorize' }))).to.equal('idempotency_key_reused');
  });

  it('a repeat after the gateway was made inactive still gets the recorded outcome (pay and createPayment)', async () => {
    env = setup();
    const request = input();
    const paid = await env.service.pay(request);
    const created = { idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'USD', token: DUMMY_TOKENS.success };
    const payment = await env.service.createPayment(created);
    env.manager.updatePluginConfiguration(GATEWAY, CHANNEL, { active: false });
    // A new request is refused now (no active gateway takes USD)...
    expect(await codeOf(env.service.pay(input()))).to.equal('currency_not_supported');
    // ...but the repeats answer with what was recorded, and a reused key is still refused as such.
    expect(await env.service.pay(request)).to.deep.equal(paid);
    expect(await env.service.createPayment(created)).to.deep.equal(payment);
    expect(await codeOf(env.service.pay({ ...request, total: '11.00' }))).to.equal('idempotency_key_reused');
  });

  it('a decline records the payment and its failed transaction, and replays as the same typed error', async () => {
    const spy = sinon.spy(DummyGatewayPlugin.prototype, 'processPayment');
    env = setup();
    const request = input({ token: DUMMY_TOKENS.declined });
    const err = await rejection(env.service.pay(request));
    expect(err).to.be.instanceOf(GatewayDeclinedError);
    expect(err.details).to.include({ errorCode: 'declined' });
    const paymentId = err.details?.['paymentId'] as string;
    expect((await env.service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
    expect(await env.service.listTransactions(paymentId)).to.have.length(1);
    const again = await rejection(env.service.pay(request));
    expect(again).to.be.instanceOf(GatewayDeclinedError);
    expect(again.details).to.deep.equal(err.details);
    expect(spy.callCount).to.equal(1);
  });

  it('refuses bad input and a missing payment source before anything is written', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ store });
    const cases: Array<[Partial<PayInput>, string]> = [
      [{ total: '10.001' }, 'invalid_amount'],
      [{ total: '-1' }, 'invalid_amount'],
      [{ currency: 'EUR' }, 'currency_not_supported'],
      [{ channel: 'nowhere' }, 'unknown_channel'],
      [{ token: null, customerId: 'cust-without-card' }, 'no_payment_source'],
      [{ action: 'refund' as 'process' }, 'invalid_input'],
      [{ data: [] as unknown as Record<string, unknown> }, 'invalid_input'],
    ];
    for (const [overrides, code] of cases) {
      const request = input(overrides);
      expect(await codeOf(env.service.pay(request)), JSON.stringify(overrides)).to.equal(code);
      expect(await store.getIdempotencyRecord(request.idempotencyKey)).to.equal(null);
    }
    expect(await store.listPendingTransactions()).to.deep.equal([]);
    // Nothing was recorded: the first payment made now is the only one.
    const { payment } = await env.service.pay(input());
    expect(await store.findPaymentIdByPspReference?.(payment.gateway, payment.pspReference ?? '')).to.equal(payment.id);
  });

  it('a crash after the reserve step leaves the payment and its pending transaction for reconcile(); the key then replays its outcome', async () => {
    const store = new MemoryLedgerStore();
    let crash = true;
    const faults: FaultHooks = {
      'after-pending': () => {
        if (crash) throw new Error('crash at after-pending');
      },
    };
    env = setup({ plugin: GatedDummy, store, faults });
    const request = input();
    expect((await rejection(env.service.pay(request))).message).to.equal('crash at after-pending');
    const [pending] = await store.listPendingTransactions();
    expect(pending).to.deep.include({ state: 'pending', idempotencyKey: request.idempotencyKey, kind: 'capture' });
    expect((await store.getPayment(pending!.paymentId))?.chargeStatus).to.equal('not-charged');

    crash = false;
    const restarted = new PaymentService({ manager: env.manager, store });
    const report = await restarted.reconcile({ minAgeMs: 0 });
    expect(report.checked).to.equal(1);
    expect(await store.listPendingTransactions()).to.deep.equal([]);
    // The gateway never got the call: reconcile records it as failed, and the key replays that failure.
    const replayed = await rejection(restarted.pay(request));
    expect(replayed).to.be.instanceOf(GatewayDeclinedError);
    expect(replayed.details).to.include({ paymentId: pending!.paymentId, transactionId: pending!.id, errorCode: 'processing_error' });
    expect((await store.getPayment(pending!.paymentId))?.chargeStatus).to.equal('not-charged');
  });
});
