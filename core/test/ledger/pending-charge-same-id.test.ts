import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal, type GatewayResponse, type PaymentData, type Transaction } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, type Setup } from './helpers.js';

// Processors keep one gateway transaction id across attempts (a Stripe PaymentIntent declined, then paid with a
// method that stays `processing`; a capture answered pending carrying its authorization's id). Only a row recorded
// after a charge answered pending settles it; and ending it gives the payment the status its amounts give.
describe('ledger: a charge answered pending with the gateway transaction id of an earlier row', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  const answer = (kind: GatewayResponse['kind'], overrides: Partial<GatewayResponse> = {}): GatewayResponse => ({
    isSuccess: true,
    actionRequired: false,
    error: null,
    kind,
    amount: '10.00' as never,
    currency: 'USD',
    transactionId: 'pi_1',
    ...overrides,
  });

  /** Counts getTransactionStatus calls, answering the charge still pending. */
  function stubStatus(): string[] {
    const asked: string[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input): Promise<GatewayResponse> => {
      asked.push(input.transaction.id);
      return answer('pending', { transactionId: input.transaction.gatewayTransactionId ?? 'pi_1' });
    });
    return asked;
  }

  /** A 10.00 payment charged twice as pi_1: declined, then answered pending. */
  async function declinedThenPending() {
    const answers: GatewayResponse[] = [answer('capture', { isSuccess: false, error: 'Your card was declined', errorCode: 'declined' }), answer('pending')];
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (_p: PaymentData) => answers.shift() ?? answer('capture', { transactionId: 'pi_2' }));
    const asked = stubStatus();
    env = setup({ plugin: GatedDummy });
    const service = env.service;
    const payment = await env.create();
    expect(await codeOf(service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('gateway_declined');
    const second = await service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(second.payment.chargeStatus).to.equal('pending');
    expect(second.transaction).to.deep.include({ kind: 'pending', gatewayTransactionId: 'pi_1' });
    return { service, paymentId: payment.id, pending: second.transaction, asked };
  }

  it('an earlier declined attempt does not settle the later pending one: reconciliation asks the gateway, the payment stays pending', async () => {
    const { service, paymentId, pending, asked } = await declinedThenPending();
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [], held: [pending.id], failed: [] });
    expect(asked).to.deep.equal([pending.id]);
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    expect(await codeOf(service.process({ paymentId, idempotencyKey: key() })), 'no second charge while it is pending').to.equal('operation_not_allowed');
    // Its success then charges the payment once.
    const ev = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-pi1-succeeded', paymentId, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'pi_1' } });
    expect(ev.status).to.equal('applied');
    expect(ev.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(ev.payment.capturedAmount, '10');
  });

  it("the later attempt's own failure is no repeat of the earlier decline: it ends the pending charge", async () => {
    const { service, paymentId } = await declinedThenPending();
    const failed = await service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-pi1-failed',
      paymentId,
      response: { isSuccess: false, kind: 'capture', amount: '10.00', transactionId: 'pi_1', error: 'Bank transfer failed', errorCode: 'declined' },
    });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('not-charged');
    // A second failure of that attempt (another event id) repeats its own failure row.
    const again = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-pi1-failed-2', paymentId, response: { isSuccess: false, kind: 'capture', amount: '10.00', transactionId: 'pi_1' } });
    expect(again.status).to.equal('already_applied');
    expect(again.transaction?.id).to.equal(failed.transaction?.id);
  });

  it('a capture answered pending with the authorization id stays pending: the earlier authorization does not settle it', async () => {
    const pend = (p: PaymentData): GatewayResponse => answer('pending', { amount: p.amount, currency: p.currency, transactionId: 'ch_1' });
    sinon.stub(GatedDummy.prototype, 'authorizePayment').callsFake(async (p: PaymentData) => pend(p));
    sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async (p: PaymentData) => pend(p));
    stubStatus();
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false } });
    const service = env.service;
    const payment = await env.create();
    expect((await service.authorize({ paymentId: payment.id, idempotencyKey: key() })).payment.chargeStatus).to.equal('pending');
    const auth = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-auth', paymentId: payment.id, response: { isSuccess: true, kind: 'auth', amount: '10.00', transactionId: 'ch_1' } });
    expect(auth.payment.chargeStatus).to.equal('not-charged');
    const capture = await service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(capture.payment.chargeStatus).to.equal('pending');
    await service.reconcile({ minAgeMs: 0 });
    expect((await service.getPayment(payment.id)).chargeStatus).to.equal('pending');
    expect(await codeOf(service.capture({ paymentId: payment.id, idempotencyKey: key() })), 'no second capture').to.equal('operation_not_allowed');
  });

  /** A 10.00 payment on a multiple-capture gateway: 4.00 captured, then a capture of 6.00 answered pending as cap_2. */
  async function capturedThenPending() {
    let pendingCapture = false;
    const original = GatedDummy.prototype.capturePayment;
    sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async function (this: GatedDummy, p: PaymentData, ...rest: unknown[]): Promise<GatewayResponse> {
      if (!pendingCapture) return (original as (...args: unknown[]) => Promise<GatewayResponse>).call(this, p, ...rest);
      return answer('pending', { amount: p.amount, currency: p.currency, transactionId: 'cap_2' });
    });
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false, supports_multiple_captures: true } });
    const service = env.service;
    const payment = await env.create();
    await service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expect((await service.capture({ paymentId: payment.id, amount: '4.00', idempotencyKey: key() })).payment.chargeStatus).to.equal('partially-charged');
    pendingCapture = true;
    const pending = await service.capture({ paymentId: payment.id, amount: '6.00', idempotencyKey: key() });
    pendingCapture = false;
    expect(pending.payment.chargeStatus).to.equal('pending');
    return { service, paymentId: payment.id, pending: pending.transaction };
  }

  it('the failure of a capture answered pending after an earlier capture: partially-charged with what was captured, which can be refunded', async () => {
    const { service, paymentId } = await capturedThenPending();
    const failed = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-cap2-failed', paymentId, response: { isSuccess: false, kind: 'capture', amount: '6.00', transactionId: 'cap_2' } });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('partially-charged');
    expectAmount(failed.payment.capturedAmount, '4');
    const refund = await service.refund({ paymentId, amount: '4.00', idempotencyKey: key() });
    expect(refund.payment.chargeStatus).to.equal('fully-refunded');
  });

  it('a capture_failed ending a capture answered pending takes back nothing: partially-charged with 4.00 captured', async () => {
    const { service, paymentId } = await capturedThenPending();
    const failed = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-cap2-capture-failed', paymentId, response: { isSuccess: true, kind: 'capture_failed', amount: '6.00', transactionId: 'cap_2' } });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('partially-charged');
    expectAmount(failed.payment.capturedAmount, '4');
  });

  it('repairing a payment left pending after such a failure (older code) gives it the status of its amounts', async () => {
    const { service, paymentId, pending } = await capturedThenPending();
    const asked = stubStatus();
    // The failure written as the older code applied it: the payment stays pending.
    const now = new Date();
    const row: Transaction = { ...pending, id: randomUUID(), kind: 'capture', isSuccess: false, errorCode: 'declined', idempotencyKey: null, gatewayIdempotencyKey: `event:${randomUUID()}`, amount: new Decimal('6.00'), createdAt: now, updatedAt: now };
    await env.store.transaction(async (tx) => {
      const payment = (await tx.getPayment(paymentId, { forUpdate: true }))!;
      await tx.insertTransaction(row);
      expect(await tx.updatePayment({ ...payment, version: payment.version + 1, updatedAt: now }, payment.version)).to.equal(true);
    });
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    expect((await service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([pending.id]);
    expect(asked).to.deep.equal([]);
    const repaired = await service.getPayment(paymentId);
    expect(repaired.chargeStatus).to.equal('partially-charged');
    expectAmount(repaired.capturedAmount, '4');
  });
});
