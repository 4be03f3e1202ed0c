import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decimal } from 'decimal.js';
import type { IdempotencyRecord, Payment, Transaction } from './model.js';
import type { LedgerStore } from './store.js';
import { idempotencyKeyReused, invalidInput, keyHeldForReview, keyInProgress, PAYMENT_BUSY_REASONS } from './ledger-errors.js';
import { isStoredOutcome, type StoredOutcome } from './outcome-codec.js';
import { reviewHoldOf } from './review-hold.js';
import { isStorableText } from './storable-text.js';

/**
 * Canonical JSON of a request: keys sorted, a key whose value is `undefined` left out and an
 * `undefined` array item as null (as JSON has them: a retry that went through JSON is the same
 * request), Decimals as "dec:<normalized>", Dates as ISO strings. Printed directly (no intermediate
 * objects); the text is the same as earlier versions produced, so hashes recorded by them still
 * match, but for a request with a key set to `undefined` inside `metadata` or `data` (they printed it null). Values JSON cannot print as such (functions,
 * symbols, bigints) take the general path, which treats them as JSON.stringify does.
 */
function canonicalJson(value: unknown): string {
  return print(value) ?? JSON.stringify(canonical(value));
}

/**
 * The canonical text of `value`; undefined when it meets a value only the general path handles.
 * Built by string concatenation, not an array of parts joined: a request has a handful of
 * fields, and the parts array was most of the cost of hashing one.
 */
function print(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return 'null';
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (Decimal.isDecimal(value)) return JSON.stringify(`dec:${(value as Decimal).toString()}`);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = print(value[i]);
      if (item === undefined) return undefined;
      out += i > 0 ? `,${item}` : item;
    }
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const key of printOrder(Object.keys(value))) {
    // The general path assigns "__proto__" (setting a prototype, not a key): keep its text.
    if (key === '__proto__') return undefined;
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    const item = print(field);
    if (item === undefined) return undefined;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
    first = false;
  }
  return `${out}}`;
}

/** An array index ("0", "17"): objects list such keys first, in numeric order, whatever the insertion order. */
function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** The order JSON.stringify lists an object built by inserting `keys` sorted: index keys first, numerically. */
function printOrder(keys: string[]): string[] {
  keys.sort();
  if (!keys.some(isIndexKey)) return keys;
  const indexes = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b));
  return [...indexes, ...keys.filter((key) => !isIndexKey(key))];
}

