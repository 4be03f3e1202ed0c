import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal, MemoryLedgerStore, PaymentService, fromMinorUnits, silentLogger, type PluginManager } from '@payhost/core';
import { LOST_CHARGE_PREFIX } from '@payhost/plugin-dummy';
import { CHANNEL, GATEWAY, dashboardRefundData, key, makeManager } from './helpers.js';
import { RecordingDummy, initialModel, ledgerRefund, type Call, type Card, type Config, type Model } from './support/model-ledger.js';
import { SEEN, TOKENS, checkInvariants, errorOf, invoke, minorOf, perform, same, seen, settleHeld, type Real } from './support/model-run.js';

/**
 * Model-based test of the ledger (fc.commands) against the dummy gateway, whose store is the
 * processor's truth. One payment per run: a `pay` with one of the dummy's test cards, then random
 * commands (charge again, confirm with or without another card, capture, refund, void, a retry of
 * any earlier call under its key, a processor event for something the dummy did, a refund made on
 * the dummy's dashboard, an operator's resolution of a held charge, a reconciliation pass). Each
 * command checks its own result against the model (support/model-ledger.ts: the ledger's rules
 * and transitions, and the dummy's behaviour), then `checkInvariants` checks the ledger against
 * the model and against the dummy's store.
 *
 * Where the ledger cannot know the processor's truth, it is compared with the truth less what it
 * has not been told yet:
 * - a charge whose answer was lost is held for review: until an event or an operator settles it,
 *   the ledger shows nothing of it (no PSP reference, nothing authorized or captured), whatever the
 *   dummy did (it may have charged: `tok_dummy_outcome_unknown_charged`);
 * - a refund made on the dummy's dashboard counts once its event is delivered: the ledger's
 *   captured amount is the dummy's captured - refunded + those refunds not delivered yet.
 *
 * The dummy sends no webhooks: RecordingDummy (support/model-ledger.ts) builds the event its webhook
 * would send from each answer it gave (for a lost answer, from the charge it really took), with the
 * same transaction ids. Commands run one at a time (properties.test.ts runs operations concurrently),
 * and the dummy never times out nor reuses a transaction id across attempts, so neither a call
 * still running after a timeout nor a success after a failed row of the same id is reached here.
 * The seed is fixed; the run ends by checking that each outcome of MUST_SEE happened at least once.
 */

// ---- Commands ----

type Spec = { mode: 'all' | 'part' | 'over'; perMille: number };

function amountFor(available: number, spec: Spec): number | null {
  if (spec.mode === 'all') return null;
  if (spec.mode === 'over') return available + 1;
  return Math.max(1, Math.floor((available * spec.perMille) / 1000));
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check(_m: Readonly<Model>): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await this.act(m, r);
    await checkInvariants(m, r);
  }
  abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

/** process / authorize / confirm / capture / refund / void under a new key. */
class OperationCmd extends Cmd {
  constructor(
    readonly op: 'process' | 'authorize' | 'confirm' | 'capture' | 'refund' | 'void',
    readonly spec: Spec = { mode: 'all', perMille: 0 },
    readonly other: Card | null = null,
  ) {
    super();
  }
  async act(m: Model, r: Real): Promise<void> {
    const minor = this.op === 'capture' ? amountFor(m.authorized, this.spec) : this.op === 'refund' ? amountFor(m.captured, this.spec) : null;
    const input: Record<string, unknown> = { paymentId: r.paymentId, idempotencyKey: key() };
    if (minor !== null) input['amount'] = fromMinorUnits(minor, m.cfg.currency).toString();
    if (this.other) input['data'] = { token: TOKENS[this.other] };
    await perform(m, r, { op: this.op, key: String(input['idempotencyKey']), input, minor, other: this.other, recorded: null });
  }
  toString(): string {
    const amount = this.op === 'capture' || this.op === 'refund' ? `(${this.spec.mode}${this.spec.mode === 'part' ? ` ${this.spec.perMille}/1000` : ''})` : '';
    return `${this.op}${amount}${this.other ? ` with ${this.other}` : ''}`;
  }
}

