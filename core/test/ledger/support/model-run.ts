import { expect } from 'chai';
import { fromMinorUnits, isPayhostError, type Decimal, type OperationResult, type PayhostError, type PaymentService } from '@payhost/core';
import { LOST_CHARGE_PREFIX } from '@payhost/plugin-dummy';
import { CHANNEL, DUMMY_TOKENS, dummyStore, successful, sum } from '../helpers.js';
import { RecordingDummy, ledgerCharged, refusal, simulate, type Call, type Card, type Model, type Op } from './model-ledger.js';

/** model-based.test.ts: running a call against the ledger and the model, and the invariants checked after each command. */

export const TOKENS: Record<Card, string> = {
  success: DUMMY_TOKENS.success,
  declined: DUMMY_TOKENS.declined,
  threeDSecure: DUMMY_TOKENS.threeDSecure,
  threeDSecureFail: DUMMY_TOKENS.threeDSecureFail,
  outcomeUnknownCharged: DUMMY_TOKENS.outcomeUnknownCharged,
  outcomeUnknownNotCharged: DUMMY_TOKENS.outcomeUnknownNotCharged,
};

export interface Real {
  service: PaymentService;
  paymentId: string;
  /** The dummy as its dashboard: refunds the ledger did not ask for. */
  dashboard: RecordingDummy;
}

export type Outcome = { result: OperationResult; error?: undefined } | { result?: undefined; error: PayhostError };

export async function invoke(r: Real, call: Call): Promise<Outcome> {
  try {
    const input = call.input as never;
    const result = call.op === 'pay' ? await r.service.pay(input) : await r.service[call.op](input);
    return { result };
  } catch (err) {
    if (!isPayhostError(err)) throw err;
    return { error: err };
  }
}

function describeOutcome(o: Outcome): string {
  return o.error ? `${o.error.code}: ${o.error.message}` : `${o.result.transaction.kind} ${o.result.transaction.isSuccess ? 'ok' : 'failed'}`;
}

export function errorOf(o: Outcome, code: string, what: string): PayhostError {
  expect(o.error?.code, `${what}: ${describeOutcome(o)}`).to.equal(code);
  return o.error as PayhostError;
}

/** Runs a call (new, or a retry under its key) and checks its result against the model, which it updates. */
export async function perform(m: Model, r: Real, call: Call): Promise<void> {
  const what = `${call.op} ${call.key}`;
  const index = m.calls.indexOf(call);
  const got = await invoke(r, call);
  seen(`${call.op} ${call.recorded ? 'replayed ' : ''}${got.error ? got.error.code : 'ok'}`);
  if (call.op === 'pay') r.paymentId = got.result?.payment.id ?? String(got.error?.details?.['paymentId']);
  const recorded = call.recorded;
  if (recorded !== null) {
    // A repeat: the stored outcome, never a second gateway call (the counters and the dummy check that).
    if (m.held?.call === index) {
      expect(errorOf(got, 'payment_busy', `retry of a held ${what}`).details?.['reason']).to.equal('held_for_review');
    } else if (recorded.ok) {
      expect(got.result?.transaction.id, `replay of ${what}: ${describeOutcome(got)}`).to.equal(recorded.txId);
    } else {
      expect(errorOf(got, recorded.code, `replay of ${what}`).details?.['transactionId']).to.equal(recorded.txId);
    }
    return;
  }
  const refused = call.op === 'pay' ? null : refusal(m, call.op, call.minor);
  if (refused) {
    // Refused before anything is written: the key is not taken, a retry is checked again.
    const error = errorOf(got, refused, what);
    // The only busy payment here is one whose charge is held for review (the commands run one at a time).
    if (refused === 'payment_busy') same([error.details?.['reason'], error.details?.['transactionId']], ['held_for_review', m.held?.txId], `${what} refused`);
    if (index < 0) m.calls.push(call);
    return;
  }
  const op: Exclude<Op, 'pay'> = call.op === 'pay' ? (call.input['action'] as 'process' | 'authorize') : call.op;
  const sim = simulate(m, op, call.minor, call.other);
  m.txCount += 1;
  m.dummyCalls += 1;
  m.events += sim.outcome === 'held' && !sim.charged ? 0 : 1;
  if (sim.outcome === 'ok') {
    const tx = got.result?.transaction;
    expect(tx?.isSuccess, `${what}: ${describeOutcome(got)}`).to.equal(true);
    sim.apply(tx?.pspReference ?? null);
    call.recorded = { ok: true, txId: String(tx?.id) };
  } else if (sim.outcome === 'declined') {
    const txId = errorOf(got, 'gateway_declined', what).details?.['transactionId'];
    sim.apply(null);
    call.recorded = { ok: false, code: 'gateway_declined', txId: String(txId) };
  } else {
    const txId = String(errorOf(got, 'outcome_unknown', what).details?.['transactionId']);
    const row = (await r.service.listTransactions(r.paymentId)).find((t) => t.id === txId);
    expect(row?.state, `${what} is held for review`).to.equal('review');
    const gatewayKey = String(row?.gatewayIdempotencyKey);
    m.held = { txId, gatewayKey, call: index < 0 ? m.calls.length : index, charged: sim.charged, kind: sim.kind };
    if (sim.charged) {
      const total = m.cfg.totalMinor;
      const captured = sim.kind === 'capture' ? total : 0;
      m.charge = { psp: `${LOST_CHARGE_PREFIX}${gatewayKey}`, authorized: total, captured, refunded: 0, status: 'succeeded', captureOnConfirm: sim.kind === 'capture', card: m.cfg.card };
    }
    call.recorded = { ok: false, code: 'outcome_unknown', txId };
  }
  if (index < 0) m.calls.push(call);
}

