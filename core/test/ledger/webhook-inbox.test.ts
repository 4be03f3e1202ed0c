import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import sinon from 'sinon';
import { GatewayDeclinedError, PaymentService, type Payment, type Transaction } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, rejection, setup, type Setup } from './helpers.js';

/** What must not depend on delivery order. */
function summary(payment: Payment, txs: Transaction[]): unknown {
  return {
    chargeStatus: payment.chargeStatus,
    captured: payment.capturedAmount.toString(),
    authorized: payment.authorizedAmount.toString(),
    isActive: payment.isActive,
    toConfirm: payment.toConfirm,
    transactions: txs.map((t) => ({ kind: t.kind, state: t.state, isSuccess: t.isSuccess, amount: t.amount.toString() })),
  };
}

describe('ledger: webhook inbox', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    await env?.close();
  });

  async function authorized(): Promise<Payment> {
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    return payment;
  }

  it('applies the same event once', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const event = {
      gateway: GATEWAY,
      eventId: 'evt-1',
      paymentId: payment.id,
      response: { isSuccess: true, kind: 'refund' as const, amount: '3.00', transactionId: 'dash-refund-1' },
    };
    const first = await env.service.applyGatewayEvent(event);
    expect(first.status).to.equal('applied');
    expectAmount(first.payment.capturedAmount, '7');
    const second = await env.service.applyGatewayEvent(event);
    expect(second.status).to.equal('duplicate');
    expectAmount(second.payment.capturedAmount, '7');
    expect(await env.service.listTransactions(payment.id)).to.have.length(2);
  });

  it('refuses, recording nothing, an event without a readable amount, with an unknown kind, or in another currency', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const base = { gateway: GATEWAY, paymentId: payment.id };
    const bad = [
      { eventId: 'evt-no-amount', response: { isSuccess: true, kind: 'refund' as const, amount: 'lots' } },
      { eventId: 'evt-negative', response: { isSuccess: true, kind: 'refund' as const, amount: '-3.00' } },
      { eventId: 'evt-kind', response: { isSuccess: true, kind: 'chargeback' as never, amount: '3.00' } },
      { eventId: 'evt-currency', response: { isSuccess: true, kind: 'refund' as const, amount: '3.00', currency: 'EUR' } },
    ];
    for (const event of bad) expect(await codeOf(env.service.applyGatewayEvent({ ...base, ...event })), event.eventId).to.equal('invalid_input');
    expect(await env.service.listTransactions(payment.id)).to.have.length(1);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '10');
    // The same event ids with valid contents still apply: nothing was recorded for them.
    const fixed = await env.service.applyGatewayEvent({ ...base, eventId: 'evt-currency', response: { isSuccess: true, kind: 'refund', amount: '3.00', currency: 'usd' } });
    expect(fixed.status).to.equal('applied');
    expectAmount(fixed.payment.capturedAmount, '7');
  });

  it('an ongoing refund keeps its amount reserved until an event settles it (refunded, or failed and released)', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p) => ({
      isSuccess: true,
      actionRequired: false,
      error: null,
      kind: 'refund_ongoing' as const,
      amount: p.amount,
      currency: p.currency,
      transactionId: `re_${++next}`,
    }));
    const ongoing = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '6.00' });
    expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', isSuccess: true, state: 'applied' });
    expectAmount(ongoing.payment.capturedAmount, '10');
    // 6.00 of the 10.00 captured is on its way back: only 4.00 may be refunded meanwhile.
    const refused = await rejection(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '6.00' }));
    expect(refused.code).to.equal('amount_exceeds');
    expect(refused.details).to.deep.include({ available: '4.00' });
    await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '0.01' }))).to.equal('amount_exceeds');

    const refundEvent = (eventId: string, kind: 'refund' | 'refund_failed' | 'refund_ongoing', amount: string | Decimal, transactionId: string) =>
      env.service.applyGatewayEvent({ gateway: GATEWAY, eventId, paymentId: payment.id, response: { isSuccess: true, kind, amount, transactionId } });
    // The first one fails on the processor: its 6.00 is refundable again.
    const failed = await refundEvent('evt-re1-failed', 'refund_failed', '6.00', 're_1');
    expect(failed.status).to.equal('applied');
    expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '6.01' }))).to.equal('amount_exceeds');
    // The second one completes: the captured amount goes down by its 4.00, and 6.00 stays refundable.
    await refundEvent('evt-re2-done', 'refund', new Decimal('4.00'), 're_2');
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '6');
    // A late "still pending" event of the completed refund is stale.
    const late = await refundEvent('evt-re2-pending-late', 'refund_ongoing', '4.00', 're_2');
    expect(late.status).to.equal('already_applied');
    const last = await env.service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(last.transaction.amount, '6');
  });

  it('an event for what the API response already recorded changes nothing', async () => {
    env = setup();
    const payment = await authorized();
    const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    const result = await env.service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-capture-late',
      paymentId: payment.id,
      response: { isSuccess: true, kind: 'capture', amount: '4.00', transactionId: captured.transaction.gatewayTransactionId ?? '' },
    });
    expect(result.status).to.equal('already_applied');
    expect(result.transaction?.id).to.equal(captured.transaction.id);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '4');
  });

  it('a late event of an earlier stage (authorized, requires action) after the capture changes nothing', async () => {
    env = setup();
    const payment = await env.create();
    const charged = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(charged.transaction.kind).to.equal('capture');
    const gatewayTransactionId = charged.transaction.gatewayTransactionId ?? '';
    for (const kind of ['auth', 'action_to_confirm', 'pending'] as const) {
      const result = await env.service.applyGatewayEvent({
        gateway: GATEWAY,
        eventId: `evt-late-${kind}`,
        paymentId: payment.id,
        response: { isSuccess: true, kind, amount: '10.00', transactionId: gatewayTransactionId },
      });
      expect(result.status, kind).to.equal('already_applied');
      expect(result.transaction?.id, kind).to.equal(charged.transaction.id);
    }
    const after = await env.service.getPayment(payment.id);
    expect(summary(after, await env.service.listTransactions(payment.id))).to.deep.equal(summary(charged.payment, [charged.transaction]));
    expectAmount(after.authorizedAmount, '0');
    // A capture of another gateway transaction is new, not stale.
    const other = await env.service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-other-auth',
      paymentId: payment.id,
      response: { isSuccess: true, kind: 'auth', amount: '10.00', transactionId: 'another-gateway-transaction' },
    });
    expect(other.status).to.equal('applied');
    expectAmount(other.payment.authorizedAmount, '10');
  });

  it('an event arriving before the API response ends in the same state as in-order delivery', async () => {
    const run = async (eventFirst: boolean): Promise<unknown> => {
      env = setup({ plugin: GatedDummy });
      const payment = await authorized();
      const event = (transactionId: string) => ({
        gateway: GATEWAY,
        eventId: `evt-${transactionId}`,
        paymentId: payment.id,
        response: { isSuccess: true, kind: 'capture' as const, amount: '4.00', transactionId },
      });
      let result;
      if (eventFirst) {
        GatedDummy.gate.close();
        const arrived = GatedDummy.gate.nextArrival();
        const capture = env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
        await arrived; // the gateway has the request; its answer has not reached the ledger
        const applied = await env.service.applyGatewayEvent(event('gw-capture-early'));
        expect(applied.status).to.equal('applied');
        expect(applied.transaction?.state).to.equal('applied');
        GatedDummy.gate.open();
        result = await capture;
        expect(result.transaction.id).to.equal(applied.transaction?.id);
      } else {
        result = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
        expect((await env.service.applyGatewayEvent(event(result.transaction.gatewayTransactionId ?? ''))).status).to.equal('already_applied');
      }
      expectAmount(result.payment.capturedAmount, '4');
      const final = summary(await env.service.getPayment(payment.id), await env.service.listTransactions(payment.id));
      if (!eventFirst) await env.close(); // the last one is closed by afterEach
      return final;
    };
    const inOrder = await run(false);
    const outOfOrder = await run(true);
    expect(outOfOrder).to.deep.equal(inOrder);
  });

  it('a failure event before the API response: the reservation is released and the caller gets the decline', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await authorized();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const capture = env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '10.00' });
    await arrived;
    await env.service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-fail',
      paymentId: payment.id,
      response: { isSuccess: false, kind: 'capture', amount: '10.00', errorCode: 'declined', error: 'Capture refused by issuer', transactionId: 'gw-x' },
    });
    GatedDummy.gate.open();
    const err = await rejection(capture);
    expect(err).to.be.instanceOf(GatewayDeclinedError);
    expect((err as GatewayDeclinedError).errorCode).to.equal('declined');
    const after = await env.service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '0');
    expectAmount(after.authorizedAmount, '10');
  });

  it('a keyless event that could answer two refunds in flight waits for their answers (payment_busy), then counts nothing twice', async () => {
    env = setup({ plugin: GatedDummy });
    const { payment } = await env.service.pay({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success' });
    GatedDummy.gate.close();
    const arrived = Promise.all([GatedDummy.gate.nextArrival(), GatedDummy.gate.nextArrival()]);
    const refunds = [1, 2].map(() => env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }));
    await arrived; // both refunds are at the gateway
    const event = (eventId: string, transactionId: string) => ({
      gateway: GATEWAY,
      eventId,
      paymentId: payment.id,
      response: { isSuccess: true, kind: 'refund' as const, amount: '3.00', transactionId },
    });
    const early = await rejection(env.service.applyGatewayEvent(event('evt-refund-a', 'gw-refund-a')));
    expect((early as { code?: string }).code).to.equal('payment_busy');
    expect(early.details?.['transactionIds']).to.have.length(2);
    GatedDummy.gate.open();
    const [first, second] = await Promise.all(refunds);
    const ids = [first!.transaction.gatewayTransactionId, second!.transaction.gatewayTransactionId];
    expect(ids[0]).to.be.a('string').and.not.equal(ids[1]);
    // The processor's retries of both refunds' events (same event id for the first: it was not recorded) find them applied.
    expect((await env.service.applyGatewayEvent(event('evt-refund-a', ids[0]!))).status).to.equal('already_applied');
    expect((await env.service.applyGatewayEvent(event('evt-refund-b', ids[1]!))).status).to.equal('already_applied');
    const after = await env.service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '4');
    const refunded = (await env.service.listTransactions(payment.id)).filter((t) => t.kind === 'refund' && t.isSuccess);
    expect(refunded).to.have.length(2);
  });

  it('finds the payment by PSP reference, and refuses events without a payment', async () => {
    env = setup();
    const payment = await env.create();
    const processed = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const byPsp = await env.service.applyGatewayEvent({
      gateway: GATEWAY,
      eventId: 'evt-psp',
      pspReference: processed.payment.pspReference ?? '',
      response: { isSuccess: true, kind: 'refund', amount: '1', transactionId: 'r-1' },
    });
    expect(byPsp.payment.id).to.equal(payment.id);
    expectAmount(byPsp.payment.capturedAmount, '9');
    const response = { isSuccess: true, kind: 'refund' as const, amount: '1' };
    expect(await codeOf(env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'e2', response }))).to.equal('invalid_input');
    expect(await codeOf(env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'e3', pspReference: 'nope', response }))).to.equal('payment_not_found');
    // Another gateway's event naming this payment is acknowledged, changing nothing (see 'other_gateway' below).
    expect((await env.service.applyGatewayEvent({ gateway: 'acme', eventId: 'e4', paymentId: payment.id, response })).status).to.equal('other_gateway');
    // A rejected event is not recorded: it can be delivered again.
    expect((await env.service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'e2', paymentId: payment.id, response })).status).to.equal('applied');
  });

  it('an event about another processor payment than the one the payment was charged with changes nothing (a second payment on the same order, refunded by the processor)', async () => {
    env = setup();
    const payment = await env.create();
    const processed = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    // Names the payment (the order's metadata), but is about processor payment pay_second, which the ledger never counted.
    const event = { gateway: GATEWAY, eventId: 'evt-second', paymentId: payment.id, pspReference: 'pay_second', response: { isSuccess: true, kind: 'void' as const, amount: '10.00', transactionId: 'rfnd_auto' } };
    const result = await env.service.applyGatewayEvent(event);
    expect(result.status).to.equal('other_reference');
    const after = await env.service.getPayment(payment.id);
    expect([after.isActive, after.chargeStatus, after.pspReference]).to.deep.equal([true, 'fully-charged', processed.payment.pspReference]);
    expect(await env.service.listTransactions(payment.id)).to.have.length(1);
    // Its own reference still applies.
    const own = await env.service.applyGatewayEvent({ ...event, eventId: 'evt-own', pspReference: processed.payment.pspReference ?? '', response: { isSuccess: true, kind: 'refund', amount: '4.00', transactionId: 'dash-r' } });
    expect(own.status).to.equal('applied');
    expectAmount(own.payment.capturedAmount, '6');
  });

  it("an event from another gateway naming a payment is acknowledged (other_gateway), changes nothing and is logged at warn; the payment's own gateway still applies it", async () => {
    env = setup();
    const log = captureLogger();
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: log.logger });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const event = { gateway: 'acme.other', eventId: 'evt-acme-1', paymentId: payment.id, channel: payment.channel, response: { isSuccess: true, kind: 'refund' as const, amount: '3.00', transactionId: 'acme-r' } };
    const result = await service.applyGatewayEvent(event);
    expect(result).to.deep.include({ status: 'other_gateway', transaction: null });
    expect(result.payment.id).to.equal(payment.id);
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '10');
    expect(await service.listTransactions(payment.id)).to.have.length(1);
    const warning = log.lines.find((l) => l['level'] === 40);
    expect(warning).to.deep.include({ eventGateway: 'acme.other', paymentGateway: GATEWAY, paymentId: payment.id, eventId: 'evt-acme-1' });
    expect(String(warning!['msg'])).to.include('another gateway');
    // Delivered again it is acknowledged again; the same event id of the payment's own gateway applies.
    expect((await service.applyGatewayEvent(event)).status).to.equal('other_gateway');
    const own = await service.applyGatewayEvent({ ...event, gateway: GATEWAY });
    expect(own.status).to.equal('applied');
    expectAmount(own.payment.capturedAmount, '7');
  });
});
