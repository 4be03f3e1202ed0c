import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { Decimal, PaymentService, type GatewayResponse, type PaymentData, type Transaction } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, setup, successful, sum, type Setup } from './helpers.js';

// A refund the processor answered as pending (refund_ongoing) is settled by its completion event at
// no more than it asked for, whatever figure the event carries (a running total, say).
describe('ledger: a refund event settles the ongoing refund of its gateway transaction', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** Refunds answer refund_ongoing (re_1, re_2, ...) while `pending` holds, else refund at once. */
  function refundsAnswer(options: { pending: () => boolean }): void {
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(
      async (p: PaymentData): Promise<GatewayResponse> => ({
        isSuccess: true,
        actionRequired: false,
        error: null,
        kind: options.pending() ? 'refund_ongoing' : 'refund',
        amount: p.amount,
        currency: p.currency,
        transactionId: `re_${++next}`,
      }),
    );
  }

  async function charged(logger = captureLogger()) {
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: logger.logger });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const completed = (eventId: string, amount: string, transactionId: string) =>
      service.applyGatewayEvent({ gateway: GATEWAY, eventId, paymentId: payment.id, response: { isSuccess: true, kind: 'refund', amount, transactionId } });
    return { service, payment, log: logger, completed };
  }

  const warnings = (log: ReturnType<typeof captureLogger>) => log.lines.filter((l) => l['level'] === 40);

  it('an event reporting more (a running total) settles the refund at the amount it asked for, with a warning', async () => {
    let pending = false;
    refundsAnswer({ pending: () => pending });
    const { service, payment, log, completed } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }); // re_1, refunded at once
    pending = true;
    const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' }); // re_2
    expect(ongoing.transaction).to.deep.include({ kind: 'refund_ongoing', gatewayTransactionId: 're_2' });

    // The processor reports the payment's running total: 3.00 + 4.00.
    const settled = await completed('evt-re2', '7.00', 're_2');
    expect(settled.status).to.equal('applied');
    expect(settled.transaction).to.deep.include({ kind: 'refund', isSuccess: true, state: 'applied', gatewayTransactionId: 're_2' });
    expectAmount(settled.transaction!.amount, '4');
    expectAmount(settled.payment.capturedAmount, '3');
    expect(settled.payment.chargeStatus).to.equal('partially-refunded');

    const [warning, ...more] = warnings(log);
    expect(more).to.have.length(0);
    expect(warning).to.deep.include({
      paymentId: payment.id,
      transactionId: ongoing.transaction.id,
      refundTransactionId: settled.transaction!.id,
      gatewayTransactionId: 're_2',
      requested: '4',
      reported: '7',
      recorded: '4',
    });
    expect(String(warning!['msg'])).to.match(/more than the ongoing refund asked for/);

    // The 3.00 left is refundable, no more; the reservation of re_2 is gone.
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.01' }))).to.equal('amount_exceeds');
    pending = false;
    const last = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(last.transaction.amount, '3');
    expect(last.payment.chargeStatus).to.equal('fully-refunded');
  });

  it('another completion event of the same refund (a retry under a new id, a larger total) counts nothing again', async () => {
    refundsAnswer({ pending: () => true });
    const { service, payment, completed } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    expect((await completed('evt-a', '4.00', 're_1')).status).to.equal('applied');
    const again = await completed('evt-b', '9.00', 're_1');
    expect(again.status).to.equal('already_applied');
    expectAmount((await service.getPayment(payment.id)).capturedAmount, '6');
    expect(successful(await service.listTransactions(payment.id), 'refund')).to.have.length(1);
  });

  it('an event for exactly the amount asked settles it without a warning', async () => {
    refundsAnswer({ pending: () => true });
    const { service, payment, log, completed } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    const settled = await completed('evt-exact', '4', 're_1');
    expectAmount(settled.transaction!.amount, '4');
    expectAmount(settled.payment.capturedAmount, '6');
    expect(warnings(log)).to.have.length(0);
  });

  it('an event reporting less is recorded as reported, with a warning; the rest of the reservation is released', async () => {
    refundsAnswer({ pending: () => true });
    const { service, payment, log, completed } = await charged();
    const ongoing = await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    const settled = await completed('evt-less', '2.50', 're_1');
    expectAmount(settled.transaction!.amount, '2.5');
    expectAmount(settled.payment.capturedAmount, '7.5');
    const [warning] = warnings(log);
    expect(warning).to.deep.include({ paymentId: payment.id, transactionId: ongoing.transaction.id, requested: '4', reported: '2.5', recorded: '2.5' });
    expect(String(warning!['msg'])).to.match(/less than the ongoing refund asked for/);
    // Nothing is reserved any more: all 7.50 still captured is refundable.
    const rest = await service.refund({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(rest.transaction.amount, '7.5');
  });

  it('a completion after a refund_failed of the same refund is still counted for no more than was asked', async () => {
    refundsAnswer({ pending: () => true });
    const { service, payment, completed } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-failed', paymentId: payment.id, response: { isSuccess: true, kind: 'refund_failed', amount: '4.00', transactionId: 're_1' } });
    const late = await completed('evt-late', '9.00', 're_1');
    expectAmount(late.transaction!.amount, '4');
    expectAmount(late.payment.capturedAmount, '6');
  });

  it('a refund event of another gateway transaction (a dashboard refund) is recorded with its own amount', async () => {
    refundsAnswer({ pending: () => true });
    const { service, payment, log, completed } = await charged();
    await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    const dashboard = await completed('evt-dash', '5.00', 're_dashboard');
    expectAmount(dashboard.transaction!.amount, '5');
    expectAmount(dashboard.payment.capturedAmount, '5');
    expect(warnings(log)).to.have.length(0);
    // re_1 still holds its 4.00: only 1.00 is refundable.
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.01' }))).to.equal('amount_exceeds');
  });

  it('property: whatever amounts completion events report, refunds stay within the captured amount and each within its request', async () => {
    type Step = { type: 'refund'; minor: number; pending: boolean } | { type: 'complete'; which: number; report: 'asked' | 'total' | 'any'; minor: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ type: fc.constant('refund' as const), minor: fc.integer({ min: 1, max: 600 }), pending: fc.boolean() }),
      fc.record({
        type: fc.constant('complete' as const),
        which: fc.nat({ max: 5 }),
        report: fc.constantFrom<'asked' | 'total' | 'any'>('asked', 'total', 'any'),
        minor: fc.integer({ min: 0, max: 2000 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
        sinon.restore();
        let pending = true;
        refundsAnswer({ pending: () => pending });
        const { service, payment, completed } = await charged();
        let eventNo = 0;
        for (const step of steps) {
          if (step.type === 'refund') {
            pending = step.pending;
            await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: new Decimal(step.minor).div(100).toFixed(2) }).catch(() => null);
            continue;
          }
          const txs = await service.listTransactions(payment.id);
          const asked = txs.filter((t) => t.kind === 'refund_ongoing' && t.isSuccess);
          // Events of refunds the ledger did not ask for are recorded as they say (tested above): only ongoing ones here.
          const target = asked[step.which % Math.max(asked.length, 1)];
          if (!target) continue;
          const refunded = sum(successful(txs, 'refund'));
          const amount = step.report === 'asked' ? target.amount : step.report === 'total' ? refunded.plus(target.amount) : new Decimal(step.minor).div(100);
          const completion = completed(`evt-${++eventNo}`, amount.toFixed(2), target.gatewayTransactionId ?? '');
          // A completion of 0 is no refund's: refused, nothing recorded.
          if (amount.isZero()) expect(await codeOf(completion)).to.equal('invalid_input');
          else await completion;
        }
        const p = await service.getPayment(payment.id);
        const txs = await service.listTransactions(payment.id);
        const refunds = successful(txs, 'refund');
        const ongoing = txs.filter((t) => t.kind === 'refund_ongoing' && t.isSuccess);
        expect(p.capturedAmount.gte(0)).to.equal(true);
        expect(sum(refunds).lte(10)).to.equal(true);
        // Every refund recorded for an asked-for refund is within what it asked for, and recorded once.
        for (const o of ongoing) {
          const settling: Transaction[] = refunds.filter((r) => r.gatewayTransactionId === o.gatewayTransactionId);
          expect(settling.length).to.be.at.most(1);
          if (settling[0]) expect(settling[0].amount.lte(o.amount), `${settling[0].amount.toFixed()} <= ${o.amount.toFixed()}`).to.equal(true);
        }
        expectAmount(p.capturedAmount, new Decimal(10).minus(sum(refunds)).toFixed());
        await env.close();
      }),
      { numRuns: 60 },
    );
  });
});
