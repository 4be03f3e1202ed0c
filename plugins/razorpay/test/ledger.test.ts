import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, isPayhostError, type FaultHooks, type Payment, type PluginManager } from '@payhost/core';
import { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;
// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

describe('razorpay through the ledger (PaymentService)', () => {
  blockOutsideNetwork();
  let fake: FakeRazorpay;
  let manager: PluginManager;
  let service: PaymentService;
  let faults: FaultHooks;
  /** Shifts the ledger's clock (transactions' createdAt), e.g. to make a crashed call old enough to settle. */
  let clockOffsetMs = 0;

  before(async () => {
    fake = await FakeRazorpay.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    faults = {};
    clockOffsetMs = 0;
  });
  afterEach(() => manager?.close());

  function setup(overrides: Record<string, string | boolean> = {}): void {
    manager = makeManager(fake, overrides);
    service = new PaymentService({
      manager,
      store: new MemoryLedgerStore(),
      idempotency: { waitTimeoutMs: 500 },
      clock: () => new Date(Date.now() + clockOffsetMs),
      faults: new Proxy({}, { get: (_t, point: string) => faults[point as keyof FaultHooks] }),
    });
  }

  /** The host's checkout: a client token (order), the customer pays in Checkout, the host records the payment with the result. */
  async function checkout(total = '499.50', status: 'authorized' | 'captured' | 'failed' = 'authorized', error?: { reason: string; description: string }): Promise<{ payment: Payment; razorpayPaymentId: string }> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'INR' })) as { order_id: string };
    const result = fake.checkout(token.order_id, { status, ...(error ? { error } : {}) });
    const { payment: _p, ...handlerResult } = result;
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'INR', token: JSON.stringify(handlerResult) });
    return { payment, razorpayPaymentId: result.razorpay_payment_id };
  }

  async function webhook(delivery: { rawBody: Buffer; headers: Record<string, string> }) {
    const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  it('process (auto-capture) charges the payment; partial refunds, several, until fully refunded', async () => {
    setup();
    const { payment, razorpayPaymentId } = await checkout();
    const processed = await service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(processed.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: razorpayPaymentId });
    expect(processed.transaction).to.deep.include({ kind: 'capture', isSuccess: true, gatewayTransactionId: razorpayPaymentId });
    const first = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100.00' });
    expect(first.payment.chargeStatus).to.equal('partially-refunded');
    expect(first.payment.capturedAmount.eq('399.5')).to.equal(true);
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '99.50' });
    const last = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(last.transaction.amount.eq('300')).to.equal(true);
    expect(last.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expect(fake.state.payment(razorpayPaymentId)).to.include({ status: 'refunded', amount_refunded: 49950 });
    expect(fake.state.refundsOf(razorpayPaymentId).map((r) => r.notes['payhost_idempotency_key'])).to.have.length(3);
  });

  it('process without auto-capture authorizes; capture then charges it', async () => {
    setup({ auto_capture: false });
    const { payment, razorpayPaymentId } = await checkout();
    const auth = await service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(auth.payment.chargeStatus).to.equal('not-charged');
    expect(auth.payment.authorizedAmount.eq('499.5')).to.equal(true);
    const captured = await service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
    expect(fake.state.payment(razorpayPaymentId).status).to.equal('captured');
  });

  it('a declined payment is recorded as a failed transaction with the unified code, nothing charged', async () => {
    setup();
    const { payment } = await checkout('499.50', 'failed', { reason: 'insufficient_funds', description: 'Your account has insufficient balance' });
    const error = await service.process({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('declined'), (e: unknown) => e);
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect(error).to.deep.include({ errorCode: 'declined', message: 'Your account has insufficient balance' });
    const [tx] = await service.listTransactions(payment.id);
    expect(tx).to.deep.include({ isSuccess: false, errorCode: 'declined', state: 'applied' });
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('a forged checkout signature fails the payment and captures nothing', async () => {
    setup();
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('10'), currency: 'INR' })) as { order_id: string };
    const result = fake.checkout(token.order_id);
    const forged = JSON.stringify({ razorpay_order_id: result.razorpay_order_id, razorpay_payment_id: result.razorpay_payment_id, razorpay_signature: '0'.repeat(64) });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10', currency: 'INR', token: forged });
    const error = await service.process({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('forged'), (e: unknown) => e);
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect((error as Error).message).to.equal('The Razorpay checkout signature is invalid');
    expect(fake.state.payment(result.razorpay_payment_id).status).to.equal('authorized');
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('void is not supported: a typed operation_not_supported error, the payment keeps its authorization', async () => {
    setup({ auto_capture: false });
    const { payment } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const error = await service.void({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('void'), (e: unknown) => e);
    expect(isPayhostError(error, 'operation_not_supported'), String(error)).to.equal(true);
    const after = await service.getPayment(payment.id);
    expect(after.authorizedAmount.eq('499.5')).to.equal(true);
    expect(after.isActive).to.equal(true);
  });

  it('webhooks: events the API already recorded change nothing; duplicates are dropped; a dashboard refund is applied once', async () => {
    setup();
    const { payment, razorpayPaymentId } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const apiRefund = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
    const captured = await webhook(fake.webhook('payment.captured', { paymentId: razorpayPaymentId }, { eventId: 'evt_cap' }));
    expect(captured.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    // Razorpay's payment.authorized may arrive after the capture: it must not authorize the amount again.
    const lateAuth = await webhook(fake.webhook('payment.authorized', { paymentId: razorpayPaymentId }, { eventId: 'evt_auth_late' }));
    expect(lateAuth.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    expect((await service.getPayment(payment.id)).authorizedAmount.isZero()).to.equal(true);
    const refunded = await webhook(fake.webhook('refund.processed', { refundId: apiRefund.transaction.gatewayTransactionId as string, paymentId: razorpayPaymentId }));
    expect(refunded.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    const dashboard = fake.state.refund(razorpayPaymentId, { amount: 5000 });
    const delivery = fake.webhook('refund.processed', { refundId: dashboard.id, paymentId: razorpayPaymentId }, { eventId: 'evt_dash' });
    const first = await webhook(delivery);
    expect(first.results.map((r) => r.status)).to.deep.equal(['applied']);
    expect(first.results[0]?.payment.capturedAmount.eq('349.5')).to.equal(true);
    const again = await webhook(delivery);
    expect(again.results.map((r) => r.status)).to.deep.equal(['duplicate']);
    expect((await service.getPayment(payment.id)).capturedAmount.eq('349.5')).to.equal(true);
  });

  it('webhooks: Razorpay\'s auto-refund of an uncaptured authorization releases it (void), once; nothing was charged or refunded', async () => {
    setup({ auto_capture: false });
    const { payment, razorpayPaymentId } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const auto = fake.state.autoRefund(razorpayPaymentId);
    const delivery = fake.webhook('refund.processed', { refundId: auto.id, paymentId: razorpayPaymentId }, { eventId: 'evt_auto_refund' });
    const first = await webhook(delivery);
    expect(first.results.map((r) => r.status)).to.deep.equal(['applied']);
    expect(first.results[0]?.transaction).to.deep.include({ kind: 'void', isSuccess: true, gatewayTransactionId: auto.id });
    const after = await service.getPayment(payment.id);
    expect(after).to.deep.include({ chargeStatus: 'not-charged', isActive: false });
    expect(after.authorizedAmount.isZero()).to.equal(true);
    expect(after.capturedAmount.isZero()).to.equal(true);
    // Razorpay redelivers; and a second delivery under another event id (no header) finds the void recorded.
    expect((await webhook(delivery)).results.map((r) => r.status)).to.deep.equal(['duplicate']);
    const redelivered = await webhook(fake.webhook('refund.processed', { refundId: auto.id, paymentId: razorpayPaymentId }, { eventId: 'evt_auto_refund_2' }));
    expect(redelivered.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('webhooks: a capture event goes to the payment the order was created for, not the one the customer named in Checkout\'s notes', async () => {
    setup();
    const a = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'INR', token: 'set-later' });
    const b = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'INR', token: 'set-later' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('100.00'), currency: 'INR', data: { paymentId: a.id } })) as { order_id: string };
    const result = fake.checkout(token.order_id, { status: 'captured', notes: { payhost_payment_id: b.id } });
    const { results } = await webhook(fake.webhook('payment.captured', { paymentId: result.razorpay_payment_id }));
    expect(results.map((r) => [r.status, r.payment.id])).to.deep.equal([['applied', a.id]]);
    expect((await service.getPayment(a.id)).chargeStatus).to.equal('fully-charged');
    expect((await service.getPayment(b.id)).chargeStatus).to.equal('not-charged');
  });

  describe('webhooks: a payment note the customer wrote in Checkout cannot move another payment', () => {
    /** The attacker pays, with their own money, an order made without a host payment, naming `victimId` in Checkout's notes. */
    async function attackerCapture(victimId: string, total = '100.00') {
      const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'INR' })) as { order_id: string };
      return fake.checkout(token.order_id, { status: 'captured', notes: { payhost_payment_id: victimId } }).razorpay_payment_id;
    }

    it('no capture is inserted on a payment not processed yet (no reference recorded)', async () => {
      setup();
      const victim = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'INR', token: 'set-later' });
      const attackerPay = await attackerCapture(victim.id);
      const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...fake.webhook('payment.captured', { paymentId: attackerPay }) }))!;
      expect(response.events?.map((e) => [e.paymentId, e.pspReference])).to.deep.equal([[null, attackerPay]]);
      const error = await service.applyGatewayEvent({ ...response.events![0]!, gateway: GATEWAY }).then(() => null, (e: unknown) => e);
      expect(isPayhostError(error, 'payment_not_found'), String(error)).to.equal(true);
      expect(await service.getPayment(victim.id)).to.deep.include({ chargeStatus: 'not-charged', pspReference: null });
      expect(await service.listTransactions(victim.id)).to.deep.equal([]);
    });

    it('a process transaction in flight is not settled by it; reconciliation settles it with its own Razorpay payment', async () => {
      setup();
      const { payment: victim, razorpayPaymentId } = await checkout('100.00');
      faults = {
        'after-gateway': () => {
          throw new Error('simulated crash');
        },
      };
      await service.process({ paymentId: victim.id, idempotencyKey: key() }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
      faults = {};
      const attackerPay = await attackerCapture(victim.id);
      const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...fake.webhook('payment.captured', { paymentId: attackerPay }) }))!;
      expect(response.events?.map((e) => e.paymentId)).to.deep.equal([null]);
      const error = await service.applyGatewayEvent({ ...response.events![0]!, gateway: GATEWAY }).then(() => null, (e: unknown) => e);
      expect(isPayhostError(error, 'payment_not_found'), String(error)).to.equal(true);
      expect((await service.listTransactions(victim.id)).map((t) => t.state)).to.deep.equal(['pending']);
      expect((await service.reconcile({ minAgeMs: 0 })).applied).to.have.length(1);
      expect(await service.getPayment(victim.id)).to.deep.include({ chargeStatus: 'fully-charged', pspReference: razorpayPaymentId });
    });

    it('a payment claimed before claims were signed (an unsigned note) still gets its events, by its reference', async () => {
      setup();
      const { payment, razorpayPaymentId } = await checkout();
      await service.process({ paymentId: payment.id, idempotencyKey: key() });
      // As the plugin wrote its claim before this version: the id alone.
      fake.state.payment(razorpayPaymentId).notes = { payhost_payment_id: payment.id };
      const dashboard = fake.state.refund(razorpayPaymentId, { amount: 5000 });
      const { response, results } = await webhook(fake.webhook('refund.processed', { refundId: dashboard.id, paymentId: razorpayPaymentId }));
      expect(response.events?.map((e) => [e.paymentId, e.pspReference])).to.deep.equal([[null, razorpayPaymentId]]);
      expect(results.map((r) => [r.status, r.payment.id])).to.deep.equal([['applied', payment.id]]);
      expect((await service.getPayment(payment.id)).capturedAmount.eq('449.5')).to.equal(true);
    });
  });

  it('webhooks: a bad signature yields no events, so the ledger is untouched', async () => {
    setup();
    const { payment, razorpayPaymentId } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const dashboard = fake.state.refund(razorpayPaymentId, { amount: 100 });
    const good = fake.webhook('refund.processed', { refundId: dashboard.id, paymentId: razorpayPaymentId });
    const bad = await webhook({ rawBody: good.rawBody, headers: { ...good.headers, 'x-razorpay-signature': 'f'.repeat(64) } });
    expect(bad.response.status).to.equal(401);
    expect(bad.results).to.deep.equal([]);
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('fully-charged');
  });

  it('authorize on an account that auto-captures: recorded as the capture of the money Razorpay took, once; payment.captured changes nothing', async () => {
    setup({ auto_capture: false });
    const { payment, razorpayPaymentId } = await checkout('499.50', 'captured');
    const authorized = await service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expect(authorized.transaction).to.include({ kind: 'capture', isSuccess: true, state: 'applied' });
    expect(authorized.payment.authorizedAmount.isZero(), 'authorized amount').to.equal(true);
    expect(authorized.payment.capturedAmount.toFixed(2)).to.equal('499.50');
    expect(authorized.payment.chargeStatus).to.equal('fully-charged');
    const { results } = await webhook(fake.webhook('payment.captured', { paymentId: razorpayPaymentId }));
    expect(results.map((r) => r.status)).to.deep.equal(['already_applied']);
    expect((await service.listTransactions(payment.id)).map((t) => [t.kind, t.state])).to.deep.equal([['capture', 'applied']]);
    expect((await service.getPayment(payment.id)).capturedAmount.toFixed(2)).to.equal('499.50');
  });

  it('reconcile: a crash after Razorpay captured but before the ledger recorded it is resolved by getTransactionStatus', async () => {
    setup();
    const { payment, razorpayPaymentId } = await checkout();
    faults = {
      'after-gateway': () => {
        throw new Error('simulated crash');
      },
    };
    await service.process({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
    expect(fake.state.payment(razorpayPaymentId).status).to.equal('captured');
    expect((await service.listTransactions(payment.id))[0]?.state).to.equal('pending');
    faults = {};
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.have.length(1);
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
  });

  it('reconcile: a refund that never reached Razorpay is recorded as failed, releasing its reservation', async () => {
    setup();
    const { payment } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    faults = {
      'after-pending': () => {
        throw new Error('crash before the call');
      },
    };
    // Crashed ten minutes ago: a refund Razorpay does not have by now was never made.
    clockOffsetMs = -10 * 60_000;
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10' }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.match(/crash/));
    faults = {};
    clockOffsetMs = 0;
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.have.length(1);
    const txs = await service.listTransactions(payment.id);
    expect(txs.find((t) => t.kind === 'refund')).to.deep.include({ isSuccess: false, state: 'applied' });
    const refund = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(refund.transaction.amount.eq('499.5')).to.equal(true);
  });
  describe('a refund whose answer is lost (timeout)', () => {
    const refundPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/refund'));

    it('goes to review, not gateway_declined; a retry with its key refunds nothing; reconciliation records the one refund Razorpay made', async () => {
      setup({ request_timeout_ms: '400' });
      const { payment, razorpayPaymentId } = await checkout('500.00');
      await service.process({ paymentId: payment.id, idempotencyKey: key() });
      // The ledger's immediate status check cannot reach Razorpay either.
      fake.loseAnswer({ method: 'POST', path: '/refund' }, { delayMs: 1500, thenDrop: 1 });
      const r1 = key();
      const error = await service.refund({ paymentId: payment.id, idempotencyKey: r1, amount: '200.00' }).then(() => expect.fail('lost answer'), (e: unknown) => e);
      expect(isPayhostError(error) && error.code).to.equal('outcome_unknown');
      expect(error).to.not.be.instanceOf(GatewayDeclinedError);
      const held = (await service.listTransactions(payment.id)).at(-1);
      expect(held).to.deep.include({ kind: 'refund', state: 'review' });
      // Its amount stays reserved: only 300 of the 500 captured can still be refunded.
      const tooMuch = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '300.01' }).then(() => expect.fail('reserved'), (e: unknown) => e);
      expect(isPayhostError(tooMuch) && tooMuch.code).to.equal('amount_exceeds');
      const retry = await service.refund({ paymentId: payment.id, idempotencyKey: r1, amount: '200.00' }).then(() => expect.fail('busy'), (e: unknown) => e);
      expect(isPayhostError(retry) && retry.code).to.match(/payment_busy|outcome_unknown/);
      expect(refundPosts()).to.have.length(1);

      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([held?.id]);
      const after = await service.getPayment(payment.id);
      expect(after).to.deep.include({ chargeStatus: 'partially-refunded' });
      expect(after.capturedAmount.eq('300')).to.equal(true);
      expect(fake.state.payment(razorpayPaymentId).amount_refunded).to.equal(20000);
      expect(fake.state.refundsOf(razorpayPaymentId)).to.have.length(1);
    });

    it('is settled at once when the status check finds the refund: ledger and Razorpay agree after a second refund', async () => {
      setup({ request_timeout_ms: '400' });
      const { payment, razorpayPaymentId } = await checkout('500.00');
      await service.process({ paymentId: payment.id, idempotencyKey: key() });
      fake.loseAnswer({ method: 'POST', path: '/refund' }, { delayMs: 1500 });
      const first = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '200.00' });
      expect(first.transaction).to.deep.include({ kind: 'refund', isSuccess: true, state: 'applied' });
      const second = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '200.00' });
      expect(second.payment.capturedAmount.eq('100')).to.equal(true);
      expect(fake.state.payment(razorpayPaymentId).amount_refunded).to.equal(40000);
      expect(refundPosts()).to.have.length(2);
    });
  });
});
