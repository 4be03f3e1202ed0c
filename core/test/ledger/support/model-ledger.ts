import type { ChargeStatus, GatewayResponse, PaymentData } from '@payhost/core';
import { DummyGatewayPlugin, LOST_CHARGE_PREFIX, dummyStore, type ChargeStatus as DummyStatus } from '@payhost/plugin-dummy';

/**
 * The model of model-based.test.ts: what the ledger should show for one payment, and what the
 * dummy gateway (the processor's truth) should hold, after each command. Amounts are integers in
 * minor units (the currency's smallest unit), so the model never does decimal arithmetic.
 */

/** The dummy's test cards the model drives (DUMMY_TOKENS keys). */
export type Card = 'success' | 'declined' | 'threeDSecure' | 'threeDSecureFail' | 'outcomeUnknownCharged' | 'outcomeUnknownNotCharged';

export interface Config {
  autoCapture: boolean;
  multi: boolean;
  currency: 'USD' | 'JPY' | 'KWD';
  totalMinor: number;
  card: Card;
  action: 'process' | 'authorize';
}

/** The dummy's charge as the model expects it (DummyCharge, in minor units). */
export interface Charge {
  psp: string;
  authorized: number;
  captured: number;
  refunded: number;
  status: DummyStatus;
  captureOnConfirm: boolean;
  card: Card;
}

/** A charge whose answer was lost: held for review until an event or an operator settles it. */
export interface Held {
  txId: string;
  gatewayKey: string;
  /** The call (model.calls index) whose key waits for the outcome. */
  call: number;
  charged: boolean;
  kind: 'capture' | 'auth';
}

export type Op = 'pay' | 'process' | 'authorize' | 'capture' | 'refund' | 'void' | 'confirm';

/** What a call's key answers from now on: replayed, never run again. Null: refused before the gateway (not recorded). */
export type Recorded = { ok: true; txId: string } | { ok: false; code: string; txId: string | null };

export interface Call {
  op: Op;
  key: string;
  /** The exact input (a retry sends it again). */
  input: Record<string, unknown>;
  /** Capture / refund amount in minor units (null: all of it); confirm's other card. */
  minor: number | null;
  other: Card | null;
  recorded: Recorded | null;
}

export interface Model {
  cfg: Config;
  // The ledger's payment.
  status: ChargeStatus;
  authorized: number;
  captured: number;
  active: boolean;
  toConfirm: boolean;
  /** Sums of the ledger's successful capture and refund rows. */
  captures: number;
  refunds: number;
  // The processor's side.
  charge: Charge | null;
  held: Held | null;
  /** Refunds made on the dummy's "dashboard" whose event has not been delivered yet. */
  undelivered: number;
  /** gatewayTransactionId of those refunds (their first delivery records them). */
  dashboardRefunds: Set<string>;
  // Counters the real system is checked against.
  txCount: number;
  /** Gateway calls that reached the dummy and acted (a replayed key does not act). */
  dummyCalls: number;
  /** Events in the dummy's outbox. */
  events: number;
  delivered: Set<string>;
  calls: Call[];
}

export function initialModel(cfg: Config): Model {
  return {
    cfg,
    status: 'not-charged',
    authorized: 0,
    captured: 0,
    active: true,
    toConfirm: false,
    captures: 0,
    refunds: 0,
    charge: null,
    held: null,
    undelivered: 0,
    dashboardRefunds: new Set(),
    txCount: 0,
    dummyCalls: 0,
    events: 0,
    delivered: new Set(),
    calls: [],
  };
}

// ---- The ledger's transitions (docs/payment-lifecycle.md#transitions), on the model ----

export function ledgerCapture(m: Model, amount: number): void {
  m.captured += amount;
  m.captures += amount;
  // A single-capture gateway releases the rest of the authorization with its capture.
  m.authorized = m.cfg.multi ? Math.max(0, m.authorized - amount) : 0;
  m.active = true;
  m.toConfirm = false;
  m.status = m.captured >= m.cfg.totalMinor ? 'fully-charged' : 'partially-charged';
}

export function ledgerRefund(m: Model, amount: number): void {
  m.captured -= amount;
  m.refunds += amount;
  m.toConfirm = false;
  m.status = 'partially-refunded';
  if (m.captured <= 0) {
    m.captured = 0;
    m.status = 'fully-refunded';
    m.active = false;
    m.authorized = 0;
  }
}

