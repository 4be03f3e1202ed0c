import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, isPayhostError, type FaultHooks, type Payment, type PluginManager } from '@payhost/core';
import { FakeFlutterwave, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager, recordingLogger } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;
// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

describe('flutterwave through the ledger (PaymentService)', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  let service: PaymentService;
  let faults: FaultHooks;

  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    faults = {};
    manager = makeManager(fake);
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), faults: new Proxy({}, { get: (_t, point: string) => faults[point as keyof FaultHooks] }) });
  });
  afterEach(() => manager.close());

  /**
   * The host's checkout: client token (asked before the payment exists: its tx_ref is unbound), the
   * customer pays with Inline, the host records the payment with Inline's result. The host keeps the
   * tx_ref it handed out and pins it when processing (`data.txRef`): that binds the Flutterwave
   * transaction to this payment.
   */
  async function checkout(total = '1500.50', pay: { paid?: string; status?: 'successful' | 'failed' | 'pending'; processorResponse?: string } = {}): Promise<{ payment: Payment; id: number; txRef: string }> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: pay.paid ?? total, currency: 'NGN', ...(pay.status ? { status: pay.status } : {}), ...(pay.processorResponse ? { processorResponse: pay.processorResponse } : {}) });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'NGN', token: JSON.stringify(callback) });
    return { payment, id: callback.transaction_id, txRef: token.tx_ref };
  }

  async function webhook(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>, via: PluginManager = manager) {
    const response = (await via.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  it('process records the verified capture; partial refunds, several, until fully refunded', async () => {
    const { payment, id, txRef } = await checkout();
    const processed = await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    expect(processed.payment).to.deep.include({ chargeStatus: 'fully-charged', pspReference: String(id) });
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '500.25' });
    const second = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '0.25' });
    expect(second.payment.chargeStatus).to.equal('partially-refunded');
    expect(second.payment.capturedAmount.eq('1000')).to.equal(true);
    const last = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(last.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expect(fake.state.refunds.size).to.equal(3);
  });

  it('an amount mismatch is a typed failure recorded as a failed transaction: nothing is paid', async () => {
    const { payment, txRef } = await checkout('1500.50', { paid: '15.05' });
    const error = await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } }).then(() => expect.fail('mismatch'), (e: unknown) => e);
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    expect(error).to.deep.include({ errorCode: 'processing_error' });
    expect((error as Error).message).to.match(/is for 15.05 NGN, the payment expects 1500.5 NGN/);
    const after = await service.getPayment(payment.id);
    expect(after).to.deep.include({ chargeStatus: 'not-charged' });
    expect(after.capturedAmount.isZero()).to.equal(true);
    const [tx] = await service.listTransactions(payment.id);
    expect(tx).to.deep.include({ isSuccess: false, state: 'applied' });
    expect(tx?.rawResponse?.['code']).to.equal('amount_mismatch');
  });

  it('a declined charge is recorded with its unified code and the processor message', async () => {
    const { payment, txRef } = await checkout('1500.50', { status: 'failed', processorResponse: 'Insufficient funds' });
    const error = await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } }).then(() => expect.fail('declined'), (e: unknown) => e);
    expect(error).to.deep.include({ errorCode: 'declined', message: 'Insufficient funds' });
  });

  it('a pending charge is recorded as pending; the verified charge.completed webhook then captures it, once', async () => {
    const { payment, id, txRef } = await checkout('1500.50', { status: 'pending' });
    const pending = await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    expect(pending.payment.chargeStatus).to.equal('pending');
    (fake.state.transactions.get(id) as { status: string }).status = 'successful';
    const delivery = fake.webhook('charge.completed', id);
    const first = await webhook(delivery);
    expect(first.results.map((r) => r.status)).to.deep.equal(['applied']);
    expect(first.results[0]?.payment.chargeStatus).to.equal('fully-charged');
    const again = await webhook(delivery);
    expect(again.results.map((r) => r.status)).to.deep.equal(['duplicate']);
    expect((await service.getPayment(payment.id)).capturedAmount.eq('1500.5')).to.equal(true);
  });

  it('charge.completed of a tampered Inline amount for a bound tx_ref captures nothing: a failed transaction with amount_mismatch', async () => {
    for (const paid of ['1.00', '3000.00']) {
      const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: 'none-yet' });
      const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: payment.id } })) as { tx_ref: string };
      const { transaction_id: id } = fake.pay({ tx_ref: token.tx_ref, amount: paid, currency: 'NGN' });
      const { results } = await webhook(fake.webhook('charge.completed', id));
      expect(results.map((r) => [r.status, r.payment.id])).to.deep.equal([['applied', payment.id]]);
      expect(results[0]?.transaction).to.deep.include({ kind: 'capture', isSuccess: false });
      expect(results[0]?.transaction?.rawResponse?.['code']).to.equal('amount_mismatch');
      const after = await service.getPayment(payment.id);
      expect(after.chargeStatus, paid).to.equal('not-charged');
      expect(after.capturedAmount.isZero()).to.equal(true);
    }
  });

  it('charge.completed for a bound tx_ref paid in full captures the payment, once', async () => {
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: 'none-yet' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: payment.id } })) as { tx_ref: string };
    const { transaction_id: id } = fake.pay({ tx_ref: token.tx_ref, amount: '1500.50', currency: 'NGN' });
    const delivery = fake.webhook('charge.completed', id);
    expect((await webhook(delivery)).results[0]?.payment).to.deep.include({ chargeStatus: 'fully-charged' });
    expect((await webhook(delivery)).results.map((r) => r.status)).to.deep.equal(['duplicate']);
    expect((await service.getPayment(payment.id)).capturedAmount.eq('1500.5')).to.equal(true);
  });

  it('webhooks for what the API already recorded change nothing; a bad verif-hash yields nothing; an early event waits for the payment', async () => {
    const { payment, id, txRef } = await checkout();
    const early = await webhook(fake.webhook('charge.completed', id)).then(() => null, (e: unknown) => e);
    expect(isPayhostError(early, 'payment_not_found'), String(early)).to.equal(true);
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    const retried = await webhook(fake.webhook('charge.completed', id));
    expect(retried.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    const bad = await webhook(fake.webhook('charge.completed', id, { secretHash: 'guess' }));
    expect(bad.response.status).to.equal(401);
    expect(bad.results).to.deep.equal([]);
    const refund = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
    const refunded = await webhook(fake.webhook('refund.completed', Number(refund.transaction.gatewayTransactionId)));
    expect(refunded.results.map((r) => r.status)).to.deep.equal(['already_applied']);
    expect((await service.getPayment(payment.id)).capturedAmount.eq('1400.5')).to.equal(true);
    // Settled: the reservation is gone, the rest of the captured money may be refunded.
    fake.state.refundStatus = 'completed';
    const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(rest.transaction.amount.eq('1400.5')).to.equal(true);
  });

  /** A service whose plugin gives up on Flutterwave after 300 ms (and a retry of a held key after 200 ms). */
  function impatient(): { manager: PluginManager; service: PaymentService } {
    const quick = makeManager(fake, { request_timeout_ms: '300' });
    return { manager: quick, service: new PaymentService({ manager: quick, store: new MemoryLedgerStore(), idempotency: { waitTimeoutMs: 200 } }) };
  }

  it('a refund whose answer is lost goes to review, is never repeated, and the refund.completed webhook settles it', async () => {
    const quick = impatient();
    service = quick.service;
    try {
      const { payment, txRef } = await checkout();
      await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
      fake.loseAnswer({ path: '/refund' }, { delayMs: 1000 });
      const refundKey = key();
      const error = await service.refund({ paymentId: payment.id, idempotencyKey: refundKey, amount: '100' }).then(() => expect.fail('outcome unknown'), (e: unknown) => e);
      expect(isPayhostError(error, 'outcome_unknown'), String(error)).to.equal(true);
      const held = (await service.listTransactions(payment.id)).find((t) => t.kind === 'refund');
      expect(held).to.deep.include({ state: 'review' });
      expect(fake.state.refunds.size, 'Flutterwave made the refund; only its answer was lost').to.equal(1);
      // Retrying the same request, or reconciling, never refunds again.
      const retry = await service.refund({ paymentId: payment.id, idempotencyKey: refundKey, amount: '100' }).then(() => expect.fail('busy'), (e: unknown) => e);
      expect(isPayhostError(retry, 'payment_busy'), String(retry)).to.equal(true);
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.held).to.deep.equal([held!.id]);
      expect(fake.requests.filter((r) => r.path.endsWith('/refund'))).to.have.length(1);
      expect((await service.getPayment(payment.id)).capturedAmount.eq('1500.5'), 'the held amount is not refunded yet').to.equal(true);
      const [refund] = [...fake.state.refunds.values()];
      const settled = await webhook(fake.webhook('refund.completed', refund!.id), quick.manager);
      expect(settled.results.map((r) => r.status)).to.deep.equal(['applied']);
      expect(settled.results[0]?.transaction).to.deep.include({ id: held!.id, state: 'applied', kind: 'refund', isSuccess: true });
      const after = await service.getPayment(payment.id);
      expect(after).to.deep.include({ chargeStatus: 'partially-refunded' });
      expect(after.capturedAmount.eq('1400.5')).to.equal(true);
      expect(fake.state.refunds.size).to.equal(1);
    } finally {
      await quick.manager.close();
    }
  });

  it('a verify whose answer is lost is asked again, never recorded as a failed payment', async () => {
    const quick = impatient();
    service = quick.service;
    try {
      const once = await checkout();
      fake.loseAnswer({ path: '/verify' }, { delayMs: 1000 });
      const processed = await service.process({ paymentId: once.payment.id, idempotencyKey: key(), data: { txRef: once.txRef } });
      expect(processed.payment.chargeStatus, 'the ledger asked again and got the answer').to.equal('fully-charged');
      const twice = await checkout();
      fake.injectError({ path: '/verify', times: 2 }, 503, 'Service unavailable');
      const error = await service.process({ paymentId: twice.payment.id, idempotencyKey: key(), data: { txRef: twice.txRef } }).then(() => expect.fail('outcome unknown'), (e: unknown) => e);
      expect(isPayhostError(error, 'outcome_unknown'), String(error)).to.equal(true);
      expect((await service.listTransactions(twice.payment.id)).map((t) => t.state)).to.deep.equal(['review']);
      expect((await service.getPayment(twice.payment.id)).chargeStatus).to.equal('not-charged');
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(1);
      expect((await service.getPayment(twice.payment.id)).chargeStatus).to.equal('fully-charged');
    } finally {
      await quick.manager.close();
    }
  });

  it('a pending refund is refund_ongoing (nothing moves yet); refund.completed then records the refund, once', async () => {
    const { payment, txRef } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    fake.state.refundStatus = 'pending';
    const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
    expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', isSuccess: true, state: 'applied' });
    expect(ongoing.payment).to.deep.include({ chargeStatus: 'fully-charged' });
    expect(ongoing.payment.capturedAmount.eq('1500.5'), 'a pending refund has not returned the money yet').to.equal(true);
    const overRefund = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1400.51' }).then(() => expect.fail('over-refund'), (e: { code?: string }) => e);
    expect(overRefund.code, 'the pending 100 stays reserved').to.equal('amount_exceeds');
    fake.state.settleRefund(ongoing.transaction.gatewayTransactionId!);
    const delivery = fake.webhook('refund.completed', Number(ongoing.transaction.gatewayTransactionId));
    const settled = await webhook(delivery);
    expect(settled.results.map((r) => r.status)).to.deep.equal(['applied']);
    expect(settled.results[0]?.transaction).to.deep.include({ kind: 'refund', isSuccess: true, gatewayTransactionId: ongoing.transaction.gatewayTransactionId });
    expect(settled.results[0]?.payment).to.deep.include({ chargeStatus: 'partially-refunded' });
    expect((await webhook(delivery)).results.map((r) => r.status)).to.deep.equal(['duplicate']);
    expect((await service.getPayment(payment.id)).capturedAmount.eq('1400.5')).to.equal(true);
    // Settled: the reservation is gone, the rest of the captured money may be refunded.
    fake.state.refundStatus = 'completed';
    const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(rest.transaction.amount.eq('1400.5')).to.equal(true);
  });

  /**
   * refund.completed for `refundId` when Flutterwave reports `amountRefunded` for it (the transaction's running
   * total): its API's refund lookup, which the plugin takes the amount from, and so the webhook too.
   */
  function refundCompletedReporting(refundId: number, amountRefunded: number) {
    fake.state.findRefund(refundId).amount_refunded = amountRefunded;
    return fake.webhook('refund.completed', refundId);
  }

  it('refund.completed reporting the running total (second partial refund: 1000 + 400) records the pending refund for the 400 asked, as the API path does', async () => {
    const { payment, txRef } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1000' });
    fake.state.refundStatus = 'pending';
    const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '400' });
    expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', isSuccess: true });
    const refundId = Number(ongoing.transaction.gatewayTransactionId);
    fake.state.settleRefund(refundId);
    const settled = await webhook(refundCompletedReporting(refundId, 1400));
    expect(settled.results.map((r) => r.status)).to.deep.equal(['applied']);
    expect(settled.results[0]?.transaction).to.deep.include({ kind: 'refund', isSuccess: true, gatewayTransactionId: String(refundId) });
    expect(settled.results[0]?.transaction?.amount.toFixed(), 'the refund asked for 400').to.equal('400');
    const after = await service.getPayment(payment.id);
    expect(after).to.deep.include({ chargeStatus: 'partially-refunded', isActive: true });
    expect(after.capturedAmount.toFixed(), '1500.50 - 1000 - 400').to.equal('100.5');
    // Settled for 400: the 100.50 Flutterwave still holds can be refunded.
    fake.state.refundStatus = 'completed';
    const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expect(rest.transaction.amount.toFixed()).to.equal('100.5');
    expect(rest.payment.chargeStatus).to.equal('fully-refunded');
  });

  it('refund.completed of a refund payhost did not ask for (dashboard): a figure above what is left is not recorded and is logged; one that fits is recorded', async () => {
    const recording = recordingLogger();
    const logged = makeManager(fake, {}, recording.logger);
    try {
      service = new PaymentService({ manager: logged, store: new MemoryLedgerStore() });
      const { payment, id, txRef } = await checkout();
      await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1000' });
      // Refunded on the dashboard; its event reports the running total (1000 + 400), more than the 500.50 left.
      const dashboard = fake.state.refund(id, { amount: 400 });
      const withheld = await webhook(refundCompletedReporting(dashboard.id, 1400), logged);
      expect(withheld.response).to.deep.include({ status: 200, events: [] });
      expect(withheld.response.body).to.deep.include({ applied: 0, ignored: 'refund_exceeds_transaction' });
      const after = await service.getPayment(payment.id);
      expect(after.capturedAmount.toFixed(), 'nothing recorded as refunded beyond the 1000').to.equal('500.5');
      const warning = recording.lines.find((line) => line['level'] === 40 && String(line['msg']).includes('refund.completed'));
      expect(warning, JSON.stringify(recording.lines)).to.deep.include({ refundId: dashboard.id, transactionId: id, amountRefunded: '1400', transactionAmount: '1500.5', refundedBefore: '1000', currency: 'NGN' });
      // A dashboard refund whose figure fits what is left is its own amount as far as anything can tell: recorded.
      const small = fake.state.refund(id, { amount: 50 });
      const recorded = await webhook(fake.webhook('refund.completed', small.id), logged);
      expect(recorded.results.map((r) => [r.status, r.transaction?.kind, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', 'refund', '50']]);
      expect((await service.getPayment(payment.id)).capturedAmount.toFixed()).to.equal('450.5');
    } finally {
      await logged.close();
    }
  });

  it('two dashboard refunds: the second\'s running total is bounded by what is left after the first (recorded by its event)', async () => {
    const { payment, id, txRef } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    const first = fake.state.refund(id, { amount: 1000 });
    const recorded = await webhook(fake.webhook('refund.completed', first.id));
    expect(recorded.results.map((r) => [r.status, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', '1000']]);
    // The second reports the running total (1000 + 400): more than the 500.50 left after the first.
    const second = fake.state.refund(id, { amount: 400 });
    const withheld = await webhook(refundCompletedReporting(second.id, 1400));
    expect(withheld.response.body).to.deep.include({ applied: 0, ignored: 'refund_exceeds_transaction' });
    const after = await service.getPayment(payment.id);
    expect(after.capturedAmount.toFixed(), 'only the first refund recorded').to.equal('500.5');
    expect(after.isActive).to.equal(true);
  });

  it('one Flutterwave transaction cannot pay two payments: an unbound tx_ref needs the host\'s pin', async () => {
    const first = await checkout();
    const token = JSON.stringify({ transaction_id: first.id, tx_ref: first.txRef });
    const second = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token });
    const reused = await service.process({ paymentId: second.id, idempotencyKey: key() }).then(() => expect.fail('reused'), (e: unknown) => e);
    expect(reused).to.be.instanceOf(GatewayDeclinedError);
    expect((reused as Error).message).to.match(/bound to no payment/);
    const [tx] = await service.listTransactions(second.id);
    expect(tx?.rawResponse?.['code']).to.equal('unbound_reference');
    expect((await service.getPayment(second.id)).chargeStatus).to.equal('not-charged');
    const other = await checkout();
    const pinnedElsewhere = await service.process({ paymentId: second.id, idempotencyKey: key(), data: { txRef: other.txRef } }).then(() => expect.fail('reused'), (e: unknown) => e);
    expect((pinnedElsewhere as Error).message).to.match(/not issued for this payment/);
    const paid = await service.process({ paymentId: first.payment.id, idempotencyKey: key(), data: { txRef: first.txRef } });
    expect(paid.payment.chargeStatus).to.equal('fully-charged');
  });

  it('after a restart the pin is still known (kept with the transaction): reconciliation re-checks the binding and records the charge', async () => {
    const store = new MemoryLedgerStore();
    const before = new PaymentService({ manager, store, faults: { 'after-gateway': () => Promise.reject(new Error('simulated crash')) } });
    const { payment, txRef } = await checkout();
    const created = await before.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: payment.token! });
    await before.process({ paymentId: created.id, idempotencyKey: key(), data: { txRef } }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
    const restarted = makeManager(fake);
    try {
      const after = new PaymentService({ manager: restarted, store });
      const report = await after.reconcile({ minAgeMs: 0 });
      expect(report).to.deep.include({ review: [], failed: [] });
      expect(report.applied).to.have.length(1);
      const [charged] = await after.listTransactions(created.id);
      expect(charged).to.deep.include({ state: 'applied', kind: 'capture', isSuccess: true });
      expect((await after.getPayment(created.id)).chargeStatus).to.equal('fully-charged');
    } finally {
      await restarted.close();
    }
  });

  it('a crashed process of an unbound, unpinned tx_ref is held for review by reconciliation: neither failed nor captured unchecked', async () => {
    const store = new MemoryLedgerStore();
    const before = new PaymentService({ manager, store, faults: { 'after-gateway': () => Promise.reject(new Error('simulated crash')) } });
    const { payment } = await checkout();
    const created = await before.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: payment.token! });
    await before.process({ paymentId: created.id, idempotencyKey: key() }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
    const report = await new PaymentService({ manager, store }).reconcile({ minAgeMs: 0 });
    expect(report.review).to.have.length(1);
    expect((await store.listTransactions(created.id)).map((t) => t.state)).to.deep.equal(['review']);
    expect((await store.getPayment(created.id))?.chargeStatus).to.equal('not-charged');
  });

  it('capture and void are refused: nothing is authorized-but-uncaptured with Inline', async () => {
    const { payment, txRef } = await checkout();
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } });
    for (const run of [() => service.capture({ paymentId: payment.id, idempotencyKey: key() }), () => service.void({ paymentId: payment.id, idempotencyKey: key() })]) {
      const error = await run().then(() => expect.fail('refused'), (e: unknown) => e);
      expect(isPayhostError(error, 'operation_not_allowed'), String(error)).to.equal(true);
    }
  });

  it('reconcile: a crash after Flutterwave answered is resolved by verifying again; an unanswerable refund goes to review', async () => {
    const { payment, txRef } = await checkout();
    faults = {
      'after-gateway': () => {
        throw new Error('simulated crash');
      },
    };
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef } }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
    faults = {};
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.have.length(1);
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('fully-charged');
    faults = {
      'after-gateway': () => {
        throw new Error('simulated crash');
      },
    };
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1' }).then(() => expect.fail('crash'), (e: Error) => expect(e.message).to.equal('simulated crash'));
    faults = {};
    const second = await service.reconcile({ minAgeMs: 0 });
    expect(second.review).to.have.length(1);
    expect(fake.state.refunds.size, 'the refund was made once, never repeated').to.equal(1);
  });
});
