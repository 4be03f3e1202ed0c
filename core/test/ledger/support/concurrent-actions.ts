import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Decimal, PaymentService, fromMinorUnits, isPayhostError, silentLogger, type OperationResult } from '@payhost/core';
import { DUMMY_TOKENS, dummyStore } from '@payhost/plugin-dummy';
import { CHANNEL, GATEWAY, dashboardRefundData } from '../helpers.js';
import { SchedDummy, type OutboxEvent } from './sched-dummy.js';

/**
 * The concurrent model's actions (concurrent-model.test.ts): each starts at a scheduled point, so
 * batches of them interleave with the dummy's "land" and "answer" points (sched-dummy.ts). Every
 * call's first recorded answer is kept; a later answer under the same key must be the same.
 */

export type Spec = { mode: 'all' | 'part' | 'over'; perMille: number };
export type Action =
  | { t: 'capture' | 'refund'; spec: Spec; svc: 0 | 1 }
  | { t: 'void'; onlyAwaiting: boolean; svc: 0 | 1 }
  | { t: 'confirm'; other: keyof typeof DUMMY_TOKENS | null; svc: 0 | 1 }
  | { t: 'process' | 'authorize'; svc: 0 | 1 }
  | { t: 'replay'; index: number; changed: boolean; svc: 0 | 1 }
  | { t: 'twin'; inner: 'capture' | 'refund' | 'void'; spec: Spec }
  | { t: 'deliver'; index: number; newId: boolean; withKey: boolean }
  | { t: 'dashboardRefund'; perMille: number }
  | { t: 'reconcile' };

const specArb: fc.Arbitrary<Spec> = fc.record({ mode: fc.constantFrom<Spec['mode']>('all', 'part', 'part', 'over'), perMille: fc.integer({ min: 1, max: 999 }) });
const svcArb = fc.constantFrom<0 | 1>(0, 0, 1);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constantFrom<'capture' | 'refund'>('capture', 'refund'), spec: specArb, svc: svcArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant<'void'>('void'), onlyAwaiting: fc.boolean(), svc: svcArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant<'confirm'>('confirm'), other: fc.constantFrom<keyof typeof DUMMY_TOKENS | null>(null, null, 'success', 'declined', 'threeDSecure'), svc: svcArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom<'process' | 'authorize'>('process', 'authorize'), svc: svcArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant<'replay'>('replay'), index: fc.nat(50), changed: fc.boolean(), svc: svcArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant<'twin'>('twin'), inner: fc.constantFrom<'capture' | 'refund' | 'void'>('capture', 'refund', 'void'), spec: specArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant<'deliver'>('deliver'), index: fc.nat(50), newId: fc.boolean(), withKey: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant<'dashboardRefund'>('dashboardRefund'), perMille: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant<'reconcile'>('reconcile') }) },
);

const configArb = fc.record({
  autoCapture: fc.boolean(),
  multi: fc.boolean(),
  totalMinor: fc.integer({ min: 1, max: 5000 }),
  card: fc.constantFrom<keyof typeof DUMMY_TOKENS>('success', 'success', 'success', 'threeDSecure', 'threeDSecureFail', 'declined', 'outcomeUnknownCharged', 'outcomeUnknownNotCharged'),
  action: fc.constantFrom<'process' | 'authorize'>('process', 'authorize'),
  twoServices: fc.boolean(),
});