/** The general form: a canonical value for JSON.stringify. */
function canonical(value: unknown): unknown {
  if (value === undefined) return null;
  if (Decimal.isDecimal(value)) return `dec:${(value as Decimal).toString()}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) out[key] = canonical(field);
    }
    return out;
  }
  return value;
}

/** "usd" and " USD" hash as "USD", the currency the payment gets; anything else is kept as is (validation rejects it later). */
export function normalizeCurrencyForHash(currency: unknown): unknown {
  return typeof currency === 'string' ? currency.trim().toUpperCase() : currency;
}

/** "10.50", 10.5 and Decimal(10.5) hash alike; anything unparsable is kept as is (validation rejects it later). */
export function normalizeAmountForHash(amount: unknown): unknown {
  if (amount === undefined || amount === null) return null;
  try {
    if (Decimal.isDecimal(amount) || typeof amount === 'number' || (typeof amount === 'string' && amount.trim() !== '')) {
      const d = new Decimal(Decimal.isDecimal(amount) ? (amount as Decimal) : typeof amount === 'string' ? amount.trim() : amount);
      if (d.isFinite()) return `dec:${d.toString()}`;
    }
  } catch {
    // not a number: hashed verbatim
  }
  return `raw:${String(amount)}`;
}

/** Whether a new payment's optional field, as given, says nothing more than leaving it out. */
function saysNothing(field: string, value: unknown): boolean {
  if (value === undefined) return true;
  // metadata: null is refused (invalid_input), so it must not hash as a request that was accepted.
  if (field === 'metadata') return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && !hasDefinedKey(value);
  if (value === null) return true;
  if (field === 'storePaymentMethod') return value === false;
  return false;
}

/**
 * A new payment's fields (createPayment, pay) for the request hash, without those given as undefined,
 * null (but metadata, which may not be null) or their default (`storePaymentMethod: false`, `metadata: {}`): a retry of the same request that
 * went through JSON (undefined dropped) or another client (a default spelt out) is the same request.
 * `fields` itself when nothing is left out (the usual case: no copy).
 */
export function newPaymentFieldsForHash(fields: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(fields);
  if (!keys.some((field) => saysNothing(field, fields[field]))) return fields;
  const kept: Record<string, unknown> = {};
  for (const field of keys) if (!saysNothing(field, fields[field])) kept[field] = fields[field];
  return kept;
}

/**
 * An operation's extra gateway data (pay, process, authorize, confirm) for the request hash: null when
 * it says nothing, i.e. left out, null or an empty object. The gateway gets the same PaymentData.data
 * either way (buildPaymentData sends null for no entries), so `data: {}` and no data are one request.
 */
export function dataForHash(data: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (data === undefined || data === null) return null;
  const proto: unknown = Object.getPrototypeOf(data);
  return (proto === Object.prototype || proto === null) && !hasDefinedKey(data) ? null : data;
}

/** Whether an object has a key JSON would keep (one whose value is not undefined): `{ coupon: undefined }` says nothing. */
function hasDefinedKey(value: object): boolean {
  for (const key of Object.keys(value)) if ((value as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}

/** Hash of an operation and its parameters (what "the same request" means). */
export function requestHash(operation: string, params: Record<string, unknown>): string {
  return hash('sha256', canonicalJson({ operation, params }), 'hex');
}

export function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 255 || !isStorableText(key)) {
    throw invalidInput('An idempotency key (a non-empty string of at most 255 characters, without NUL) is required', { idempotencyKey: typeof key === 'string' && isStorableText(key) ? key : null });
  }
  return key;
}

/** The records an attempt just produced, handed to its caller so the recorded outcome need not be decoded again. */
export interface LiveResult {
  payment: Payment;
  transaction: Transaction | null;
}

/** An outcome, with the live records when this call is the one that ran the operation. */
export interface Settled {
  outcome: StoredOutcome;
  live?: LiveResult;
}

/**
 * One attempt of the operation: it either ran (the outcome is recorded, and
 * `live` holds the records when they are the caller's own) or found the key taken.
 */
export type Attempt = Settled | { taken: IdempotencyRecord };

export interface IdempotencyOptions {
  /** First poll delay when another process holds the key; doubles up to `maxPollMs`. Default 10 ms. */
  pollMs?: number;
  maxPollMs?: number;
  /** Give up waiting for another process after this long (then `payment_busy`). Default 30 s. */
  waitTimeoutMs?: number;
}

/**
 * Makes a repeated request with the same key return the recorded outcome,
 * running the operation once:
 * - in this process, repeats (same key, same parameters) share the first
 *   call's promise (even while it is in flight), so they never reach the store
 *   or the gateway; a call with other parameters runs on its own, and the
 *   key's record (or its claim) refuses it;
 * - across processes, the key is claimed in the store (the attempt does it,
 *   in the same database transaction as its first write); a repeat that finds
 *   it `in_flight` polls the record with backoff until it is `done` (or
 *   released, then tries again); one whose transaction is held for review
 *   (marked so in its record) is payment_busy at once;
 * - the same key with other parameters is `idempotency_key_reused`.
 * Errors thrown by an attempt (rule checks: nothing was written, the claim was
 * rolled back) propagate and are not recorded.
 */
export class IdempotencyCoordinator {
  /** Calls in flight in this process, by request hash and key (see run). */
  private readonly inFlight = new Map<string, Promise<Settled>>();
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly waitTimeoutMs: number;

  constructor(
    private readonly store: Pick<LedgerStore, 'getIdempotencyRecord'>,
    options: IdempotencyOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 10;
    this.maxPollMs = options.maxPollMs ?? 500;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 30_000;
  }

  /**
   * Runs or replays the operation under `key`. Only the call that ran it gets
   * `live` records; repeats sharing its promise get the outcome alone (their
   * own copies come from decoding it), so no two callers share mutable objects.
   *
   * `claimsFirst`: the attempt finds a taken key before anything else it
   * checks or writes (a new payment's first transaction claims it; an
   * operation's reserve reads or claims it once the payment is locked) and
   * answers its record, so reading the record beforehand would only cost a query.
   */
  run(key: string, hash: string, attempt: () => Promise<Attempt>, options: { claimsFirst?: boolean } = {}): Promise<Settled> {
    // Shared by key AND parameters: a call with other parameters may be refused for reasons that are its
    // own (the record, or another process's claim, belongs to the same request as this one), so it
    // drives its own call and the store's record decides; its refusal never reaches this one.
    const shareKey = `${hash}:${key}`;
    const shared = this.inFlight.get(shareKey);
    if (shared) return shared.then(({ outcome }) => ({ outcome }));
    const promise = this.drive(key, hash, attempt, options.claimsFirst === true);
    this.inFlight.set(shareKey, promise);
    const forget = (): void => {
      if (this.inFlight.get(shareKey) === promise) this.inFlight.delete(shareKey);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async drive(key: string, hash: string, attempt: () => Promise<Attempt>, claimsFirst: boolean): Promise<Settled> {
    const recorded = claimsFirst ? null : await this.store.getIdempotencyRecord(key);
    if (recorded) {
      const outcome = this.done(key, hash, recorded);
      if (outcome) return { outcome };
    }
    for (;;) {
      const result = await attempt();
      if ('outcome' in result) return result;
      const outcome = this.done(key, hash, result.taken) ?? (await this.waitForOther(key, hash, result.taken.createdAt));
      if (outcome) return { outcome };
      // The other holder released the key (its request was rejected): try again.
    }
  }

  /**
   * The recorded outcome when the record is done; throws when it belongs to other parameters, and
   * payment_busy when its transaction is held for review (nothing to wait for: an operator, an
   * event or reconciliation settles it, perhaps hours later).
   */
  private done(key: string, hash: string, record: IdempotencyRecord): StoredOutcome | null {
    if (record.requestHash !== hash) throw idempotencyKeyReused(key);
    if (record.state !== 'done') {
      const hold = reviewHoldOf(record);
      if (hold) throw keyHeldForReview(key, hold);
      return null;
    }
    if (!isStoredOutcome(record.response)) throw keyInProgress(key, PAYMENT_BUSY_REASONS.outcomeUnreadable, 'has a recorded outcome this version cannot read');
    return record.response;
  }

  /**
   * Polls the record another process holds until it is done (outcome), gone
   * (null) or held for review (payment_busy, see `done`), until the record is
   * waitTimeoutMs old: a key held longer than that (e.g. by a process that
   * crashed, until reconciliation settles its transaction) is answered
   * payment_busy at once, not after another full wait on every retry.
   */
  private async waitForOther(key: string, hash: string, claimedAt: Date): Promise<StoredOutcome | null> {
    const deadline = Math.min(Date.now(), claimedAt.getTime()) + this.waitTimeoutMs;
    let delay = this.pollMs;
    for (;;) {
      if (Date.now() >= deadline) throw keyInProgress(key, PAYMENT_BUSY_REASONS.keyInProgress, 'is still in progress elsewhere (it may be waiting for reconciliation)');
      await sleep(delay);
      const record = await this.store.getIdempotencyRecord(key);
      if (!record) return null;
      const outcome = this.done(key, hash, record);
      if (outcome) return outcome;
      delay = Math.min(delay * 2, this.maxPollMs);
    }
  }
}
