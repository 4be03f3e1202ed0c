import { expect } from 'chai';
import { MemoryLedgerStore, PAYMENT_BUSY_REASONS, PaymentService } from '@payhost/core';
import { GATEWAY, GatedDummy, key, rejection, setup, type Setup } from './helpers.js';

/**
 * Every payment_busy carries a stable code in `details.reason` (the sentence stays in the message), so a
 * client or an operator's tooling can tell a key still running from an event waiting for a call's answer.
 */
describe('ledger: payment_busy details.reason is a stable code', () => {
  let env: Setup;
  afterEach(async () => {
    GatedDummy.gate.open();
    await env?.close();
  });

  it('lists its codes', () => {
    expect(Object.values(PAYMENT_BUSY_REASONS).sort()).to.deep.equal([
      'ambiguous_event',
      'capture_in_flight',
      'held_for_review',
      'key_in_progress',
      'operation_in_progress',
      'outcome_unreadable',
      'refund_in_flight',
    ]);
  });

  it('operation_in_progress: another operation of the payment is in flight', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const running = env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    await arrived;
    const busy = await rejection(env.service.void({ paymentId: payment.id, idempotencyKey: key() }));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'operation_in_progress', paymentId: payment.id, operation: 'void' });
    expect(busy.message).to.match(/is busy: a \w+ is in progress$/);
    GatedDummy.gate.open();
    await running;
  });

  it('key_in_progress: a retry gives up waiting for the key another request still holds', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ store, faults: { 'after-pending': () => Promise.reject(new Error('crash')) } });
    const payment = await env.create();
    const k = key();
    await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }));
    const other = new PaymentService({ manager: env.manager, store, idempotency: { pollMs: 1, maxPollMs: 2, waitTimeoutMs: 20 } });
    const busy = await rejection(other.process({ paymentId: payment.id, idempotencyKey: k }));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.equal({ idempotencyKey: k, reason: 'key_in_progress' });
    expect(busy.message).to.include('is still in progress elsewhere');
  });

  it('outcome_unreadable: the key has an outcome this version cannot read', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ store });
    const payment = await env.create();
    const k = key();
    await env.service.process({ paymentId: payment.id, idempotencyKey: k });
    // As a newer version might have written it.
    await store.transaction((tx) => tx.completeIdempotencyKey(k, { format: 2 }, new Date()));
    const busy = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.equal({ idempotencyKey: k, reason: 'outcome_unreadable' });
    expect(busy.message).to.include('has a recorded outcome this version cannot read');
  });

  it('ambiguous_event: a keyless event that could answer two captures in flight', async () => {
    env = setup({ plugin: GatedDummy, configuration: { auto_capture: false, supports_multiple_captures: true } });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    GatedDummy.gate.close();
    const arrived = Promise.all([GatedDummy.gate.nextArrival(), GatedDummy.gate.nextArrival()]);
    const captures = [1, 2].map(() => env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }));
    await arrived;
    const busy = await rejection(
      env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-capture', paymentId: payment.id, response: { isSuccess: true, kind: 'capture', amount: '3.00', transactionId: 'gw-capture' } }),
    );
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'ambiguous_event', paymentId: payment.id });
    expect(busy.details?.['transactionIds']).to.have.length(2);
    expect(busy.message).to.include('could answer 2 operations still in flight');
    GatedDummy.gate.open();
    await Promise.all(captures);
  });

  it('refund_in_flight: a keyless refund event that matches no refund while a refund call waits for its answer', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const refund = env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    await arrived;
    const busy = await rejection(
      env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-refund', paymentId: payment.id, response: { isSuccess: true, kind: 'refund', amount: '7.00', transactionId: 're_x' } }),
    );
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'refund_in_flight', paymentId: payment.id });
    expect(busy.message).to.include('matches no recorded refund while 1 refund call(s) wait for their answer');
    GatedDummy.gate.open();
    await refund;
  });
});