/** The same input with one parameter changed (each is part of the request's hash). */
function altered(call: Call, currency: string): Record<string, unknown> {
  const input = { ...call.input };
  if (call.op === 'pay') input['metadata'] = { retried: true };
  else if (call.op === 'capture' || call.op === 'refund') input['amount'] = fromMinorUnits((call.minor ?? 0) + 1, currency).toString();
  else if (call.op === 'void') input['onlyWhileAwaitingAction'] = true;
  else input['data'] = { ...((input['data'] as object | undefined) ?? {}), retried: true };
  return input;
}

/**
 * An earlier call again under its key: the same input is replayed (recorded) or checked again (refused
 * before the gateway); another input under a recorded key is idempotency_key_reused, and runs nothing.
 */
class RetryCmd extends Cmd {
  constructor(
    readonly index: number,
    readonly changed: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.calls.length > 0;
  }
  async act(m: Model, r: Real): Promise<void> {
    const call = m.calls[this.index % m.calls.length] as Call;
    const held = m.held?.call === m.calls.indexOf(call);
    if (!this.changed || call.recorded === null || held) return perform(m, r, call);
    const got = await invoke(r, { ...call, input: altered(call, m.cfg.currency) });
    errorOf(got, 'idempotency_key_reused', `${call.op} ${call.key} with another input`);
    seen('retry with another input refused');
  }
  toString(): string {
    return `retry #${this.index}${this.changed ? ' with another input' : ''}`;
  }
}

/** The dummy's webhook event for something it did: again (same id), or the same again under a new event id. */
class DeliverCmd extends Cmd {
  constructor(
    readonly index: number,
    readonly newId: boolean,
    readonly withKey: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.events > 0;
  }
  async act(m: Model, r: Real): Promise<void> {
    const ev = RecordingDummy.outbox[this.index % m.events]!;
    const eventId = this.newId ? `${ev.eventId}-${randomUUID()}` : ev.eventId;
    const got = await r.service.applyGatewayEvent({
      gateway: GATEWAY,
      channel: CHANNEL,
      eventId,
      paymentId: ev.paymentId,
      pspReference: ev.pspReference,
      gatewayIdempotencyKey: this.withKey ? ev.gatewayIdempotencyKey : null,
      response: ev.response,
    });
    const what = `event ${eventId} (${ev.response.kind} ${ev.response.isSuccess ? 'ok' : 'failed'} ${ev.response.amount})`;
    if (m.delivered.has(eventId)) {
      expect(got.status, what).to.equal('duplicate');
    } else if (m.held?.charged && ev.gatewayIdempotencyKey === m.held.gatewayKey) {
      expect(got.status, what).to.equal('applied');
      expect(got.transaction?.id, what).to.equal(m.held.txId);
      seen(`event applied: held charge, ${this.withKey ? 'by its key' : 'by kind'}`);
      settleHeld(m, true, m.held.txId);
    } else if (m.dashboardRefunds.has(ev.response.transactionId)) {
      expect(got.status, what).to.equal('applied');
      const amount = minorOf(new Decimal(ev.response.amount), m.cfg.currency);
      m.dashboardRefunds.delete(ev.response.transactionId);
      m.undelivered -= amount;
      m.txCount += 1;
      ledgerRefund(m, amount);
    } else {
      expect(got.status, what).to.equal('already_applied');
    }
    m.delivered.add(eventId);
    seen(`event ${got.status}`);
  }
  toString(): string {
    return `deliver event #${this.index}${this.newId ? ' under a new id' : ''}${this.withKey ? ' with its key' : ''}`;
  }
}

