import { expect } from 'chai';
import { Decimal, type Decimal as DecimalType, type GatewayEventInput, type Payment } from '@payhost/core';
import { DUMMY_TOKENS, GATEWAY, GatedDummy, expectAmount, key, rejection, setup, type Setup } from './helpers.js';

type EventResponse = GatewayEventInput['response'];

/** The payment's amounts and rows, to show an event changed nothing. */
async function state(env: Setup, paymentId: string): Promise<unknown> {
  const p = await env.service.getPayment(paymentId);
  const rows = await env.service.listTransactions(paymentId);
  return {
    chargeStatus: p.chargeStatus,
    captured: p.capturedAmount.toFixed(),
    authorized: p.authorizedAmount.toFixed(),
    isActive: p.isActive,
    rows: rows.map((t) => [t.kind, t.state, t.isSuccess, t.amount.toFixed()]),
  };
}

/** Processor events whose amount is no amount of the payment: refused as the API's answers are, nothing recorded. */
describe('ledger: amounts of processor events', () => {
  let env: Setup;
  afterEach(async () => {
    GatedDummy.gate.open();
    GatedDummy.canTell = true;
    await env?.close();
  });

  const event = (payment: Payment, eventId: string, response: EventResponse, extra: Partial<GatewayEventInput> = {}) =>
    env.service.applyGatewayEvent({ gateway: GATEWAY, eventId, paymentId: payment.id, response, ...extra });

  async function authorized(total = '10.00', currency = 'USD'): Promise<Payment> {
    const payment = await env.create({ total, currency });
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    return payment;
  }

  it('refuses an amount that is a JavaScript number, a hex or exponent string, or finer than the currency: invalid_input, nothing recorded', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await authorized();
    const before = await state(env, payment.id);
    // As a JavaScript plugin could pass them, past the type (Decimal | string).
    const amounts: unknown[] = [0.1 + 0.2, 10, '0x10', '1e1', '3.005', ' 3.00', '+3.00', new Decimal('3.005')];
    for (const [i, amount] of amounts.entries()) {
      const err = await rejection(event(payment, `evt-bad-${i}`, { isSuccess: true, kind: 'capture', amount: amount as DecimalType, transactionId: `cap-${i}` }));
      expect(err.code, String(amount)).to.equal('invalid_input');
      expect(err.details, String(amount)).to.include({ eventId: `evt-bad-${i}` });
    }
    expect(await state(env, payment.id)).to.deep.equal(before);
    // Not recorded as seen: the same event id, read right, applies.
    const fixed = await event(payment, 'evt-bad-4', { isSuccess: true, kind: 'capture', amount: '3.01', transactionId: 'cap-4' });
    expect(fixed.status).to.equal('applied');
    expectAmount(fixed.payment.capturedAmount, '3.01');
  });

  it('refuses a fraction of the currency\'s minor unit in JPY and KWD, and takes the currency\'s own decimals', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const yen = await authorized('1000', 'JPY');
    expect((await rejection(event(yen, 'evt-jpy', { isSuccess: true, kind: 'capture', amount: '999.5', transactionId: 'cap-jpy' }))).code).to.equal('invalid_input');
    expect((await event(yen, 'evt-jpy', { isSuccess: true, kind: 'capture', amount: '1000', transactionId: 'cap-jpy' })).status).to.equal('applied');
    const dinar = await authorized('1.234', 'KWD');
    expect((await rejection(event(dinar, 'evt-kwd', { isSuccess: true, kind: 'capture', amount: '1.2345', transactionId: 'cap-kwd' }))).code).to.equal('invalid_input');
    const kwd = await event(dinar, 'evt-kwd', { isSuccess: true, kind: 'capture', amount: '1.234', transactionId: 'cap-kwd' });
    expectAmount(kwd.payment.capturedAmount, '1.234');
  });

  it('refuses a successful authorization, capture or refund of 0 (a capture of nothing would end the void, a refund of nothing the payment); a failure of 0 is recorded', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await authorized();
    const before = await state(env, payment.id);
    for (const kind of ['capture', 'auth', 'refund', 'refund_ongoing'] as const) {
      const err = await rejection(event(payment, `evt-zero-${kind}`, { isSuccess: true, kind, amount: '0', transactionId: `zero-${kind}` }));
      expect(err.code, kind).to.equal('invalid_input');
      expect(err.message, kind).to.include('of 0 USD');
    }
    expect((await rejection(event(payment, 'evt-zero-dec', { isSuccess: true, kind: 'capture', amount: new Decimal('0.00'), transactionId: 'zero-dec' }))).code).to.equal('invalid_input');
    expect(await state(env, payment.id)).to.deep.equal(before);
    // Still voidable: nothing was captured.
    const voided = await env.service.void({ paymentId: payment.id, idempotencyKey: key() });
    expect(voided.payment.isActive).to.equal(false);
    const failed = await event(payment, 'evt-failed-zero', { isSuccess: false, kind: 'capture_failed', amount: '0', transactionId: 'failed-zero' });
    expect(failed.status).to.equal('applied');
    expect(failed.transaction).to.include({ isSuccess: false, state: 'applied' });
  });

  it('a capture of more than the payment\'s total leaves, recorded on its own, is held for review, counting nothing; a person records what was captured', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await env.create();
    const held = await event(payment, 'evt-over', { isSuccess: true, kind: 'capture', amount: '12.00', transactionId: 'cap-over' });
    expect(held.status).to.equal('held');
    expect(held.transaction).to.include({ kind: 'capture', state: 'review', gatewayTransactionId: 'cap-over' });
    expect(held.transaction?.error).to.include('12 USD').and.include('held for review');
    const after = await env.service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('not-charged');
    expectAmount(after.capturedAmount, '0');
    expect((await env.service.listReview()).map((item) => item.transaction.id)).to.deep.equal([held.transaction?.id]);
    // The payment waits for the review.
    const busy = await rejection(env.service.authorize({ paymentId: payment.id, idempotencyKey: key() }));
    expect([busy.code, busy.details?.['reason']]).to.deep.equal(['payment_busy', 'held_for_review']);
    const resolved = await env.service.resolveReview({ transactionId: held.transaction!.id, outcome: 'succeeded', amount: '10.00', note: 'dashboard shows 10.00 captured' });
    expect(resolved.payment.chargeStatus).to.equal('fully-charged');
    expectAmount(resolved.payment.capturedAmount, '10');
  });

  it('a capture on its own of no more than the total leaves is counted; one more past a full capture is held', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await env.create();
    const first = await event(payment, 'evt-cap-1', { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'cap-1' });
    expect(first.status).to.equal('applied');
    expectAmount(first.payment.capturedAmount, '10');
    const second = await event(payment, 'evt-cap-2', { isSuccess: true, kind: 'capture', amount: '0.01', transactionId: 'cap-2' });
    expect(second.status).to.equal('held');
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '10');
  });

  it('an authorization on its own of more than the total is held for review', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await env.create();
    const held = await event(payment, 'evt-auth-over', { isSuccess: true, kind: 'auth', amount: '10.01', transactionId: 'auth-over' });
    expect(held.status).to.equal('held');
    expectAmount((await env.service.getPayment(payment.id)).authorizedAmount, '0');
  });

  it('an event for more than the operation it answers asked for waits while that call waits for its answer (payment_busy), then finds it recorded', async () => {
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false } });
    const payment = await env.create();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const authorizing = env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    await arrived;
    const [pending] = await env.service.listTransactions(payment.id);
    const keyed = { gatewayIdempotencyKey: pending!.gatewayIdempotencyKey };
    const err = await rejection(event(payment, 'evt-auth-more', { isSuccess: true, kind: 'auth', amount: '12.00', transactionId: 'auth-more' }, keyed));
    expect([err.code, err.details?.['reason'], err.details?.['transactionId']]).to.deep.equal(['payment_busy', 'operation_in_progress', pending!.id]);
    expect((await env.service.listTransactions(payment.id)).map((t) => t.state)).to.deep.equal(['pending']);
    GatedDummy.gate.open();
    const answered = await authorizing;
    expectAmount(answered.payment.authorizedAmount, '10');
    const retried = await event(payment, 'evt-auth-more', { isSuccess: true, kind: 'auth', amount: '12.00', transactionId: answered.transaction.gatewayTransactionId ?? '' }, keyed);
    expect(retried.status).to.equal('already_applied');
    expectAmount(retried.payment.authorizedAmount, '10');
  });

  it('an event for more than a call held for review asked for keeps it held (its reservation too), with the reason; one of the amount asked settles it', async () => {
    env = setup({ plugin: GatedDummy });
    GatedDummy.canTell = false;
    const payment = await env.create({ token: DUMMY_TOKENS.outcomeUnknownCharged });
    const lost = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(lost.code).to.equal('outcome_unknown');
    const [row] = await env.service.listTransactions(payment.id);
    const keyed = { gatewayIdempotencyKey: row!.gatewayIdempotencyKey };
    const over = await event(payment, 'evt-over', { isSuccess: true, kind: 'capture', amount: '12.00', transactionId: 'ch-1' }, keyed);
    expect(over.status).to.equal('held');
    expect(over.transaction).to.include({ id: row!.id, state: 'review', amount: row!.amount });
    expect(over.transaction?.error).to.include('A processor event reports 12 USD');
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '0');
    const right = await event(payment, 'evt-right', { isSuccess: true, kind: 'capture', amount: '10.00', transactionId: 'ch-1' }, keyed);
    expect(right.status).to.equal('applied');
    expect(right.transaction).to.include({ id: row!.id, state: 'applied' });
    expectAmount(right.payment.capturedAmount, '10');
  });
});
