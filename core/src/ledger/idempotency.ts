import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decimal } from 'decimal.js';
import type { IdempotencyRecord } from './model.js';
import type { LedgerStore } from './store.js';
import { idempotencyKeyReused, invalidInput, keyInProgress } from './ledger-errors.js';
import { isStoredOutcome, type StoredOutcome } from './outcome-codec.js';

/** Canonical JSON: sorted keys, Decimals and amounts as normalized decimal strings. */
function canonical(value: unknown): unknown {
  if (value === undefined) return null;
  if (Decimal.isDecimal(value)) return `dec:${(value as Decimal).toString()}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
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

/** Hash of an operation and its parameters (what "the same request" means). */
export function requestHash(operation: string, params: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(canonical({ operation, params }))).digest('hex');
}

export function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 255) {
    throw invalidInput('An idempotency key (a non-empty string of at most 255 characters) is required', { idempotencyKey: key ?? null });
  }
  return key;
}

/** One attempt of the operation: it either ran (the outcome is recorded) or found the key taken. */
export type Attempt = { outcome: StoredOutcome } | { taken: IdempotencyRecord };

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
 * - in this process, repeats share the first call's promise (even while it
 *   is in flight), so they never reach the store or the gateway;
 * - across processes, the key is claimed in the store (the attempt does it,
 *   in the same database transaction as its first write); a repeat that finds
 *   it `in_flight` polls the record with backoff until it is `done` (or
 *   released, then tries again);
 * - the same key with other parameters is `idempotency_key_reused`.
 * Errors thrown by an attempt (rule checks: nothing was written, the claim was
 * rolled back) propagate and are not recorded.
 */
export class IdempotencyCoordinator {
  private readonly inFlight = new Map<string, { hash: string; promise: Promise<StoredOutcome> }>();
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

  run(key: string, hash: string, attempt: () => Promise<Attempt>): Promise<StoredOutcome> {
    const shared = this.inFlight.get(key);
    if (shared) {
      if (shared.hash !== hash) return Promise.reject(idempotencyKeyReused(key));
      return shared.promise;
    }
    const promise = this.drive(key, hash, attempt);
    const entry = { hash, promise };
    this.inFlight.set(key, entry);
    const forget = (): void => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async drive(key: string, hash: string, attempt: () => Promise<Attempt>): Promise<StoredOutcome> {
    const recorded = await this.store.getIdempotencyRecord(key);
    if (recorded) {
      const outcome = this.done(key, hash, recorded);
      if (outcome) return outcome;
    }
    for (;;) {
      const result = await attempt();
      if ('outcome' in result) return result.outcome;
      const outcome = this.done(key, hash, result.taken) ?? (await this.waitForOther(key, hash));
      if (outcome) return outcome;
      // The other holder released the key (its request was rejected): try again.
    }
  }

  /** The recorded outcome when the record is done; throws when it belongs to other parameters. */
  private done(key: string, hash: string, record: IdempotencyRecord): StoredOutcome | null {
    if (record.requestHash !== hash) throw idempotencyKeyReused(key);
    if (record.state !== 'done') return null;
    if (!isStoredOutcome(record.response)) throw keyInProgress(key, 'has a recorded outcome this version cannot read');
    return record.response;
  }

  /** Polls the record another process holds until it is done (outcome) or gone (null). */
  private async waitForOther(key: string, hash: string): Promise<StoredOutcome | null> {
    const deadline = Date.now() + this.waitTimeoutMs;
    let delay = this.pollMs;
    for (;;) {
      await sleep(delay);
      const record = await this.store.getIdempotencyRecord(key);
      if (!record) return null;
      const outcome = this.done(key, hash, record);
      if (outcome) return outcome;
      if (Date.now() >= deadline) {
        throw keyInProgress(key, 'is still in progress elsewhere (it may be waiting for reconciliation)');
      }
      delay = Math.min(delay * 2, this.maxPollMs);
    }
  }
}
