import { expect } from 'chai';
import sinon from 'sinon';
import { type GatewayResponse, type PaymentData, type Transaction } from '@payhost/core';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, type Setup } from './helpers.js';
import { answersAs, restoreAfterEach } from './support/pending-charges.js';

// Processors keep one gateway transaction id across attempts (a Stripe PaymentIntent declined, then paid with a
// method that stays `processing`; a capture answered pending carrying its authorization's id). No failure row ends
// a pending charge by itself (the gateway's status does, through reconciliation); only a process or authorize
// answered pending is a pending charge; only a successful authorization or capture of its id settles it.
describe('ledger: a charge answered pending with the gateway transaction id of an earlier row', () => {
  let env: Setup;
  restoreAfterEach(() => env);
  const answer = answersAs('pi_1');

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

  it("the later attempt's own failure event is already_applied (the id cannot tell it from the earlier decline), and the gateway reporting it failed ends nothing either: the payment stays pending", async () => {
    const { service, paymentId, pending, asked } = await declinedThenPending();
    const failed = await service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-pi1-failed',
      paymentId,
      response: { isSuccess: false, kind: 'capture', amount: '10.00', transactionId: 'pi_1', error: 'Bank transfer failed', errorCode: 'declined' },
    });
    expect(failed.status).to.equal('already_applied');
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    expect(await codeOf(service.process({ paymentId, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    // The next reconciliation: the gateway says the intent failed; the customer may have paid it again since.
    (GatedDummy.prototype.getTransactionStatus as unknown as sinon.SinonStub).callsFake(async (input: { transaction: Transaction }): Promise<GatewayResponse> => {
      asked.push(input.transaction.id);
      return answer('capture', { isSuccess: false, error: 'Bank transfer failed', errorCode: 'declined' });
    });
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ checked: 1, applied: [], held: [pending.id], failed: [] });
    expect(asked).to.deep.equal([pending.id]);
    expect((await service.getPayment(paymentId)).chargeStatus).to.equal('pending');
    expect(await codeOf(service.process({ paymentId, idempotencyKey: key() }))).to.equal('operation_not_allowed');
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

  it('a capture answered pending is no pending charge: its failure event leaves the payment pending, reconciliation neither asks nor repairs', async () => {
    const { service, paymentId } = await capturedThenPending();
    const asked = stubStatus();
    const failed = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-cap2-failed', paymentId, response: { isSuccess: false, kind: 'capture', amount: '6.00', transactionId: 'cap_2' } });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('pending');
    expect(await service.reconcile({ minAgeMs: 0 })).to.deep.include({ applied: [], held: [] });
    expect(asked).to.deep.equal([]);
    const after = await service.getPayment(paymentId);
    expect(after.chargeStatus).to.equal('pending');
    expectAmount(after.capturedAmount, '4');
    expect(await codeOf(service.capture({ paymentId, amount: '6.00', idempotencyKey: key() })), 'no second capture').to.equal('operation_not_allowed');
  });

  it('a capture_failed of a capture answered pending ends nothing: pending, with 4.00 captured', async () => {
    const { service, paymentId } = await capturedThenPending();
    const failed = await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-cap2-capture-failed', paymentId, response: { isSuccess: true, kind: 'capture_failed', amount: '6.00', transactionId: 'cap_2' } });
    expect(failed.status).to.equal('applied');
    expect(failed.payment.chargeStatus).to.equal('pending');
    expectAmount(failed.payment.capturedAmount, '4');
  });
});
