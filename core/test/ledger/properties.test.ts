import { expect } from 'chai';
import fc from 'fast-check';
import { MemoryLedgerStore, PaymentService, fromMinorUnits, isPayhostError, type PluginManager } from '@payhost/core';
import { CHANNEL, DUMMY_TOKENS, dummyStore, key, makeManager, successful, sum } from './helpers.js';

type Op =
  | { type: 'process' | 'authorize' | 'void' | 'confirm' }
  | { type: 'capture' | 'refund'; minor: number | null };

const EXPECTED_CODES = new Set(['operation_not_allowed', 'amount_exceeds', 'payment_busy', 'gateway_declined', 'invalid_amount']);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<Op>({ type: 'process' }, { type: 'authorize' }, { type: 'void' }, { type: 'confirm' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constantFrom<'capture' | 'refund'>('capture', 'refund'),
      minor: fc.option(fc.integer({ min: 1, max: 300 }), { nil: null, freq: 6 }),
    }),
  },
);

const scenarioArb = fc.record({
  autoCapture: fc.boolean(),
  multipleCaptures: fc.boolean(),
  currency: fc.constantFrom('USD', 'JPY', 'KWD'),
  totalMinor: fc.integer({ min: 1, max: 1000 }),
  /** How the payment is charged first (then the random operations). */
  start: fc.constantFrom<Op['type'] | null>('process', 'authorize', 'authorize', null),
  token: fc.constantFrom(
    DUMMY_TOKENS.success,
    DUMMY_TOKENS.success,
    DUMMY_TOKENS.success,
    DUMMY_TOKENS.threeDSecure,
    DUMMY_TOKENS.threeDSecureFail,
    DUMMY_TOKENS.declined,
  ),
  /** Batches of operations; the operations of a batch run concurrently. */
  batches: fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 7 }),
});

async function checkInvariants(service: PaymentService, paymentId: string, multipleCaptures: boolean): Promise<void> {
  const p = await service.getPayment(paymentId);
  const txs = await service.listTransactions(paymentId);
  const state = JSON.stringify({ status: p.chargeStatus, captured: p.capturedAmount, authorized: p.authorizedAmount, total: p.total });
  expect(txs.filter((t) => t.state !== 'applied'), 'nothing left pending').to.have.length(0);
  expect(p.capturedAmount.gte(0) && p.authorizedAmount.gte(0), state).to.equal(true);
  expect(p.capturedAmount.plus(p.authorizedAmount).lte(p.total), `captured + authorized <= total: ${state}`).to.equal(true);
  const captures = sum(successful(txs, 'capture'));
  const refunds = sum(successful(txs, 'refund'));
  expect(captures.lte(p.total), `captures <= total: ${state}`).to.equal(true);
  expect(refunds.lte(captures), `refunded <= captured: ${state}`).to.equal(true);
  expect(captures.minus(refunds).eq(p.capturedAmount), `ledger sums match: ${state}`).to.equal(true);
  switch (p.chargeStatus) {
    case 'not-charged':
      expect(p.capturedAmount.isZero(), state).to.equal(true);
      break;
    case 'partially-charged':
      expect(p.capturedAmount.gt(0) && p.capturedAmount.lt(p.total), state).to.equal(true);
      break;
    case 'fully-charged':
      expect(p.capturedAmount.eq(p.total), state).to.equal(true);
      break;
    case 'partially-refunded':
      expect(p.capturedAmount.gt(0) && refunds.gt(0), state).to.equal(true);
      break;
    case 'fully-refunded':
      expect(p.capturedAmount.isZero() && !p.isActive && refunds.gt(0), state).to.equal(true);
      break;
    default:
      expect.fail(`unexpected status ${p.chargeStatus}`);
  }
  for (const t of txs) {
    if (!t.isSuccess && !String(t.error).startsWith('Already processed')) expect(t.errorCode, `failed ${t.kind} has a code`).to.be.a('string');
  }
  // The processor agrees with the ledger.
  const charge = p.pspReference ? dummyStore.findCharge(CHANNEL, p.pspReference) : undefined;
  if (charge) expect(charge.captured.minus(charge.refunded).eq(p.capturedAmount), `processor agrees: ${state}`).to.equal(true);
  else expect(p.capturedAmount.isZero()).to.equal(true);
  // What the ledger counts as authorized is what the processor can still capture: nothing once a single-capture gateway
  // captured, nor once the payment is inactive (refunded to zero: the rest is left to expire at the processor).
  const capturable = p.isActive && charge?.status === 'succeeded' && (multipleCaptures || charge.captured.isZero()) ? charge.authorized.minus(charge.captured) : null;
  expect(capturable === null ? p.authorizedAmount.isZero() : p.authorizedAmount.eq(capturable), `authorization agrees with the processor: ${state}`).to.equal(true);
}

describe('ledger: properties (fast-check)', () => {
  const managers = new Map<string, PluginManager>();
  const manager = (autoCapture: boolean, multipleCaptures: boolean): PluginManager => {
    const id = `${autoCapture}/${multipleCaptures}`;
    let m = managers.get(id);
    if (!m) {
      m = makeManager({ configuration: { auto_capture: autoCapture, supports_multiple_captures: multipleCaptures } });
      managers.set(id, m);
    }
    return m;
  };
  after(async () => {
    for (const m of managers.values()) await m.close();
  });

  it('random (concurrent) operation sequences keep captured <= total, refunded <= captured and status consistent', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const service = new PaymentService({ manager: manager(s.autoCapture, s.multipleCaptures), store: new MemoryLedgerStore() });
        const payment = await service.createPayment({
          idempotencyKey: key(),
          channel: CHANNEL,
          total: fromMinorUnits(s.totalMinor, s.currency),
          currency: s.currency,
          token: s.token,
        });
        const batches: Op[][] = s.start ? [[{ type: s.start } as Op], ...s.batches] : s.batches;
        for (const batch of batches) {
          const results = await Promise.allSettled(
            batch.map((op) => {
              const base = { paymentId: payment.id, idempotencyKey: key() };
              if (op.type === 'capture' || op.type === 'refund') {
                const amount = op.minor === null ? null : fromMinorUnits(op.minor, s.currency).toString();
                return service[op.type]({ ...base, amount });
              }
              return service[op.type](base);
            }),
          );
          for (const r of results) {
            if (r.status === 'rejected') {
              expect(isPayhostError(r.reason) && EXPECTED_CODES.has(r.reason.code), String((r.reason as Error).stack)).to.equal(true);
            }
          }
          await checkInvariants(service, payment.id, s.multipleCaptures);
        }
      }),
      { numRuns: 100 },
    );
  });
});
