import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, type Payment, type PluginManager } from '@payhost/core';
import { FakeFlutterwave, flutterwaveWebhook, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager, recordingLogger } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;

/*
 * refund.completed carries only Flutterwave's fixed secret hash (verif-hash), which signs nothing: whoever
 * holds it can write any body. Only the ids are taken from it; the refund is looked up with the API
 * (GET /v3/refunds/:id) and its amount, status and transaction are Flutterwave's.
 */
describe('flutterwave: refund.completed is looked up with the API, not taken from the delivery', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  let service: PaymentService;
  let recording: ReturnType<typeof recordingLogger>;

  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    recording = recordingLogger();
    manager = makeManager(fake, {}, recording.logger);
    service = new PaymentService({ manager, store: new MemoryLedgerStore() });
  });
  afterEach(() => manager.close());

  /** A 1500.50 NGN payment paid with Inline and captured (the host pins the tx_ref it handed out). */
  async function captured(total = '1500.50'): Promise<{ payment: Payment; id: number }> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: total, currency: 'NGN' });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'NGN', token: JSON.stringify(callback) });
    const processed = await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef: token.tx_ref } });
    expect(processed.payment.chargeStatus).to.equal('fully-charged');
    return { payment, id: callback.transaction_id };
  }

  /** A delivery with the right verif-hash and any body: what a holder of the secret hash can send. */
  function forged(data: Record<string, unknown>): FlutterwaveWebhookDelivery {
    return flutterwaveWebhook({ event: 'refund.completed', data: { FlwRef: 'URF_forged', createdAt: new Date().toISOString(), ...data } }, fake.secretHash);
  }

  async function deliver(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>) {
    const response = (await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  it('a refund Flutterwave does not have (the security review: id 999999, the whole amount) records nothing and is logged', async () => {
    const { payment, id } = await captured();
    fake.requests.length = 0;
    const { response, results } = await deliver(forged({ id: 999999, AmountRefunded: 1500.5, status: 'completed', TransactionId: id }));
    expect(response).to.deep.include({ status: 200, events: [], body: { received: true, applied: 0, ignored: 'refund_not_found' } });
    expect(results).to.deep.equal([]);
    expect(fake.requests.map((r) => r.path)).to.deep.equal([`/v3/transactions/${id}/verify`, '/v3/refunds/999999']);
    const after = await service.getPayment(payment.id);
    expect(after).to.deep.include({ chargeStatus: 'fully-charged', isActive: true });
    expect(after.capturedAmount.toFixed()).to.equal('1500.5');
    expect(fake.state.refunds.size, 'Flutterwave holds no refund').to.equal(0);
    const warning = recording.lines.find((line) => line['level'] === 40 && String(line['msg']).includes('does not have'));
    expect(warning, JSON.stringify(recording.lines)).to.deep.include({ refundId: 999999, transactionId: id });
    expect(JSON.stringify(recording.lines)).to.not.include(fake.secretHash);
  });

  it("a real refund is recorded for the API's amount, whatever the delivery claims", async () => {
    const { payment, id } = await captured();
    const real = fake.state.refund(id, { amount: 100 });
    const { response, results } = await deliver(forged({ id: real.id, AmountRefunded: 1500.5, status: 'completed', TransactionId: id }));
    expect(response.status).to.equal(200);
    expect(results.map((r) => [r.status, r.transaction?.kind, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', 'refund', '100']]);
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('partially-refunded');
    expect(after.capturedAmount.toFixed(), '1500.50 - 100').to.equal('1400.5');
  });

  it("a pending refund's reservation is not released by a delivery claiming it failed, nor settled by one claiming it completed: 503 until the API says so", async () => {
    const { payment } = await captured();
    fake.state.refundStatus = 'pending';
    const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '100' });
    expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', isSuccess: true });
    const refundId = Number(ongoing.transaction.gatewayTransactionId);
    for (const status of ['failed', 'completed']) {
      const claim = forged({ ...(fake.webhook('refund.completed', refundId).payload['data'] as object), status });
      const { response, results } = await deliver(claim);
      expect(response, status).to.deep.include({ status: 503, events: [] });
      expect(response.body, status).to.deep.include({ code: 'refund_not_settled' });
      expect(results).to.deep.equal([]);
    }
    const overRefund = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1400.51' }).then(
      () => expect.fail('over-refund'),
      (e: { code?: string }) => e,
    );
    expect(overRefund.code, 'the pending 100 stays reserved').to.equal('amount_exceeds');
    // The refund's own delivery while it is pending: no event yet (200, nothing to retry).
    expect((await deliver(fake.webhook('refund.completed', refundId))).response).to.deep.include({ status: 200, events: [] });
    // Flutterwave settles it: its delivery records it, for the amount asked.
    fake.state.settleRefund(refundId);
    const settled = await deliver(fake.webhook('refund.completed', refundId));
    expect(settled.results.map((r) => [r.status, r.transaction?.kind, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', 'refund', '100']]);
    expect((await service.getPayment(payment.id)).capturedAmount.toFixed()).to.equal('1400.5');
  });

  it("a refund of another transaction, named with this payment's transaction, records nothing on it", async () => {
    const { payment, id } = await captured();
    const other = await captured('20');
    const otherRefund = fake.state.refund(other.id, { amount: 20 });
    const { response, results } = await deliver(forged({ id: otherRefund.id, AmountRefunded: 1500.5, status: 'completed', TransactionId: id }));
    expect(response).to.deep.include({ status: 200, events: [] });
    expect(response.body).to.deep.include({ applied: 0, ignored: 'refund_of_another_transaction' });
    expect(results).to.deep.equal([]);
    expect((await service.getPayment(payment.id)).capturedAmount.toFixed()).to.equal('1500.5');
    const warning = recording.lines.find((line) => line['level'] === 40 && String(line['msg']).includes('another transaction'));
    expect(warning, JSON.stringify(recording.lines)).to.deep.include({ refundId: otherRefund.id, transactionId: id, refundOf: other.id });
    // Its own delivery names its own transaction: recorded on the other payment.
    const own = await deliver(fake.webhook('refund.completed', otherRefund.id));
    expect(own.results.map((r) => [r.status, r.payment.id, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', other.payment.id, '20']]);
  });

  it('503 (Flutterwave delivers again) when the refund cannot be looked up: no answer, a 5xx, a 401, a foreign body or one that is not the refund', async () => {
    const { payment, id } = await captured();
    const real = fake.state.refund(id, { amount: 100 });
    const delivery = fake.webhook('refund.completed', real.id);
    const lookup = { path: `/v3/refunds/${real.id}` };
    fake.injectNetworkError(lookup);
    fake.injectError(lookup, 502, 'Bad gateway');
    fake.injectError(lookup, 401, 'Invalid authorization key');
    fake.injectReply(lookup, 200, '<html>maintenance</html>');
    // Without the transaction it belongs to, an answer proves nothing about this delivery.
    fake.injectReply(lookup, 200, { status: 'success', message: 'Refund fetched', data: { id: real.id, amount_refunded: 100, status: 'completed' } });
    for (let i = 0; i < 5; i++) {
      const { response, results } = await deliver(delivery);
      expect(response, `attempt ${i + 1}`).to.deep.include({ status: 503, events: [] });
      expect(response.body).to.deep.include({ code: 'verification_failed' });
      expect(results).to.deep.equal([]);
    }
    expect((await service.getPayment(payment.id)).capturedAmount.toFixed()).to.equal('1500.5');
    // Flutterwave's refund list names the transaction `transaction_id`: read as well as the refund call's `tx_id`.
    const { tx_id: _tx, ...rest } = real;
    fake.injectReply(lookup, 200, { status: 'success', message: 'Refund fetched', data: { ...rest, transaction_id: id } });
    const recorded = await deliver(delivery);
    expect(recorded.results.map((r) => [r.status, r.transaction?.amount.toFixed()])).to.deep.equal([['applied', '100']]);
  });

  it("a 503 verification_failed answer says what could not be asked in fixed words, never the SDK's error (logged instead): the answer goes to whoever calls the webhook URL", async () => {
    const { id } = await captured();
    const real = fake.state.refund(id, { amount: 100 });
    const verify = { path: `/v3/transactions/${id}/verify` };
    const lookup = { path: `/v3/refunds/${real.id}` };
    const cases: Array<{ inject: () => void; delivery: FlutterwaveWebhookDelivery; message: string; internal: string }> = [
      { inject: () => fake.injectError(verify, 401, 'Invalid authorization key (internal-a)'), delivery: fake.webhook('charge.completed', id), message: `Could not verify transaction ${id} with Flutterwave; deliver it again later`, internal: 'internal-a' },
      { inject: () => fake.injectReply(verify, 200, '<html>maintenance internal-b</html>'), delivery: fake.webhook('refund.completed', real.id), message: `Could not verify transaction ${id} of refund ${real.id} with Flutterwave; deliver it again later`, internal: 'internal-b' },
      { inject: () => fake.injectError(lookup, 502, 'upstream internal-c timed out'), delivery: fake.webhook('refund.completed', real.id), message: `Could not look up refund ${real.id} with Flutterwave; deliver it again later`, internal: 'internal-c' },
    ];
    for (const { inject, delivery, message, internal } of cases) {
      inject();
      const { response, results } = await deliver(delivery);
      expect(response, internal).to.deep.include({ status: 503, events: [], body: { code: 'verification_failed', message } });
      expect(JSON.stringify(response.body), internal).not.to.include(internal);
      expect(results).to.deep.equal([]);
      const logged = recording.lines.find((line) => line['level'] === 40 && String(line['error']).includes(internal));
      expect(logged, JSON.stringify(recording.lines)).to.deep.include({ transactionId: id });
      expect(logged?.['msg']).to.match(/^flutterwave webhook: could not .+ with Flutterwave; answered 503 verification_failed/);
    }
  });
});
