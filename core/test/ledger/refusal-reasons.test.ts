import { expect } from 'chai';
import { checkOperation, Decimal, OPERATION_REFUSAL_REASONS } from '@payhost/core';
import { DUMMY_TOKENS, payInput, key, rejection, setup, type Setup } from './helpers.js';

/**
 * Every operation_not_allowed carries a stable code in `details.reason` (the sentence stays in the message), so a
 * client can tell "refund instead" from "capture the rest" without matching prose.
 */
describe('ledger: operation_not_allowed details.reason is a stable code', () => {
  let env: Setup;
  afterEach(() => env?.close());

  /** The refusal's code, reason, operation and message tail, as one value to compare. */
  async function refusal(promise: Promise<unknown>): Promise<{ code: unknown; reason: unknown; operation: unknown; message: string }> {
    const err = await rejection(promise);
    return { code: err.code, reason: err.details?.['reason'], operation: err.details?.['operation'], message: err.message.replace(/^Cannot \w+ payment "[^"]+": /, '') };
  }

  it('lists its codes', () => {
    expect(Object.values(OPERATION_REFUSAL_REASONS).sort()).to.deep.equal([
      'already_authorized',
      'already_charged',
      'awaiting_confirmation',
      'not_authorized',
      'not_awaiting_confirmation',
      'not_capturable',
      'not_refundable',
      'nothing_to_capture',
      'nothing_to_refund',
      'partially_captured',
      'payment_inactive',
      'single_capture_only',
    ]);
  });

  it('payment_inactive, already_authorized, already_charged, not_capturable: a charged payment, then refunded out', async () => {
    env = setup();
    const charged = await env.service.pay(payInput());
    const id = charged.payment.id;
    expect(await refusal(env.service.process({ paymentId: id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'already_authorized', operation: 'process', message: 'the payment was already authorized or charged',
    });
    expect(await refusal(env.service.void({ paymentId: id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'already_charged', operation: 'void', message: 'only an uncaptured authorization can be voided (refund instead)',
    });
    expect(await refusal(env.service.capture({ paymentId: id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'not_capturable', operation: 'capture', message: 'a fully-charged payment cannot be captured',
    });
    await env.service.refund({ paymentId: id, idempotencyKey: key() });
    const inactive = await rejection(env.service.refund({ paymentId: id, idempotencyKey: key() }));
    expect(inactive.details).to.deep.include({ reason: 'payment_inactive', paymentId: id, operation: 'refund', chargeStatus: 'fully-refunded', isActive: false });
    expect(inactive.message).to.match(/: the payment is not active$/);
  });

  it('awaiting_confirmation, not_awaiting_confirmation: a payment waiting for 3-D Secure, then not', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const waiting = await env.service.pay(payInput({ token: DUMMY_TOKENS.threeDSecure }));
    const id = waiting.payment.id;
    expect(await refusal(env.service.capture({ paymentId: id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'awaiting_confirmation', operation: 'capture', message: 'the payment is waiting for confirmation',
    });
    await env.service.confirm({ paymentId: id, idempotencyKey: key() });
    expect(await refusal(env.service.confirm({ paymentId: id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'not_awaiting_confirmation', operation: 'confirm', message: 'the payment is not waiting for confirmation',
    });
    // A shopper's cancel of what the confirm authorized meanwhile: the same code, the checkout's sentence.
    expect(await refusal(env.service.void({ paymentId: id, idempotencyKey: key(), onlyWhileAwaitingAction: true }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'not_awaiting_confirmation', operation: 'void', message: 'the payment is not waiting for customer action (3-D Secure)',
    });
  });

  it('not_authorized, not_refundable: a payment nothing was authorized on, then only authorized', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await env.create();
    expect(await refusal(env.service.void({ paymentId: payment.id, idempotencyKey: key() }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'not_authorized', operation: 'void', message: 'nothing is authorized',
    });
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expect(await refusal(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'not_refundable', operation: 'refund', message: 'a not-charged payment cannot be refunded',
    });
  });

  it('single_capture_only: a second capture on a gateway that captures once', async () => {
    env = setup({ configuration: { auto_capture: false, supports_multiple_captures: false } });
    const { payment } = await env.service.pay(payInput());
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    expect(await refusal(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'single_capture_only', operation: 'capture', message: 'the gateway does not support multiple captures of one authorization',
    });
  });

  it('partially_captured, nothing_to_capture: the rest of a partly captured authorization, then none left', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const { payment } = await env.service.pay(payInput());
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
    const voided = await refusal(env.service.void({ paymentId: payment.id, idempotencyKey: key() }));
    expect([voided.code, voided.reason, voided.operation]).to.deep.equal(['operation_not_allowed', 'partially_captured', 'void']);
    expect(voided.message).to.include('capture the remaining 7.00 USD');
    // Refunding 1.00 keeps the payment below its total once the rest (7.00) is captured: partially-charged, nothing authorized.
    await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' });
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '7.00' });
    expect(await refusal(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }))).to.deep.equal({
      code: 'operation_not_allowed', reason: 'nothing_to_capture', operation: 'capture', message: 'nothing authorized is left to capture',
    });
  });

  it('nothing_to_refund: a refundable status with nothing captured (the rule itself: the ledger does not reach it)', async () => {
    env = setup();
    const created = await env.create();
    const payment = { ...created, chargeStatus: 'partially-charged' as const, capturedAmount: new Decimal(0) };
    let thrown: unknown;
    try {
      checkOperation({ operation: 'refund', payment, transactions: [], gateway: {} });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.deep.include({ code: 'operation_not_allowed', message: `Cannot refund payment "${created.id}": nothing captured is left to refund` });
    expect((thrown as { details: unknown }).details).to.deep.include({ reason: 'nothing_to_refund', operation: 'refund' });
  });
});
