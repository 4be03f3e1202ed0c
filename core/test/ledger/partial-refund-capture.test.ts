import { expect } from 'chai';
import sinon from 'sinon';
import { CHANNEL, GatedDummy, dummyStore, expectAmount, key, rejection, setup, type Setup } from './helpers.js';
import { declinedCapture, holdCaptures, releaseHeldCaptures } from './support/held-captures.js';

/**
 * On a gateway that captures an authorization several times, a partial refund leaves the uncaptured
 * rest of the authorization where it was: it can still be captured (a void cannot release it, and
 * says so). Once everything captured is refunded the payment is inactive and captures nothing more:
 * it keeps no authorization the ledger could never act on.
 */
describe('ledger: the rest of an authorization after a partial refund (multiple captures)', () => {
  let env: Setup;
  afterEach(async () => {
    releaseHeldCaptures();
    sinon.restore();
    await env.close();
  });

  /** 100.00 USD authorized on the dummy (multiple captures), 40.00 captured, 10.00 of it refunded. */
  async function capturedAndPartlyRefunded() {
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false, supports_multiple_captures: true } });
    const payment = await env.create({ total: '100.00' });
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const first = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '40.00' });
    const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' });
    expect(refunded.payment.chargeStatus).to.equal('partially-refunded');
    expectAmount(refunded.payment.authorizedAmount, '60');
    return { paymentId: payment.id, chargeRef: first.transaction.gatewayTransactionId ?? '' };
  }

  it('the remaining 60.00 is captured, as the void refusal says; the payment then refunds to zero', async () => {
    const { paymentId, chargeRef } = await capturedAndPartlyRefunded();
    const voided = await rejection(env.service.void({ paymentId, idempotencyKey: key() }));
    expect(voided.code).to.equal('operation_not_allowed');
    expect(voided.message).to.include('capture the remaining 60.00 USD');

    const rest = await env.service.capture({ paymentId, idempotencyKey: key(), amount: '60.00' });
    expect(rest.transaction).to.deep.include({ kind: 'capture', isSuccess: true });
    expect(rest.payment.chargeStatus).to.equal('partially-charged');
    expectAmount(rest.payment.capturedAmount, '90');
    expectAmount(rest.payment.authorizedAmount, '0');
    expect(dummyStore.findCharge(CHANNEL, chargeRef)?.captured.toString()).to.equal('100');

    // More than is left authorized is still refused by the amount.
    const more = await rejection(env.service.capture({ paymentId, idempotencyKey: key(), amount: '1.00' }));
    expect(more.code).to.equal('operation_not_allowed');
    expect(more.message).to.include('nothing authorized is left to capture');

    const all = await env.service.refund({ paymentId, idempotencyKey: key() });
    expectAmount(all.transaction.amount, '90');
    expect(all.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
  });

  it('more than the rest of the authorization is amount_exceeds, naming what is left', async () => {
    const { paymentId } = await capturedAndPartlyRefunded();
    const err = await rejection(env.service.capture({ paymentId, idempotencyKey: key(), amount: '60.01' }));
    expect(err.code).to.equal('amount_exceeds');
    expect(err.message).to.include('60.00');
  });

  it('refunding everything captured while the rest is authorized: fully-refunded and inactive, with nothing left authorized', async () => {
    const { paymentId } = await capturedAndPartlyRefunded();
    const refunded = await env.service.refund({ paymentId, idempotencyKey: key() });
    expectAmount(refunded.transaction.amount, '30');
    expect(refunded.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(refunded.payment.authorizedAmount, '0', 'authorized once inactive');
    const stored = await env.service.getPayment(paymentId);
    expectAmount(stored.authorizedAmount, '0', 'authorized as stored');
    expect((await rejection(env.service.capture({ paymentId, idempotencyKey: key() }))).message).to.include('not active');
  });

  it('a single-capture gateway still refuses a second capture after a partial refund, saying why', async () => {
    env = setup({ configuration: { auto_capture: false, supports_multiple_captures: false } });
    const payment = await env.create({ total: '100.00' });
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '40.00' });
    await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' });
    const err = await rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' }));
    expect(err.code).to.equal('operation_not_allowed');
    expect(err.message).to.include('the gateway does not support multiple captures');
  });

  it('a capture in flight while a refund takes everything captured: the rest stays authorized for it, and after it', async () => {
    const holds = holdCaptures();
    const { paymentId, chargeRef } = await capturedAndPartlyRefunded();
    holds.hold();
    const capturing = env.service.capture({ paymentId, idempotencyKey: key(), amount: '20.00' });
    const held = await holds.arrival();
    const refunded = await env.service.refund({ paymentId, idempotencyKey: key() });
    expect(refunded.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(refunded.payment.authorizedAmount, '60', 'kept for the capture in flight');
    held.release();
    const captured = await capturing;
    expect(captured.payment).to.deep.include({ chargeStatus: 'partially-charged', isActive: true });
    expectAmount(captured.payment.capturedAmount, '20');
    expectAmount(captured.payment.authorizedAmount, '40', 'what the processor can still capture');
    const charge = dummyStore.findCharge(CHANNEL, chargeRef);
    expect(charge?.authorized.minus(charge.captured).toString()).to.equal('40');
  });

  it('a capture in flight that fails after a refund took everything captured: the authorization is released then', async () => {
    const holds = holdCaptures();
    const { paymentId } = await capturedAndPartlyRefunded();
    holds.hold();
    const capturing = rejection(env.service.capture({ paymentId, idempotencyKey: key(), amount: '20.00' }));
    const held = await holds.arrival();
    await env.service.refund({ paymentId, idempotencyKey: key() });
    held.release(declinedCapture);
    expect((await capturing).code).to.equal('gateway_declined');
    const after = await env.service.getPayment(paymentId);
    expect(after).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(after.authorizedAmount, '0', 'released once no capture can take it');
  });

  it('one of two captures in flight fails after a refund took everything captured: the rest stays authorized for the other', async () => {
    const holds = holdCaptures();
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false, supports_multiple_captures: true } });
    const payment = await env.create({ total: '100.00' });
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const first = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '20.00' });
    expectAmount(first.payment.authorizedAmount, '80');
    const chargeRef = first.transaction.gatewayTransactionId ?? '';
    holds.hold(2);
    const declining = rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '20.00' }));
    const toDecline = await holds.arrival();
    const succeeding = env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '20.00' });
    const toSucceed = await holds.arrival();
    const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(refunded.transaction.amount, '20');
    expect(refunded.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(refunded.payment.authorizedAmount, '80', 'kept for the captures in flight');

    toDecline.release(declinedCapture);
    expect((await declining).code).to.equal('gateway_declined');
    const between = await env.service.getPayment(payment.id);
    expect(between).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(between.authorizedAmount, '80', 'kept for the capture still in flight');

    toSucceed.release();
    const captured = await succeeding;
    expect(captured.payment).to.deep.include({ chargeStatus: 'partially-charged', isActive: true });
    expectAmount(captured.payment.capturedAmount, '20');
    // 100 authorized, 20 + 20 captured at the processor: 60 can still be captured there, and here.
    expectAmount(captured.payment.authorizedAmount, '60', 'what the processor can still capture');
    const charge = dummyStore.findCharge(CHANNEL, chargeRef);
    expect(charge?.authorized.minus(charge.captured).toString()).to.equal('60');
    const rest = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(rest.transaction.amount, '60');
  });
});