/** What the run went through, so a model that stopped reaching some state fails rather than passing idly. */
export const SEEN = new Map<string, number>();
export function seen(what: string): void {
  SEEN.set(what, (SEEN.get(what) ?? 0) + 1);
}

/** A held charge settled as the dummy's truth says (by an operator or the processor's event). */
export function settleHeld(m: Model, succeeded: boolean, txId: string): void {
  const held = m.held as NonNullable<Model['held']>;
  m.held = null;
  if (succeeded) ledgerCharged(m, held.kind);
  (m.calls[held.call] as Call).recorded = succeeded ? { ok: true, txId } : { ok: false, code: 'gateway_declined', txId };
}

export function minorOf(value: Decimal, currency: string): number {
  return value.div(fromMinorUnits(1, currency)).toNumber();
}

/** deep.equal, saying both sides in full (chai truncates them). */
export function same(actual: unknown, expected: unknown, label: string): void {
  expect(actual, `${label}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`).to.deep.equal(expected);
}

export async function checkInvariants(m: Model, r: Real): Promise<void> {
  const cur = m.cfg.currency;
  const p = await r.service.getPayment(r.paymentId);
  const txs = await r.service.listTransactions(r.paymentId);
  const ledger = { status: p.chargeStatus, authorized: minorOf(p.authorizedAmount, cur), captured: minorOf(p.capturedAmount, cur), active: p.isActive, toConfirm: p.toConfirm };
  const state = JSON.stringify(ledger);
  // The ledger is what the model says.
  same(ledger, { status: m.status, authorized: m.authorized, captured: m.captured, active: m.active, toConfirm: m.toConfirm }, 'payment');
  expect(txs.length, `transactions: ${txs.map((t) => `${t.kind}/${t.state}/${t.isSuccess}`).join(', ')}`).to.equal(m.txCount);
  same(txs.filter((t) => t.state !== 'applied').map((t) => `${t.id}:${t.state}`), m.held ? [`${m.held.txId}:review`] : [], 'unresolved rows');
  const captures = minorOf(sum(successful(txs, 'capture')), cur);
  const refunds = minorOf(sum(successful(txs, 'refund')), cur);
  same({ captures, refunds }, { captures: m.captures, refunds: m.refunds }, 'capture and refund rows');
  // No key charged twice: one row per caller key, and the dummy acted once per call the model let through.
  const keys = txs.map((t) => t.idempotencyKey).filter((k) => k !== null);
  expect(new Set(keys).size, 'one transaction per idempotency key').to.equal(keys.length);
  expect(RecordingDummy.calls, 'calls the dummy acted on').to.equal(m.dummyCalls);
  expect(RecordingDummy.outbox.length, 'events in the dummy outbox').to.equal(m.events);
  // The dummy holds what the model expects of it.
  const c = m.charge ? dummyStore.findCharge(CHANNEL, m.charge.psp) : undefined;
  if (m.charge) {
    expect(c, `dummy charge ${m.charge.psp}`).to.not.equal(undefined);
    const truth = { authorized: minorOf(c!.authorized, cur), captured: minorOf(c!.captured, cur), refunded: minorOf(c!.refunded, cur), status: c!.status };
    const { authorized, captured, refunded, status } = m.charge;
    same(truth, { authorized, captured, refunded, status }, 'dummy charge');
  }
  // The ledger agrees with the processor, less what it cannot know yet (see the top of the file).
  const known = m.held ? undefined : c;
  if (known) expect(p.pspReference, 'PSP reference').to.equal(known.pspReference);
  else expect(p.pspReference, 'no charge known').to.equal(null);
  const truthCaptured = known ? minorOf(known.captured.minus(known.refunded), cur) + m.undelivered : 0;
  expect(ledger.captured, `captured agrees with the processor: ${state}`).to.equal(truthCaptured);
  expect(refunds, 'refunded agrees with the processor').to.equal(known ? minorOf(known.refunded, cur) - m.undelivered : 0);
  expect(captures, 'captures agree with the processor').to.equal(known ? minorOf(known.captured, cur) : 0);
  // Authorized: what the processor can still capture (nothing once a single-capture gateway captured, or once inactive).
  const capturable = known && p.isActive && known.status === 'succeeded' && (m.cfg.multi || known.captured.isZero()) ? minorOf(known.authorized.minus(known.captured), cur) : 0;
  expect(ledger.authorized, `authorization agrees with the processor: ${state}`).to.equal(capturable);
  // Never more refunded than captured; the status says what the amounts say.
  expect(refunds <= captures && captures <= m.cfg.totalMinor, state).to.equal(true);
  const expected: Record<string, boolean> = {
    'not-charged': ledger.captured === 0 && refunds === 0,
    'partially-charged': ledger.captured > 0 && ledger.captured < m.cfg.totalMinor,
    'fully-charged': ledger.captured === m.cfg.totalMinor,
    'partially-refunded': ledger.captured > 0 && refunds > 0,
    'fully-refunded': ledger.captured === 0 && !p.isActive && refunds > 0,
  };
  expect(expected[p.chargeStatus], `status consistent with the amounts: ${state}`).to.equal(true);
}
