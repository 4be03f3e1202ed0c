import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { Decimal, PaymentService, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { GATEWAY, GatedDummy, codeOf, expectAmount, key, rejection, setup, successful, sum, type Setup } from './helpers.js';

// A processor's refund event and the refund the ledger asked for: matched when the event is evidently
// that refund's (its key, its own amount, or a running total no other reading explains), counted once
// whichever arrives first, never for more than asked nor more than captured; an event the ledger cannot
// place safely is held for review instead of guessed.
describe('ledger: refund events and the refunds the ledger asked for', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    GatedDummy.canTell = true;
    await env?.close();
  });

  /** Refunds answer `refund re_<n>` for the amount asked, or (while `lost` says so) an unknown outcome the gateway cannot tell about later. */
  function refundsAnswer(options: { lost?: () => boolean } = {}): void {
    let next = 0;
    sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => {
      await GatedDummy.gate.pass();
      const n = ++next;
      if (options.lost?.()) {
        return { isSuccess: false, actionRequired: false, kind: 'refund', amount: p.amount, currency: p.currency, transactionId: '', error: 'connection reset', errorCode: 'processing_error', rawResponse: { outcome_unknown: true } };
      }
      return { isSuccess: true, actionRequired: false, error: null, kind: 'refund', amount: p.amount, currency: p.currency, transactionId: `re_${n}` };
    });
  }

  /** A charged 10.00 USD payment on the gated dummy, and a way to send its refund events. */
  async function charged(log = captureLogger()) {
    env = setup({ plugin: GatedDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: log.logger });
    const payment = await env.create();
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const refunded = (eventId: string, amount: string, transactionId: string, gatewayIdempotencyKey?: string) =>
      service.applyGatewayEvent({
        gateway: GATEWAY,
        eventId,
        paymentId: payment.id,
        ...(gatewayIdempotencyKey ? { gatewayIdempotencyKey } : {}),
        response: { isSuccess: true, kind: 'refund', amount, transactionId },
      });
    return { service, payment, log, refunded };
  }

  /** A refund of `amount` whose answer was lost and that the gateway cannot tell about: held for review. */
  async function lostRefund(service: PaymentService, paymentId: string, amount: string) {
    GatedDummy.canTell = false;
    const k = key();
    expect(await codeOf(service.refund({ paymentId, idempotencyKey: k, amount }))).to.equal('outcome_unknown');
    GatedDummy.canTell = true;
    const held = (await service.listTransactions(paymentId)).find((t) => t.idempotencyKey === k);
    expect(held).to.deep.include({ state: 'review', gatewayTransactionId: null });
    return { k, held: held! };
  }

  const warnings = (log: ReturnType<typeof captureLogger>) => log.lines.filter((l) => l['level'] === 40);

  describe('a refund held for review (no gateway refund id)', () => {
    it("the processor's event under its key settles it for no more than it asked (a running total is recorded at the amount asked)", async () => {
      let lost = false;
      refundsAnswer({ lost: () => lost });
      const { service, payment, log, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
      lost = true;
      const { k, held } = await lostRefund(service, payment.id, '4.00');
      // Stripe's charge.refunded, as a plugin might pass it on: amount_refunded is the charge's running total.
      const settled = await refunded('evt-total', '7.00', 're_2', held.gatewayIdempotencyKey);
      expect(settled.status).to.equal('applied');
      expect(settled.transaction).to.deep.include({ id: held.id, kind: 'refund', state: 'applied', isSuccess: true, gatewayTransactionId: 're_2' });
      expectAmount(settled.transaction!.amount, '4');
      expectAmount(settled.payment.capturedAmount, '3');
      expect(warnings(log).at(-1)).to.deep.include({ paymentId: payment.id, transactionId: held.id, requested: '4', reported: '7', recorded: '4' });
      // The client's key replays the settled refund.
      const replay = await service.refund({ paymentId: payment.id, idempotencyKey: k, amount: '4.00' });
      expect(replay.transaction.id).to.equal(held.id);
    });

    it('a keyless running total no own amount could be (more than is left captured) settles it at the amount asked', async () => {
      let lost = false;
      refundsAnswer({ lost: () => lost });
      const { service, payment, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '6.00' });
      lost = true;
      const { held } = await lostRefund(service, payment.id, '4.00');
      // Flutterwave's refund.completed after a restart (the plugin no longer knows what was asked): 6.00 + 4.00.
      const settled = await refunded('evt-total', '10.00', 're_2');
      expect(settled.status).to.equal('applied');
      expect(settled.transaction).to.deep.include({ id: held.id, state: 'applied', gatewayTransactionId: 're_2' });
      expectAmount(settled.payment.capturedAmount, '0');
      expect(settled.payment.chargeStatus).to.equal('fully-refunded');
      const refunds = successful(await service.listTransactions(payment.id), 'refund');
      expectAmount(sum(refunds), '10');
      expect(refunds).to.have.length(2);
    });

    it('a keyless event that may be its running total or a refund of its own is held for review, counting nothing; an unrelated one is recorded as its own', async () => {
      let lost = false;
      refundsAnswer({ lost: () => lost });
      const { service, payment, log, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '2.00' });
      lost = true;
      const { held } = await lostRefund(service, payment.id, '3.00');
      // 5.00: the running total 2.00 + 3.00, or a 5.00 refund made on the dashboard. The ledger cannot tell.
      const ambiguous = await refunded('evt-5', '5.00', 're_x');
      expect(ambiguous.status).to.equal('held');
      expect(ambiguous.transaction).to.deep.include({ kind: 'refund', state: 'review', gatewayTransactionId: 're_x' });
      expectAmount(ambiguous.payment.capturedAmount, '8');
      expect((await service.listTransactions(payment.id)).find((t) => t.id === held.id)?.state).to.equal('review');
      expect(warnings(log).at(-1)).to.deep.include({ paymentId: payment.id, transactionId: ambiguous.transaction!.id, gatewayTransactionId: 're_x', reported: '5', captured: '8', heldRefundTransactionIds: [held.id] });
      // The same refund's event again (under another event id) adds nothing.
      const again = await refunded('evt-5-again', '5.00', 're_x');
      expect(again.status).to.equal('held');
      expect(again.transaction!.id).to.equal(ambiguous.transaction!.id);
      expect((await service.listReview()).map((i) => i.transaction.id).sort()).to.deep.equal([held.id, ambiguous.transaction!.id].sort());
      // A person settles both from the dashboard: it was the running total of the held refund.
      await service.resolveReview({ transactionId: held.id, outcome: 'succeeded', note: 'dashboard: re_x for 3.00', gatewayTransactionId: 're_x' });
      await service.resolveReview({ transactionId: ambiguous.transaction!.id, outcome: 'failed', note: 'running total of re_x, counted with it' });
      expectAmount((await service.getPayment(payment.id)).capturedAmount, '5');
      // A figure neither the held refund nor a running total explains is a refund of its own.
      const own = await refunded('evt-1', '1.00', 're_dash');
      expect(own.status).to.equal('applied');
      expectAmount(own.payment.capturedAmount, '4');
    });
  });

  describe('a refund event overtaking its refund call', () => {
    it('a keyless running total waits (payment_busy) while the call is in flight, and is counted once: by the answer', async () => {
      refundsAnswer();
      const { service, payment, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }); // re_1
      GatedDummy.gate.close();
      const arrived = GatedDummy.gate.nextArrival();
      const call = service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' }); // re_2
      await arrived;
      const early = await rejection(refunded('evt-re2', '7.00', 're_2'));
      expect(early.code).to.equal('payment_busy');
      GatedDummy.gate.open();
      const answered = await call;
      expect(answered.transaction.gatewayTransactionId).to.equal('re_2');
      // The processor's retry of the event finds its refund recorded.
      expect((await refunded('evt-re2', '7.00', 're_2')).status).to.equal('already_applied');
      const after = await service.getPayment(payment.id);
      expectAmount(after.capturedAmount, '3');
      expectAmount(sum(successful(await service.listTransactions(payment.id), 'refund')), '7');
    });

    it('a running total under the call\'s key settles the call for the amount asked; the answer then counts nothing again', async () => {
      refundsAnswer();
      const { service, payment, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
      GatedDummy.gate.close();
      const arrived = GatedDummy.gate.nextArrival();
      const call = service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
      await arrived;
      const pending = (await service.listTransactions(payment.id)).find((t) => t.state === 'pending')!;
      const early = await refunded('evt-re2', '7.00', 're_2', pending.gatewayIdempotencyKey);
      expect(early.status).to.equal('applied');
      expectAmount(early.transaction!.amount, '4');
      GatedDummy.gate.open();
      const answered = await call;
      expect(answered.transaction.id).to.equal(pending.id);
      expectAmount((await service.getPayment(payment.id)).capturedAmount, '3');
      expect(successful(await service.listTransactions(payment.id), 'refund')).to.have.length(2);
    });
  });

  describe('a refund event for more than is captured', () => {
    it('is held for review with both amounts, counting nothing and holding the payment, until a person says what was refunded', async () => {
      refundsAnswer();
      const { service, payment, log, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '7.00' });
      const big = await refunded('evt-big', '5.00', 're_dash');
      expect(big.status).to.equal('held');
      expect(big.transaction).to.deep.include({ kind: 'refund', state: 'review', isSuccess: false });
      expectAmount(big.transaction!.amount, '5');
      expectAmount(big.payment.capturedAmount, '3');
      expect(big.payment.chargeStatus).to.equal('partially-refunded');
      const [warning] = warnings(log);
      expect(warning).to.deep.include({ paymentId: payment.id, transactionId: big.transaction!.id, gatewayTransactionId: 're_dash', reported: '5', captured: '3' });
      expect(String(warning!['msg'])).to.match(/more than is captured/);
      // Until then the ledger does not know what is left to refund: the payment's operations wait (409, not a final 422).
      for (const refused of [service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }), service.void({ paymentId: payment.id, idempotencyKey: key() })]) {
        const busy = await rejection(refused);
        expect(busy.code).to.equal('payment_busy');
        expect(busy.details).to.deep.include({ reason: 'held_for_review', transactionId: big.transaction!.id, kind: 'refund' });
        expect(busy.message).to.include(`transaction ${big.transaction!.id} (refund, from a processor event) is held for review`);
      }
      // A person cannot record more than is captured either; what the dashboard shows (3.00) counts.
      expect(await codeOf(service.resolveReview({ transactionId: big.transaction!.id, outcome: 'succeeded', note: 'checked' }))).to.equal('invalid_input');
      const resolved = await service.resolveReview({ transactionId: big.transaction!.id, outcome: 'succeeded', amount: '3.00', note: 'dashboard: 3.00 refunded' });
      expectAmount(resolved.payment.capturedAmount, '0');
      expect(resolved.payment.chargeStatus).to.equal('fully-refunded');
    });

    it('a completion of an ongoing refund is held too when even the amount asked is more than is left captured', async () => {
      let ongoing = true;
      sinon.stub(GatedDummy.prototype, 'refundPayment').callsFake(
        async (p: PaymentData): Promise<GatewayResponse> => ({ isSuccess: true, actionRequired: false, error: null, kind: ongoing ? 'refund_ongoing' : 'refund', amount: p.amount, currency: p.currency, transactionId: 're_1' }),
      );
      const { service, payment, refunded } = await charged();
      await service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
      ongoing = false;
      // Meanwhile the dashboard refunded everything still free (6.00), and more (the processor's own view differs).
      expect((await refunded('evt-dash', '6.00', 're_dash')).status).to.equal('applied');
      await service.applyGatewayEvent({ gateway: GATEWAY, eventId: 'evt-dash-2', paymentId: payment.id, response: { isSuccess: true, kind: 'refund', amount: '1.00', transactionId: 're_dash_2' } });
      const completed = await refunded('evt-re1', '4.00', 're_1');
      expect(completed.status).to.equal('held');
      expectAmount(completed.payment.capturedAmount, '3');
    });
  });

  it('property: whatever refund events say (own amounts, running totals, keyed or not, dashboard refunds), nothing is counted twice, past its request or past the capture', async () => {
    type Step =
      | { type: 'refund'; minor: number; lost: boolean }
      | { type: 'event'; which: number; report: 'own' | 'total' | 'keyed-total' | 'dashboard'; minor: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ type: fc.constant('refund' as const), minor: fc.integer({ min: 1, max: 500 }), lost: fc.boolean() }),
      fc.record({
        type: fc.constant('event' as const),
        which: fc.nat({ max: 5 }),
        report: fc.constantFrom<'own' | 'total' | 'keyed-total' | 'dashboard'>('own', 'total', 'keyed-total', 'dashboard'),
        minor: fc.integer({ min: 1, max: 1200 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
        sinon.restore();
        let lost = false;
        refundsAnswer({ lost: () => lost });
        const { service, payment, refunded } = await charged();
        const asked = new Map<string, Decimal>();
        let n = 0;
        for (const step of steps) {
          n += 1;
          if (step.type === 'refund') {
            lost = step.lost;
            GatedDummy.canTell = !step.lost;
            const k = key();
            const amount = new Decimal(step.minor).div(100);
            await service.refund({ paymentId: payment.id, idempotencyKey: k, amount: amount.toFixed(2) }).catch(() => null);
            GatedDummy.canTell = true;
            asked.set(k, amount);
            continue;
          }
          const txs = await service.listTransactions(payment.id);
          const ours = txs.filter((t) => t.idempotencyKey !== null && asked.has(t.idempotencyKey) && t.kind === 'refund');
          const target = ours[step.which % Math.max(ours.length, 1)];
          const so = sum(successful(txs, 'refund'));
          if (step.report === 'dashboard' || !target) {
            await refunded(`evt-${n}`, new Decimal(step.minor).div(100).toFixed(2), `dash_${n}`).catch(() => null);
            continue;
          }
          const own = asked.get(target.idempotencyKey!)!;
          const id = target.gatewayTransactionId ?? `re_lost_${target.id}`;
          const amount = step.report === 'own' ? own : so.plus(own);
          await refunded(`evt-${n}`, amount.toFixed(2), id, step.report === 'keyed-total' ? target.gatewayIdempotencyKey : undefined).catch(() => null);
        }
        const p = await service.getPayment(payment.id);
        const txs = await service.listTransactions(payment.id);
        const refunds = successful(txs, 'refund');
        // Never more refunded than captured: the capture is what is left, never clamped.
        expectAmount(p.capturedAmount, new Decimal(10).minus(sum(refunds)).toFixed(), 'captured');
        expect(p.capturedAmount.gte(0)).to.equal(true);
        // Each refund the ledger asked for counts once, for no more than it asked; no processor refund counts twice.
        for (const r of refunds) if (r.idempotencyKey) expect(r.amount.lte(asked.get(r.idempotencyKey)!)).to.equal(true);
        const ids = refunds.map((r) => r.gatewayTransactionId);
        expect(new Set(ids).size).to.equal(ids.length);
        await env.close();
      }),
      { numRuns: 80 },
    );
  });
});