/** A refund made on the dummy's dashboard (the ledger hears of it by its event). */
class DashboardRefundCmd extends Cmd {
  constructor(readonly perMille: number) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.held === null && m.charge?.status === 'succeeded' && m.charge.captured > m.charge.refunded;
  }
  async act(m: Model, r: Real): Promise<void> {
    const c = m.charge!;
    const amount = Math.max(1, Math.floor(((c.captured - c.refunded) * this.perMille) / 1000));
    const payment = dashboardRefundData(fromMinorUnits(amount, m.cfg.currency), m.cfg.currency, c.psp, r.paymentId);
    const response = await r.dashboard.refundPayment(payment, null);
    expect(response?.isSuccess, 'the dashboard refund').to.equal(true);
    c.refunded += amount;
    m.undelivered += amount;
    m.dashboardRefunds.add(String(response?.transactionId));
    m.dummyCalls += 1;
    m.events += 1;
  }
  toString(): string {
    return `dashboard refund ${this.perMille}/1000`;
  }
}

/** An operator settles the held charge as the dummy's dashboard shows it. */
class ResolveCmd extends Cmd {
  override check(m: Readonly<Model>): boolean {
    return m.held !== null;
  }
  async act(m: Model, r: Real): Promise<void> {
    const held = m.held!;
    const listed = (await r.service.listReview()).map((item) => item.transaction.id);
    same(listed, [held.txId], 'listReview');
    const psp = `${LOST_CHARGE_PREFIX}${held.gatewayKey}`;
    const resolution = held.charged
      ? { outcome: 'succeeded' as const, kind: held.kind, gatewayTransactionId: psp, pspReference: psp }
      : { outcome: 'failed' as const };
    const item = await r.service.resolveReview({ transactionId: held.txId, note: 'model-based test: as the dummy shows it', ...resolution });
    same({ state: item.transaction.state, isSuccess: item.transaction.isSuccess }, { state: 'applied', isSuccess: held.charged }, 'resolved');
    settleHeld(m, held.charged, held.txId);
    seen(`review resolved ${resolution.outcome}`);
  }
  toString(): string {
    return 'operator resolves the held charge';
  }
}

/** A reconciliation pass: the dummy cannot tell about a lost answer, so a held charge stays held; nothing else is open. */
class ReconcileCmd extends Cmd {
  async act(m: Model, r: Real): Promise<void> {
    const report = await r.service.reconcile({ minAgeMs: 0 });
    const held = m.held ? [m.held.txId] : [];
    same(report, { checked: held.length, applied: [], review: [], held, skipped: [], failed: [] }, 'reconcile report');
  }
  toString(): string {
    return 'reconcile';
  }
}

const specArb: fc.Arbitrary<Spec> = fc.record({ mode: fc.constantFrom<Spec['mode']>('all', 'part', 'part', 'over'), perMille: fc.integer({ min: 1, max: 999 }) });
const otherArb = fc.constantFrom<Card | null>(null, null, 'success', 'declined', 'threeDSecure', 'threeDSecureFail');

const amountOp = fc.tuple(fc.constantFrom<'capture' | 'refund'>('capture', 'refund'), specArb).map(([op, spec]) => new OperationCmd(op, spec));

/** fc.commands picks among these uniformly: captures and refunds, retries and events come more often. */
const commandArbs = [
  fc.constantFrom<'process' | 'authorize' | 'void'>('process', 'authorize', 'void').map((op) => new OperationCmd(op)),
  otherArb.map((other) => new OperationCmd('confirm', undefined, other)),
  amountOp,
  amountOp,
  amountOp,
  fc.tuple(fc.nat(40), fc.boolean()).map(([i, changed]) => new RetryCmd(i, changed)),
  fc.tuple(fc.nat(40), fc.constant(false)).map(([i, changed]) => new RetryCmd(i, changed)),
  fc.tuple(fc.nat(40), fc.boolean(), fc.boolean()).map(([i, newId, withKey]) => new DeliverCmd(i, newId, withKey)),
  fc.tuple(fc.nat(40), fc.boolean(), fc.boolean()).map(([i, newId, withKey]) => new DeliverCmd(i, newId, withKey)),
  fc.integer({ min: 1, max: 1000 }).map((perMille) => new DashboardRefundCmd(perMille)),
  fc.constant(new ResolveCmd()),
  fc.constant(new ReconcileCmd()),
];

