import { expect } from 'chai';
import sinon from 'sinon';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, rejection, setup, type Setup } from './helpers.js';
import { holdCaptures, releaseHeldCaptures } from './support/held-captures.js';

/**
 * A gateway that captures an authorization once (GatewayConfig.supportsMultipleCaptures false, as Stripe
 * and Razorpay): the processor releases what a partial capture leaves, so the ledger must not go on
 * counting it as authorized. A gateway that captures several times keeps it for the next capture.
 */
describe('ledger: a partial capture and the rest of the authorization', () => {
  let env: Setup;
  afterEach(async () => {
    releaseHeldCaptures();
    sinon.restore();
    await env.close();
  });

  /** A 50.00 USD payment authorized on the dummy, capturing once or several times. */
  async function authorized(multipleCaptures: boolean) {
    env = setup({ configuration: { auto_capture: false, supports_multiple_captures: multipleCaptures } });
    const payment = await env.create({ total: '50.00' });
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    return payment.id;
  }

  it('on a single-capture gateway a partial capture releases the rest: nothing authorized, through a full refund too', async () => {
    const paymentId = await authorized(false);
    const captured = await env.service.capture({ paymentId, idempotencyKey: key(), amount: '20.00' });
    expect(captured.payment.chargeStatus).to.equal('partially-charged');
    expectAmount(captured.payment.capturedAmount, '20');
    expectAmount(captured.payment.authorizedAmount, '0', 'authorized after the capture');
    expect(await codeOf(env.service.capture({ paymentId, idempotencyKey: key(), amount: '1.00' }))).to.equal('operation_not_allowed');
    const voided = await rejection(env.service.void({ paymentId, idempotencyKey: key() }));
    expect(voided.code).to.equal('operation_not_allowed');
    expect(voided.message).to.include('only an uncaptured authorization can be voided (refund instead)');

    const refunded = await env.service.refund({ paymentId, idempotencyKey: key() });
    expect(refunded.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(refunded.payment.authorizedAmount, '0', 'authorized after the refund');
  });

  it("a capture the processor's event reports (made on its dashboard) releases the rest the same way", async () => {
    const paymentId = await authorized(false);
    const [auth] = await env.service.listTransactions(paymentId);
    const applied = await env.service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-dashboard-capture',
      paymentId,
      response: { isSuccess: true, kind: 'capture', amount: '20.00', transactionId: `${auth!.gatewayTransactionId}-capture-1` },
    });
    expect(applied.status).to.equal('applied');
    expectAmount(applied.payment.capturedAmount, '20');
    expectAmount(applied.payment.authorizedAmount, '0');
  });

  it('on a multiple-capture gateway the rest stays authorized for the next capture; a void says why it cannot release it', async () => {
    const paymentId = await authorized(true);
    const first = await env.service.capture({ paymentId, idempotencyKey: key(), amount: '20.00' });
    expectAmount(first.payment.authorizedAmount, '30');
    const voided = await rejection(env.service.void({ paymentId, idempotencyKey: key() }));
    expect(voided.code).to.equal('operation_not_allowed');
    expect(voided.message).to.include('20.00 USD of the authorization was captured').and.to.include('capture the remaining 30.00 USD');
    const rest = await env.service.capture({ paymentId, idempotencyKey: key() });
    expectAmount(rest.transaction.amount, '30');
    expect(rest.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(rest.payment.authorizedAmount, '0');
  });

  it('on a single-capture gateway a second capture is refused while the first is still in flight (single_capture_only)', async () => {
    const holds = holdCaptures();
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false, supports_multiple_captures: false } });
    const payment = await env.create({ total: '50.00' });
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    holds.hold();
    const capturing = env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '20.00' });
    const held = await holds.arrival();
    // 30.00 is still authorized beyond the reservation, but the processor would refuse a second capture.
    const second = await rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' }));
    expect(second.code).to.equal('operation_not_allowed');
    expect(second.details).to.deep.include({ reason: 'single_capture_only', operation: 'capture' });
    expect(second.message).to.include('the gateway does not support multiple captures');
    held.release();
    const captured = await capturing;
    expectAmount(captured.payment.capturedAmount, '20');
    expectAmount(captured.payment.authorizedAmount, '0', 'released by the one capture');
  });
});