export function ledgerAuthorize(m: Model, amount: number): void {
  m.authorized += amount;
  m.toConfirm = false;
}

/** A charge's success as the ledger records it: captured (auto-capture) or authorized. */
export function ledgerCharged(m: Model, kind: 'capture' | 'auth'): void {
  if (kind === 'capture') ledgerCapture(m, m.cfg.totalMinor);
  else ledgerAuthorize(m, m.cfg.totalMinor);
}

// ---- The rules (rules.ts checkOperation), in their order ----

export type Refusal = 'operation_not_allowed' | 'amount_exceeds' | 'payment_busy';

/** Why the ledger refuses `op` before calling the gateway, or null. `amount`: minor units, null for "all of it". */
export function refusal(m: Model, op: Exclude<Op, 'pay'>, amount: number | null): Refusal | null {
  if (!m.active) return 'operation_not_allowed';
  // Lost answers are charges only: a held charge blocks every operation.
  if (m.held) return 'payment_busy';
  switch (op) {
    case 'process':
    case 'authorize':
      return m.toConfirm || m.status !== 'not-charged' || m.authorized > 0 ? 'operation_not_allowed' : null;
    case 'capture':
      if (m.toConfirm || !['not-charged', 'partially-charged', 'partially-refunded'].includes(m.status)) return 'operation_not_allowed';
      if (!m.cfg.multi && m.captured > 0) return 'operation_not_allowed';
      if (m.authorized <= 0) return 'operation_not_allowed';
      return amount !== null && amount > m.authorized ? 'amount_exceeds' : null;
    case 'refund':
      if (!['partially-charged', 'fully-charged', 'partially-refunded'].includes(m.status)) return 'operation_not_allowed';
      if (m.captured <= 0) return 'operation_not_allowed';
      return amount !== null && amount > m.captured ? 'amount_exceeds' : null;
    case 'void':
      if (m.status !== 'not-charged' || m.captured > 0) return 'operation_not_allowed';
      return m.authorized <= 0 && !m.toConfirm ? 'operation_not_allowed' : null;
    case 'confirm':
      return m.toConfirm ? null : 'operation_not_allowed';
  }
}

// ---- The dummy (plugins/dummy/src/gateway.ts), on the model ----

/** What the dummy does with a call the ledger lets through, and what the ledger then shows. */
export type Sim =
  | { outcome: 'ok'; apply(psp: string | null): void }
  | { outcome: 'declined'; apply(psp: string | null): void }
  | { outcome: 'held'; charged: boolean; kind: 'capture' | 'auth' };

const nothing = (): void => undefined;

/** Marks a charge authorized (and captured when its call asked for it), as the dummy's settle(). */
function settle(m: Model, c: Charge): void {
  c.status = 'succeeded';
  c.authorized = m.cfg.totalMinor;
  if (c.captureOnConfirm) c.captured = m.cfg.totalMinor;
  ledgerCharged(m, c.captureOnConfirm ? 'capture' : 'auth');
}

function newCharge(m: Model, psp: string, captureOnConfirm: boolean, card: Card): Charge {
  return { psp, authorized: 0, captured: 0, refunded: 0, status: 'requires_action', captureOnConfirm, card };
}

/** A charge, or a confirm's other card, with `card`: settles, declines, or asks for 3-D Secure. */
function chargeCard(m: Model, card: Card, captureOnConfirm: boolean, waiting: Charge | null): Sim {
  if (card === 'declined') {
    if (waiting) {
      waiting.card = card;
      waiting.status = 'requires_payment_method';
    }
    return { outcome: 'declined', apply: nothing };
  }
  if (card === 'outcomeUnknownCharged' || card === 'outcomeUnknownNotCharged') {
    return { outcome: 'held', charged: card === 'outcomeUnknownCharged', kind: captureOnConfirm ? 'capture' : 'auth' };
  }
  return {
    outcome: 'ok',
    apply: (psp) => {
      const c = waiting ?? newCharge(m, psp ?? '?', captureOnConfirm, card);
      m.charge = c;
      c.card = card;
      if (card === 'success') return settle(m, c);
      c.status = 'requires_action';
      m.toConfirm = true;
    },
  };
}