/** MODEL_FOCUS=1: only batches of captures, dashboard refunds and deliveries (a refund event overtaking the answer of the capture it refunds). */
const focusArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ t: fc.constant<'capture'>('capture'), spec: specArb, svc: svcArb }),
  fc.record({ t: fc.constant<'dashboardRefund'>('dashboardRefund'), perMille: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ t: fc.constant<'deliver'>('deliver'), index: fc.nat(50), newId: fc.boolean(), withKey: fc.boolean() }),
);
/** MODEL_FOCUS=2: 3-D Secure: confirms, voids, charges, replays and deliveries. */
const focus2Arb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ t: fc.constant<'void'>('void'), onlyAwaiting: fc.boolean(), svc: svcArb }),
  fc.record({ t: fc.constant<'confirm'>('confirm'), other: fc.constantFrom<keyof typeof DUMMY_TOKENS | null>(null, null, 'success', 'declined', 'threeDSecure', 'threeDSecureFail'), svc: svcArb }),
  fc.record({ t: fc.constantFrom<'process' | 'authorize'>('process', 'authorize'), svc: svcArb }),
  fc.record({ t: fc.constant<'replay'>('replay'), index: fc.nat(50), changed: fc.boolean(), svc: svcArb }),
  fc.record({ t: fc.constant<'deliver'>('deliver'), index: fc.nat(50), newId: fc.boolean(), withKey: fc.boolean() }),
  fc.record({ t: fc.constant<'capture'>('capture'), spec: specArb, svc: svcArb }),
  fc.record({ t: fc.constant<'reconcile'>('reconcile') }),
);
export const scenarioArb = fc.record({
  cfg: configArb,
  batches: fc.array(fc.array(process.env['MODEL_FOCUS'] === '2' ? focus2Arb : process.env['MODEL_FOCUS'] ? focusArb : actionArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
  slowPlan: fc.array(fc.boolean(), { maxLength: 30 }).map((xs) => (process.env['MODEL_SLOW'] === '0' ? [] : xs.map((x, i) => x && i % 2 === 0))),
  payEvents: fc.array(fc.record({ t: fc.constant<'deliver'>('deliver'), index: fc.nat(50), newId: fc.boolean(), withKey: fc.boolean() }), { maxLength: 2 }),
});

export interface Config {
  autoCapture: boolean;
  multi: boolean;
  totalMinor: number;
  card: keyof typeof DUMMY_TOKENS;
  action: 'process' | 'authorize';
  twoServices: boolean;
}

/** What a call answered, in a form two answers can be compared by. */
export type Answer = { ok: true; tx: string; kind: string; isSuccess: boolean; amount: string; captured: string; authorized: string; status: string } | { ok: false; code: string; tx: string | null; reason: string | null };

export interface Call {
  op: 'pay' | 'capture' | 'refund' | 'void' | 'confirm' | 'process' | 'authorize';
  input: Record<string, unknown>;
  /** The first answer that was recorded under the key (a result or a gateway outcome), null while none. */
  first: Answer | null;
  label: string;
}

function answerOf(result: OperationResult): Answer {
  return {
    ok: true,
    tx: result.transaction.id,
    kind: result.transaction.kind,
    isSuccess: result.transaction.isSuccess,
    amount: result.transaction.amount.toString(),
    captured: result.payment.capturedAmount.toString(),
    authorized: result.payment.authorizedAmount.toString(),
    status: result.payment.chargeStatus,
  };
}

function errorAnswer(err: unknown): Answer {
  if (!isPayhostError(err)) throw err;
  const d = err.details ?? {};
  return { ok: false, code: err.code, tx: typeof d['transactionId'] === 'string' ? d['transactionId'] : null, reason: typeof d['reason'] === 'string' ? d['reason'] : null };
}

/** Whether the answer is recorded under the key (a replay must give it again). */
export function recorded(a: Answer): boolean {
  return a.ok || a.code === 'gateway_declined';
}

export interface Run {
  cfg: Config;
  services: PaymentService[];
  paymentId: string;
  calls: Call[];
  delivered: Set<string>;
  trace: string[];
  /** Answers to replays that differed from the first answer. */
  problems: string[];
}

function minor(value: Decimal): number {
  return value.times(100).toNumber();
}

export async function invoke(run: Run, svc: 0 | 1, call: Call, input = call.input): Promise<Answer> {
  const s = run.services[svc % run.services.length] as PaymentService;
  try {
    const r = call.op === 'pay' ? await s.pay(input as never) : await s[call.op](input as never);
    return answerOf(r);
  } catch (err) {
    return errorAnswer(err);
  }
}

export function show(a: Answer): string {
  return a.ok ? `ok ${a.kind}/${a.isSuccess} ${a.amount} tx=${a.tx.slice(-6)} captured=${a.captured} auth=${a.authorized} ${a.status}` : `${a.code}${a.reason ? `(${a.reason})` : ''}${a.tx ? ` tx=${a.tx.slice(-6)}` : ''}`;
}

/** Records a call's answer: the first recorded one, or checks it against it. */
export function note(run: Run, call: Call, a: Answer, what: string): void {
  run.trace.push(`${what} -> ${show(a)}`);
  if (!recorded(a)) {
    if (call.first && !(a.ok === false && a.code === 'payment_busy')) run.problems.push(`${what}: replay answered ${show(a)}, first answer was ${show(call.first)}`);
    return;
  }
  if (!call.first) {
    call.first = a;
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(call.first)) run.problems.push(`${what}: answered ${show(a)}, first answer was ${show(call.first)}`);
}

async function amountFor(run: Run, op: 'capture' | 'refund', spec: Spec): Promise<string | undefined> {
  const p = await run.services[0]!.getPayment(run.paymentId);
  const available = minor(op === 'capture' ? p.authorizedAmount : p.capturedAmount);
  if (spec.mode === 'all') return undefined;
  const m = spec.mode === 'over' ? available + 1 : Math.max(1, Math.floor((available * spec.perMille) / 1000));
  return fromMinorUnits(m, 'USD').toString();
}

function altered(call: Call): Record<string, unknown> {
  const input = { ...call.input };
  if (call.op === 'pay') input['metadata'] = { retried: true };
  else if (call.op === 'capture' || call.op === 'refund') input['amount'] = input['amount'] ? new Decimal(String(input['amount'])).plus('0.01').toString() : '0.01';
  else if (call.op === 'void') input['onlyWhileAwaitingAction'] = !input['onlyWhileAwaitingAction'];
  else input['data'] = { retried: true };
  return input;
}

export async function deliver(run: Run, ev: OutboxEvent, eventId: string, withKey: boolean): Promise<string> {
  try {
    const got = await run.services[0]!.applyGatewayEvent({
      gateway: GATEWAY,
      channel: CHANNEL,
      eventId,
      paymentId: ev.paymentId,
      pspReference: ev.response.pspReference,
      gatewayIdempotencyKey: withKey ? ev.gatewayKey : null,
      response: ev.response,
    });
    run.delivered.add(ev.eventId);
    return got.status;
  } catch (err) {
    if (isPayhostError(err)) return `${err.code}:${String(err.details?.['reason'] ?? '')}`;
    throw err;
  }
}

export async function perform(run: Run, a: Action): Promise<void> {
  // Each action starts at a scheduled point (an event, after some calls landed and before their answers).
  if (SchedDummy.sched) await SchedDummy.sched.schedule(Promise.resolve(), `start ${a.t}`);
  const key = `k-${randomUUID()}`;
  switch (a.t) {
    case 'capture':
    case 'refund': {
      const amount = await amountFor(run, a.t, a.spec);
      const call: Call = { op: a.t, input: { paymentId: run.paymentId, idempotencyKey: key, ...(amount ? { amount } : {}) }, first: null, label: `${a.t}(${amount ?? 'all'})` };
      run.calls.push(call);
      note(run, call, await invoke(run, a.svc, call), `${call.label} #${run.calls.length - 1}`);
      return;
    }
    case 'void': {
      const call: Call = { op: 'void', input: { paymentId: run.paymentId, idempotencyKey: key, ...(a.onlyAwaiting ? { onlyWhileAwaitingAction: true } : {}) }, first: null, label: 'void' };
      run.calls.push(call);
      note(run, call, await invoke(run, a.svc, call), `void #${run.calls.length - 1}`);
      return;
    }
    case 'confirm': {
      const call: Call = { op: 'confirm', input: { paymentId: run.paymentId, idempotencyKey: key, ...(a.other ? { data: { token: DUMMY_TOKENS[a.other] } } : {}) }, first: null, label: `confirm(${a.other ?? ''})` };
      run.calls.push(call);
      note(run, call, await invoke(run, a.svc, call), `${call.label} #${run.calls.length - 1}`);
      return;
    }
    case 'process':
    case 'authorize': {
      const call: Call = { op: a.t, input: { paymentId: run.paymentId, idempotencyKey: key }, first: null, label: a.t };
      run.calls.push(call);
      note(run, call, await invoke(run, a.svc, call), `${a.t} #${run.calls.length - 1}`);
      return;
    }
    case 'twin': {
      // The same new request twice at once, through both services (two processes) when there are two.
      const amount = a.inner === 'void' ? undefined : await amountFor(run, a.inner, a.spec);
      const call: Call = { op: a.inner, input: { paymentId: run.paymentId, idempotencyKey: key, ...(amount ? { amount } : {}) }, first: null, label: `${a.inner}(${amount ?? 'all'}) twin` };
      run.calls.push(call);
      const i = run.calls.length - 1;
      const [x, y] = await Promise.all([invoke(run, 0, call), invoke(run, 1, call)]);
      note(run, call, x, `${call.label} #${i} a`);
      note(run, call, y, `${call.label} #${i} b`);
      // Two concurrent calls with one key: never two different recorded outcomes, never one refused while the other ran.
      if (recorded(x) !== recorded(y) && !(x.ok === false && x.code === 'payment_busy') && !(y.ok === false && y.code === 'payment_busy')) {
        run.problems.push(`twin #${i}: ${show(x)} vs ${show(y)}`);
      }
      return;
    }
    case 'replay': {
      if (run.calls.length === 0) return;
      const call = run.calls[a.index % run.calls.length] as Call;
      const i = run.calls.indexOf(call);
      if (a.changed && call.first) {
        const got = await invoke(run, a.svc, call, altered(call));
        run.trace.push(`replay #${i} changed -> ${show(got)}`);
        if (got.ok || got.code !== 'idempotency_key_reused') run.problems.push(`replay #${i} (${call.label}) with another input: ${show(got)}, expected idempotency_key_reused`);
        return;
      }
      note(run, call, await invoke(run, a.svc, call), `replay #${i} ${call.label}`);
      return;
    }
    case 'deliver': {
      for (let i = 0; i < 6 && SchedDummy.sched && !SchedDummy.outbox.some((e) => !run.delivered.has(e.eventId)); i += 1) await SchedDummy.sched.schedule(Promise.resolve(), 'deliver waits');
      for (let i = 0; i < a.index % 3 && SchedDummy.sched; i += 1) await SchedDummy.sched.schedule(Promise.resolve(), 'deliver delays');
      if (SchedDummy.outbox.length === 0) return;
      // Mostly an event not delivered yet (the newest ones are those whose answers may still be on their way).
      const fresh = SchedDummy.outbox.filter((e) => !run.delivered.has(e.eventId));
      const pool = fresh.length > 0 && a.index % 4 !== 0 ? fresh : SchedDummy.outbox;
      const ev = pool[a.index % pool.length] as OutboxEvent;
      const id = a.newId ? `${ev.eventId}-${randomUUID()}` : ev.eventId;
      const status = await deliver(run, ev, id, a.withKey);
      run.trace.push(`deliver ${ev.response.kind} ${ev.response.isSuccess ? 'ok' : 'fail'} ${ev.response.amount}${a.withKey ? ' keyed' : ''}${a.newId ? ' newId' : ''} -> ${status}`);
      return;
    }
    case 'dashboardRefund': {
      // Made soon after a capture took effect, as a support agent refunding at once would.
      const capturedNow = (): boolean => SchedDummy.outbox.some((e) => e.response.kind === 'capture' && e.response.isSuccess && !run.delivered.has(e.eventId));
      for (let i = 0; i < 6 && SchedDummy.sched && !capturedNow(); i += 1) await SchedDummy.sched.schedule(Promise.resolve(), 'dashboard waits');
      const p = await run.services[0]!.getPayment(run.paymentId);
      const charge = p.pspReference ? dummyStore.findCharge(CHANNEL, p.pspReference) : undefined;
      if (!charge || charge.status !== 'succeeded') return;
      const left = minor(charge.captured.minus(charge.refunded));
      if (left <= 0) return;
      const amount = fromMinorUnits(Math.max(1, Math.floor((left * a.perMille) / 1000)), 'USD');
      const plugin = new SchedDummy({ channel: CHANNEL, active: true, configuration: { ...SchedDummy.defaultConfiguration, supported_currencies: 'USD' }, logger: silentLogger() });
      const response = await plugin.refundPayment(dashboardRefundData(amount, 'USD', charge.pspReference, run.paymentId), null);
      run.trace.push(`dashboard refund ${amount.toString()} -> ${response?.isSuccess ? 'ok' : 'fail'}`);
      return;
    }
    case 'reconcile': {
      // Same service as every call when there is one (its in-flight set protects them); with two it is not safe at minAgeMs 0.
      const report = await run.services[0]!.reconcile();
      run.trace.push(`reconcile -> applied ${report.applied.length} review ${report.review.length} held ${report.held.length} skipped ${report.skipped.length}`);
      return;
    }
  }
}

export async function drive(s: fc.Scheduler, work: Promise<unknown>): Promise<void> {
  let done = false;
  const settled = work.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done || SchedDummy.running > 0) {
    if (s.count() > 0) await s.waitOne();
    else await new Promise((r) => setTimeout(r, 1));
  }
  await settled;
  await work;
}