const configArb: fc.Arbitrary<Config> = fc.record({
  autoCapture: fc.boolean(),
  multi: fc.boolean(),
  currency: fc.constantFrom<Config['currency']>('USD', 'JPY', 'KWD'),
  totalMinor: fc.integer({ min: 1, max: 5000 }),
  card: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Card>('success') },
    { weight: 1, arbitrary: fc.constant<Card>('declined') },
    { weight: 2, arbitrary: fc.constantFrom<Card>('threeDSecure', 'threeDSecureFail') },
    { weight: 2, arbitrary: fc.constantFrom<Card>('outcomeUnknownCharged', 'outcomeUnknownNotCharged') },
  ),
  action: fc.constantFrom<Config['action']>('process', 'authorize', 'authorize'),
});

const MUST_SEE = [
  'pay ok',
  'pay gateway_declined',
  'pay outcome_unknown',
  'pay replayed ok',
  'pay replayed payment_busy',
  'confirm ok',
  'confirm gateway_declined',
  'capture ok',
  'capture amount_exceeds',
  'capture operation_not_allowed',
  'capture replayed ok',
  'refund ok',
  'refund amount_exceeds',
  'refund gateway_declined',
  'refund replayed ok',
  'void ok',
  'process payment_busy',
  'event applied',
  'event already_applied',
  'event duplicate',
  'event applied: held charge, by its key',
  'event applied: held charge, by kind',
  'retry with another input refused',
  'review resolved succeeded',
  'review resolved failed',
];

describe('ledger: model-based (fast-check commands) against the dummy gateway', () => {
  const managers = new Map<string, PluginManager>();
  const manager = (cfg: Config): PluginManager => {
    const id = `${cfg.autoCapture}/${cfg.multi}`;
    let found = managers.get(id);
    if (!found) {
      found = makeManager({ plugin: RecordingDummy, configuration: { auto_capture: cfg.autoCapture, supports_multiple_captures: cfg.multi } });
      managers.set(id, found);
    }
    return found;
  };
  after(async () => {
    for (const m of managers.values()) await m.close();
  });

  it('every command answers as the model says, and the ledger agrees with the dummy after each', async () => {
    SEEN.clear();
    const dashboard = new RecordingDummy({ channel: CHANNEL, active: true, configuration: { ...RecordingDummy.defaultConfiguration, supported_currencies: 'USD,JPY,KWD' }, logger: silentLogger() });
    await fc.assert(
      fc.asyncProperty(configArb, fc.commands(commandArbs, { maxCommands: 30, size: 'max' }), async (cfg, cmds) => {
        const setup = async (): Promise<{ model: Model; real: Real }> => {
          RecordingDummy.reset();
          const model = initialModel(cfg);
          const real: Real = { service: new PaymentService({ manager: manager(cfg), store: new MemoryLedgerStore() }), paymentId: '', dashboard };
          const input = { idempotencyKey: key(), channel: CHANNEL, total: fromMinorUnits(cfg.totalMinor, cfg.currency).toString(), currency: cfg.currency, token: TOKENS[cfg.card], action: cfg.action };
          await perform(model, real, { op: 'pay', key: input.idempotencyKey, input, minor: null, other: null, recorded: null });
          await checkInvariants(model, real);
          return { model, real };
        };
        await fc.asyncModelRun(setup, cmds);
      }),
      { seed: 20261207, numRuns: 1000 },
    );
    const missing = MUST_SEE.filter((what) => !SEEN.has(what));
    expect(missing, `never reached: ${missing.join(', ')} (seen: ${[...SEEN.keys()].sort().join(', ')})`).to.deep.equal([]);
  });
});