/** The dummy's answer to `op` (one the ledger's rules let through), as it changes the model. */
export function simulate(m: Model, op: Exclude<Op, 'pay'>, minor: number | null, other: Card | null): Sim {
  const c = m.charge;
  const declined: Sim = { outcome: 'declined', apply: nothing };
  switch (op) {
    case 'process':
    case 'authorize':
      return chargeCard(m, m.cfg.card, op === 'process' && m.cfg.autoCapture, null);
    case 'confirm': {
      if (!c || (c.status !== 'requires_action' && c.status !== 'requires_payment_method')) return declined;
      if (other) return chargeCard(m, other, c.captureOnConfirm, c);
      if (c.status === 'requires_payment_method') return declined;
      if (c.card === 'threeDSecureFail') {
        c.status = 'requires_payment_method';
        return declined;
      }
      return { outcome: 'ok', apply: () => settle(m, c) };
    }
    case 'capture': {
      const amount = minor ?? m.authorized;
      if (!c || c.status !== 'succeeded' || (!m.cfg.multi && c.captured > 0) || amount > c.authorized - c.captured) return declined;
      return { outcome: 'ok', apply: () => ((c.captured += amount), ledgerCapture(m, amount)) };
    }
    case 'refund': {
      const amount = minor ?? m.captured;
      // The dummy's own check: a refund made on its dashboard may have left less than the ledger knows.
      if (!c || c.status !== 'succeeded' || amount > c.captured - c.refunded) return declined;
      return { outcome: 'ok', apply: () => ((c.refunded += amount), ledgerRefund(m, amount)) };
    }
    case 'void':
      if (!c || c.status === 'voided' || c.captured > 0) return declined;
      return {
        outcome: 'ok',
        apply: () => {
          c.status = 'voided';
          m.active = false;
          m.authorized = 0;
          m.toConfirm = false;
        },
      };
  }
}

// ---- The dummy's outbox: the webhook events it would send for what it did ----

export interface OutboxEvent {
  eventId: string;
  paymentId: string;
  pspReference: string | null;
  /** The call's gateway key, echoed as Stripe does (a delivery may leave it out). */
  gatewayIdempotencyKey: string | null;
  response: { isSuccess: boolean; actionRequired: boolean; kind: GatewayResponse['kind']; amount: string; transactionId: string; pspReference: string | null; errorCode: GatewayResponse['errorCode'] | null };
}

/**
 * The dummy, recording each call that acted (a replayed key does not) and the event its webhook
 * would send: the answer it gave, or for a lost answer what it really did (the charge it took, by
 * its id: nothing for a call that never took effect). The dummy itself sends no webhooks.
 */
export class RecordingDummy extends DummyGatewayPlugin {
  static outbox: OutboxEvent[] = [];
  static calls = 0;

  static reset(): void {
    RecordingDummy.outbox = [];
    RecordingDummy.calls = 0;
  }

  private record(payment: PaymentData, response: GatewayResponse | undefined): GatewayResponse | undefined {
    if (!response || response.rawResponse?.['idempotentReplayed'] === true) return response;
    RecordingDummy.calls += 1;
    const key = payment.idempotencyKey ?? null;
    const base = { eventId: `evt-${RecordingDummy.outbox.length + 1}`, paymentId: payment.paymentId, gatewayIdempotencyKey: key };
    if (response.rawResponse?.['code'] === 'answer_lost') {
      const charge = key ? dummyStore.findCharge(this.channel ?? '', `${LOST_CHARGE_PREFIX}${key}`) : undefined;
      if (!charge) return response;
      const kind = charge.captureOnConfirm ? 'capture' : 'auth';
      const psp = charge.pspReference;
      RecordingDummy.outbox.push({ ...base, pspReference: psp, response: { isSuccess: true, actionRequired: false, kind, amount: charge.amount.toString(), transactionId: psp, pspReference: psp, errorCode: null } });
      return response;
    }
    const { isSuccess, kind, transactionId } = response;
    const pspReference = response.pspReference ?? null;
    RecordingDummy.outbox.push({
      ...base,
      pspReference,
      response: { isSuccess, actionRequired: response.actionRequired, kind, amount: response.amount.toString(), transactionId, pspReference, errorCode: response.errorCode ?? null },
    });
    return response;
  }

  override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.processPayment(p, v));
  }
  override async authorizePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.authorizePayment(p, v));
  }
  override async capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.capturePayment(p, v));
  }
  override async refundPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.refundPayment(p, v));
  }
  override async voidPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.voidPayment(p, v));
  }
  override async confirmPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.record(p, await super.confirmPayment(p, v));
  }
}
