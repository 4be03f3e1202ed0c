import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal, type GatewayResponse, type PaymentData } from '@payhost/core';
import { GATEWAY, GatedDummy, expectAmount, key, rejection, setup, type Setup } from './helpers.js';

/**
 * Processors keep one transaction id across attempts (a Stripe PaymentIntent confirmed with another
 * card after a declined 3-D Secure; a Razorpay payment authorized late after payment.failed). A
 * success is never a repeat of a failed row of that id: it is new money. A failure may repeat a
 * failed row: recording it again would only add noise.
 */
describe('ledger: a success after a failure of the same gateway transaction', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    await env?.close();
  });

  function answer(p: PaymentData, over: Partial<GatewayResponse>): GatewayResponse {
    return {
      isSuccess: true,
      actionRequired: false,
      kind: 'capture',
      amount: new Decimal(p.amount),
      currency: p.currency,
      transactionId: 'gw-attempts-1',
      error: null,
      errorCode: null,
      ...over,
    };
  }

  const declined = { isSuccess: false, error: 'The card was declined', errorCode: 'declined' as const };

  it('answers flagged transactionAlreadyProcessed: a failure repeats the failed row; a success after it is counted, once', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    const answers: Array<Partial<GatewayResponse>> = [declined, { ...declined, transactionAlreadyProcessed: true }, { transactionAlreadyProcessed: true }];
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (p) => answer(p, answers.shift() ?? {}));

    expect((await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }))).code).to.equal('gateway_declined');
    const [failed] = await env.service.listTransactions(payment.id);
    expect(failed).to.deep.include({ kind: 'capture', isSuccess: false, gatewayTransactionId: 'gw-attempts-1' });

    // The same failure again: the caller is answered with the failed row, recorded as a repeat only.
    const again = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(again.code).to.equal('gateway_declined');
    expect(again.details?.['transactionId']).to.equal(failed?.id);
    expect((await env.service.listTransactions(payment.id))[1]?.error).to.equal(`Already processed as transaction ${failed?.id}`);

    const paid = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(paid.transaction).to.deep.include({ kind: 'capture', isSuccess: true, gatewayTransactionId: 'gw-attempts-1' });
    expect(paid.transaction.id).to.not.equal(failed?.id);
    expect(paid.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(paid.payment.capturedAmount, '10');

    // The processor's event of that success: the success row, counted once.
    const event = await env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-success', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'gw-attempts-1' } });
    expect(event.status).to.equal('already_applied');
    expect(event.transaction?.id).to.equal(paid.transaction.id);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '10');
  });

  it('events: a late authorization after a failure event of the same payment id is applied; repeats of either are not', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await env.create();
    const event = (eventId: string, over: Record<string, unknown>) =>
      env.service.applyGatewayEvent({ gateway: GATEWAY, eventId, paymentId: payment.id, response: { kind: 'auth', amount: '10.00', transactionId: 'pay_late', isSuccess: true, ...over } });

    expect((await event('evt-failed', declined)).status).to.equal('applied');
    expect((await event('evt-failed-again', declined)).status, 'a failure repeats the failed row').to.equal('already_applied');
    const authorized = await event('evt-authorized', {});
    expect(authorized.status).to.equal('applied');
    expect(authorized.transaction).to.deep.include({ kind: 'auth', isSuccess: true });
    expectAmount(authorized.payment.authorizedAmount, '10');
    expect((await event('evt-authorized-again', {})).status).to.equal('already_applied');
    expect((await event('evt-failed-late', declined)).status, 'a failure after the success changes nothing').to.equal('already_applied');
    expectAmount((await env.service.getPayment(payment.id)).authorizedAmount, '10');
    expect(await env.service.listTransactions(payment.id)).to.have.length(2);
  });
});
