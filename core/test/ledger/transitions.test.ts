import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal, TRANSACTION_KINDS, applyTransition, type ChargeStatus, type PaymentAmounts, type TransactionKind } from '@payhost/core';

function payment(status: ChargeStatus, captured: string, authorized = '0', total = '10'): PaymentAmounts {
  return {
    chargeStatus: status,
    total: new Decimal(total),
    authorizedAmount: new Decimal(authorized),
    capturedAmount: new Decimal(captured),
    toConfirm: false,
    isActive: true,
  };
}

function ok(kind: TransactionKind, amount: string): { kind: TransactionKind; amount: Decimal; isSuccess: true; actionRequired: false } {
  return { kind, amount: new Decimal(amount), isSuccess: true, actionRequired: false };
}

function view(p: PaymentAmounts): Record<string, unknown> {
  return { status: p.chargeStatus, captured: p.capturedAmount.toString(), authorized: p.authorizedAmount.toString(), active: p.isActive, toConfirm: p.toConfirm };
}

describe('ledger: Saleor status transitions (pure)', () => {
  const table: Array<[string, PaymentAmounts, ReturnType<typeof ok>, Record<string, unknown>]> = [
    ['capture, part', payment('not-charged', '0', '10'), ok('capture', '4'), { status: 'partially-charged', captured: '4', authorized: '6', active: true, toConfirm: false }],
    ['capture, all', payment('partially-charged', '4', '6'), ok('capture', '6'), { status: 'fully-charged', captured: '10', authorized: '0', active: true, toConfirm: false }],
    ['refund_reversed', payment('partially-refunded', '7'), ok('refund_reversed', '3'), { status: 'fully-charged', captured: '10', authorized: '0', active: true, toConfirm: false }],
    ['refund, part', payment('fully-charged', '10'), ok('refund', '3'), { status: 'partially-refunded', captured: '7', authorized: '0', active: true, toConfirm: false }],
    ['refund, all', payment('partially-refunded', '7'), ok('refund', '7'), { status: 'fully-refunded', captured: '0', authorized: '0', active: false, toConfirm: false }],
    // A multiple-capture gateway's uncaptured rest: an inactive payment captures nothing more, so none stays authorized.
    ['refund, all, rest authorized', payment('partially-refunded', '3', '6'), ok('refund', '3'), { status: 'fully-refunded', captured: '0', authorized: '0', active: false, toConfirm: false }],
    ['refund, more than captured', payment('partially-refunded', '7'), ok('refund', '8'), { status: 'fully-refunded', captured: '0', authorized: '0', active: false, toConfirm: false }],
    ['void', payment('not-charged', '0', '10'), ok('void', '10'), { status: 'not-charged', captured: '0', authorized: '0', active: false, toConfirm: false }],
    ['pending', payment('not-charged', '0'), ok('pending', '10'), { status: 'pending', captured: '0', authorized: '0', active: true, toConfirm: false }],
    ['cancel', payment('not-charged', '0', '10'), ok('cancel', '10'), { status: 'cancelled', captured: '0', authorized: '0', active: false, toConfirm: false }],
    ['capture_failed, charged', payment('fully-charged', '10'), ok('capture_failed', '4'), { status: 'partially-charged', captured: '6', authorized: '0', active: true, toConfirm: false }],
    ['capture_failed, to zero', payment('partially-charged', '4'), ok('capture_failed', '4'), { status: 'not-charged', captured: '0', authorized: '0', active: true, toConfirm: false }],
    ['capture_failed, not charged', payment('partially-refunded', '4'), ok('capture_failed', '4'), { status: 'partially-refunded', captured: '4', authorized: '0', active: true, toConfirm: false }],
    ['auth', payment('not-charged', '0'), ok('auth', '10'), { status: 'not-charged', captured: '0', authorized: '10', active: true, toConfirm: false }],
    ['confirm', payment('not-charged', '0'), ok('confirm', '10'), { status: 'not-charged', captured: '0', authorized: '0', active: true, toConfirm: false }],
  ];
  for (const [name, before, tx, after] of table) {
    it(name, () => {
      expect(view(applyTransition(before, tx))).to.deep.equal(after);
    });
  }

  it('a capture on a gateway that captures once (captureReleasesRest) releases the rest of the authorization; statuses as without it', () => {
    const before = payment('not-charged', '0', '50', '50');
    const once = applyTransition(before, ok('capture', '20'), { captureReleasesRest: true });
    expect(view(once)).to.deep.equal({ status: 'partially-charged', captured: '20', authorized: '0', active: true, toConfirm: false });
    expect(view(applyTransition(before, ok('capture', '20'))).authorized).to.equal('30');
    // Only a capture: an authorization, a refund or a reversal change what they did before.
    for (const kind of ['auth', 'refund', 'refund_reversed', 'capture_failed'] as const) {
      const from = payment('partially-charged', '20', '30', '50');
      expect(view(applyTransition(from, ok(kind, '5'), { captureReleasesRest: true })), kind).to.deep.equal(view(applyTransition(from, ok(kind, '5'))));
    }
  });

  it('action required sets "to confirm" and nothing else; the next success clears it', () => {
    const before = payment('not-charged', '0');
    const waiting = applyTransition(before, { kind: 'action_to_confirm', amount: new Decimal(10), isSuccess: true, actionRequired: true });
    expect(view(waiting)).to.deep.equal({ ...view(before), toConfirm: true });
    const captureWithAction = applyTransition(before, { kind: 'capture', amount: new Decimal(10), isSuccess: true, actionRequired: true });
    expect(view(captureWithAction)).to.deep.equal({ ...view(before), toConfirm: true });
    expect(applyTransition(waiting, ok('capture', '10')).toConfirm).to.equal(false);
  });

  it('failed transactions change nothing, and the input is never mutated', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRANSACTION_KINDS), fc.integer({ min: 0, max: 2000 }), fc.boolean(), (kind, minor, actionRequired) => {
        const before = payment('partially-charged', '4', '6');
        const snapshot = view(before);
        const after = applyTransition(before, { kind, amount: new Decimal(minor).div(100), isSuccess: false, actionRequired });
        expect(after).to.equal(before);
        expect(view(before)).to.deep.equal(snapshot);
      }),
    );
  });

  it('amounts never go negative and fully-refunded is always inactive, whatever the sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...TRANSACTION_KINDS), minor: fc.integer({ min: 0, max: 2000 }), isSuccess: fc.boolean(), actionRequired: fc.boolean() }), { maxLength: 25 }),
        (steps) => {
          let p = payment('not-charged', '0');
          for (const s of steps) {
            p = applyTransition(p, { kind: s.kind, isSuccess: s.isSuccess, actionRequired: s.actionRequired, amount: new Decimal(s.minor).div(100) });
            expect(p.capturedAmount.gte(0) && p.authorizedAmount.gte(0)).to.equal(true);
            if (p.chargeStatus === 'fully-refunded') expect(p.isActive).to.equal(false);
            if (p.chargeStatus === 'fully-charged') expect(p.capturedAmount.gte(p.total)).to.equal(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
