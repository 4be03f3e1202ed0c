import { expect } from 'chai';
import sinon from 'sinon';
import { PaymentService, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, rejection, setup, successful, sum, type Setup } from './helpers.js';

// A refund made on the processor's dashboard while a refund call of the same amount waits for its
// answer, and answers or keyed events naming another refund than the one a row already carries:
// each processor refund is counted once, none is lost.
describe('ledger: a refund event beside a refund call in flight', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    GatedDummy.canTell = true;
    await env?.close();
  });

  /**
   * Refunds act at once at the processor (`re_<n>`) and answer after the gate; while `lost` says so,
   * the answer is lost and the gateway cannot tell about it later (held for review).
   */
  function refundsAnswer(options: { lost?: () => boolean } = {}): void {
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => {
      const n = ++next;
      await GatedDummy.gate.pass();
      if (options.lost?.()) {
        return { isSuccess: false, actionRequired: false, kind: 'refund', amount: p.amount, currency: p.currency, transactionId: '', error: 'connection reset', errorCode: 'processing_error', rawResponse: { outcome_unknown: true } };
      }
      return { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: p.amount, currency: p.currency, transactionId: `re_${n}` };
    });
  }

  /** A payment charged (25.00 USD unless told) on the gated dummy, and a way to send its refund events. */
  async function charged(total = '25.00') {
    const log = captureLogger();
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: log.logger });
    const payment = await env.create({ total });
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const refunded = (eventId: string, amount: string, transactionId: string, gatewayIdempotencyKey?: string) =>
      service.applyGatewayEvent({
        gateway: GATEWAY,
        eventId,
        paymentId: payment.id,
        ...(gatewayIdempotencyKey ? { gatewayIdempotencyKey } : {}),
        response: { isSuccess: true, kind: 'refund', amount, transactionId },
      });
    const warnings = () => log.lines.filter((l) => l['level'] === 40);
    return { service, payment, refunded, warnings };
  }

  /** A refund call whose answer waits at the gate, and its pending row. */
  async function refundInFlight(service: PaymentService, paymentId: string, amount: string) {
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const call = service.refund({ paymentId, idempotencyKey: key(), amount });
    await arrived;
    const pending = (await service.listTransactions(paymentId)).find((t) => t.state === 'pending');
    expect(pending, 'the refund call is in flight').to.not.equal(undefined);
    return { call, pending: pending! };
  }

  it('a keyless dashboard refund of the same amount waits (refund_in_flight) instead of taking the call\'s row; both refunds count', async () => {
    refundsAnswer();
    const { service, payment, refunded } = await charged();
    const { call, pending } = await refundInFlight(service, payment.id, '5.00'); // re_1 at the processor
    // Meanwhile 5.00 refunded on the dashboard: its event carries no key.
    const early = await rejection(refunded('evt-dash', '5.00', 're_dash'));
    expect(early.code).to.equal('payment_busy');
    expect(early.details).to.deep.include({ reason: 'refund_in_flight', transactionIds: [pending.id] });
    GatedDummy.gate.open();
    const answered = await call;
    expect(answered.transaction).to.deep.include({ id: pending.id, state: 'applied', gatewayTransactionId: 're_1' });
    // The processor delivers the dashboard refund's event again: a refund of its own now.
    const dash = await refunded('evt-dash', '5.00', 're_dash');
    expect(dash.status).to.equal('applied');
    expect(dash.transaction!.id).to.not.equal(pending.id);
    // The call's own event, echoing its key (as Stripe does), finds its refund recorded.
    const own = await refunded('evt-re1', '5.00', 're_1', pending.gatewayIdempotencyKey);
    expect(own.status).to.equal('already_applied');
    expect(own.transaction!.id).to.equal(pending.id);
    const refunds = successful(await service.listTransactions(payment.id), 'refund');
    expect(refunds.map((t) => t.gatewayTransactionId).sort()).to.deep.equal(['re_1', 're_dash']);
    expectAmount(sum(refunds), '10');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '15');
  });

  it('an answer naming another refund than the one an event settled its row with is recorded beside it, with a warning naming both', async () => {
    refundsAnswer();
    const { service, payment, refunded, warnings } = await charged();
    const { call, pending } = await refundInFlight(service, payment.id, '5.00'); // re_1
    // An event under the call's key, but about another refund: it settles the row first.
    const early = await refunded('evt-other', '5.00', 're_other', pending.gatewayIdempotencyKey);
    expect(early.status).to.equal('applied');
    expect(early.transaction).to.deep.include({ id: pending.id, gatewayTransactionId: 're_other' });
    GatedDummy.gate.open();
    const answered = await call;
    // The caller gets what its key recorded; the answer's refund is not dropped.
    expect(answered.transaction.id).to.equal(pending.id);
    const refunds = successful(await service.listTransactions(payment.id), 'refund');
    expect(refunds.map((t) => t.gatewayTransactionId).sort()).to.deep.equal(['re_1', 're_other']);
    const recorded = refunds.find((t) => t.gatewayTransactionId === 're_1')!;
    expect(recorded.idempotencyKey).to.equal(null);
    expectAmount(recorded.amount, '5');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '15');
    expect(warnings().at(-1)).to.deep.include({
      paymentId: payment.id,
      transactionId: pending.id,
      gatewayTransactionId: 're_other',
      otherTransactionId: recorded.id,
      otherGatewayTransactionId: 're_1',
    });
    // Either refund's event again changes nothing.
    expect((await refunded('evt-re1', '5.00', 're_1')).status).to.equal('already_applied');
    expect((await refunded('evt-other-2', '5.00', 're_other')).status).to.equal('already_applied');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '15');
  });

  it('a keyed event naming a row settled with another refund is that other refund (no more than asked), not already_applied', async () => {
    let lost = true;
    refundsAnswer({ lost: () => lost });
    const { service, payment, refunded, warnings } = await charged();
    // A 5.00 refund whose answer was lost (re_1 at the processor), held for review.
    GatedDummy.canTell = false;
    const k = key();
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: k, amount: '5.00' }))).to.equal('outcome_unknown');
    GatedDummy.canTell = true;
    lost = false;
    const held = (await service.listTransactions(payment.id)).find((t) => t.idempotencyKey === k)!;
    expect(held.state).to.equal('review');
    // A dashboard refund of the same amount, keyless: no answer will come for the held refund, so it settles it.
    const dash = await refunded('evt-dash', '5.00', 're_dash');
    expect(dash.transaction).to.deep.include({ id: held.id, state: 'applied', gatewayTransactionId: 're_dash' });
    // The held refund's own event, under its key, with the charge's running total (Stripe's amount_refunded).
    const real = await refunded('evt-re1', '10.00', 're_1', held.gatewayIdempotencyKey);
    expect(real.status).to.equal('applied');
    expect(real.transaction).to.deep.include({ kind: 'refund', state: 'applied', gatewayTransactionId: 're_1', idempotencyKey: null });
    expect(real.transaction!.id).to.not.equal(held.id);
    expectAmount(real.transaction!.amount, '5');
    expectAmount(real.payment.capturedAmount, '15');
    expect(warnings().at(-1)).to.deep.include({ transactionId: held.id, gatewayTransactionId: 're_dash', otherTransactionId: real.transaction!.id, otherGatewayTransactionId: 're_1' });
    // Delivered again, it adds nothing.
    expect((await refunded('evt-re1-again', '10.00', 're_1', held.gatewayIdempotencyKey)).status).to.equal('already_applied');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '15');
  });

  it('a keyless event equal to one refund held for review and the running total of another is held for review, settling neither', async () => {
    let lost = false;
    refundsAnswer({ lost: () => lost });
    const { service, payment, refunded } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '2.00' }); // re_1
    lost = true;
    GatedDummy.canTell = false;
    for (const amount of ['5.00', '3.00']) expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount }))).to.equal('outcome_unknown');
    GatedDummy.canTell = true;
    const held = (await service.listTransactions(payment.id)).filter((t) => t.state === 'review');
    expect(held).to.have.length(2);
    // 5.00: the held 5.00 refund's own amount, or 2.00 + the held 3.00 refund's running total.
    const ambiguous = await refunded('evt-5', '5.00', 're_x');
    expect(ambiguous.status).to.equal('held');
    expect(ambiguous.transaction).to.deep.include({ kind: 'refund', state: 'review', gatewayTransactionId: 're_x', idempotencyKey: null });
    expectAmount(ambiguous.payment.capturedAmount, '23');
    for (const t of await service.listTransactions(payment.id)) if (held.some((h) => h.id === t.id)) expect(t.state).to.equal('review');
  });

  it('the "more than the refund asked for" warning names the event\'s refund id', async () => {
    refundsAnswer();
    const { service, payment, refunded, warnings } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }); // re_1
    const { call, pending } = await refundInFlight(service, payment.id, '4.00'); // re_2
    const early = await refunded('evt-re2', '7.00', 're_2', pending.gatewayIdempotencyKey);
    expect(early.status).to.equal('applied');
    expect(warnings().at(-1)).to.deep.include({ transactionId: pending.id, gatewayTransactionId: 're_2', requested: '4', reported: '7', recorded: '4' });
    GatedDummy.gate.open();
    await call;
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '18');
  });

  it('an answer naming another refund than the row\'s, for more than is left captured, is held for review with nothing counted', async () => {
    // The processor answers the call with refund re_B (an answer of more than was asked is refused as incoherent before this).
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => {
      await GatedDummy.gate.pass();
      return { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: p.amount, currency: p.currency, transactionId: 're_B' };
    });
    const { service, payment, refunded, warnings } = await charged('10.00');
    const { call, pending } = await refundInFlight(service, payment.id, '4.00');
    // An event under the call's key settles its row as re_A; then a 3.00 refund made on the dashboard.
    expect((await refunded('evt-a', '4.00', 're_A', pending.gatewayIdempotencyKey)).transaction).to.deep.include({ id: pending.id, gatewayTransactionId: 're_A' });
    expect((await refunded('evt-dash', '3.00', 're_dash')).status).to.equal('applied');
    const before = await service.getPayment(payment.id);
    expectAmount(before.capturedAmount, '3');
    expect(before.chargeStatus).to.equal('partially-refunded');

    GatedDummy.gate.open();
    const answered = await call;
    expect(answered.transaction).to.deep.include({ id: pending.id, gatewayTransactionId: 're_A' });
    // re_B's 4.00 is more than the 3.00 left captured: recorded, held for review, nothing counted.
    const held = (await service.listTransactions(payment.id)).find((t) => t.gatewayTransactionId === 're_B');
    expect(held).to.deep.include({ kind: 'refund', state: 'review', idempotencyKey: null });
    expectAmount(held!.amount, '4');
    expect(held!.error).to.include('more than is captured');
    const after = await service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '3');
    expect(after).to.deep.include({ chargeStatus: 'partially-refunded', isActive: true });
    expect(successful(await service.listTransactions(payment.id), 'refund').map((t) => t.gatewayTransactionId).sort()).to.deep.equal(['re_A', 're_dash']);
    expect(warnings().at(-1)).to.deep.include({
      paymentId: payment.id,
      transactionId: pending.id,
      gatewayTransactionId: 're_A',
      otherTransactionId: held!.id,
      otherGatewayTransactionId: 're_B',
      state: 'review',
    });
  });
});
