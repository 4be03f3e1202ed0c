import { ERROR_CODES, PayhostError } from '@payhost/core';
import type pg from 'pg';
import { QueryTimeoutError } from './unavailable.js';

/** How long one exchange with the database may wait for its answer unless the store is told otherwise. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** How long one exchange of a migration run may wait for its answer: a schema change can take minutes on a big ledger. */
export const DEFAULT_MIGRATION_TIMEOUT_MS = 300_000;
/** The readiness check's own bound (`ping()`), never longer than the exchanges'. */
export const DEFAULT_PING_TIMEOUT_MS = 5_000;
/** The longest delay a Node timer takes (a larger one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** A bound in milliseconds given as an option: a whole number from 0 (none) to MAX_TIMER_MS. */
export function checkTimeout(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TIMER_MS) return value;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `postgres store: ${option} must be a whole number of milliseconds from 0 (no bound) to ${MAX_TIMER_MS}, not ${JSON.stringify(value)}`,
    { option },
  );
}

/**
 * `work`, or `timedOut()`'s error once `timeoutMs` passed without it settling. `work` goes on (it must end
 * by itself: bounded, or cleaning up after itself); its late failure is consumed.
 */
export function within<T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The socket under a pg client (pg exposes no public way to close it). */
function destroySocket(client: pg.PoolClient, error: Error): void {
  (client as unknown as { connection?: { stream?: { destroy(error?: Error): void } } }).connection?.stream?.destroy(error);
}

/**
 * Bounds each exchange on one checked-out client. When one gets no answer in time, the client's socket is
 * destroyed at once: every statement in flight on it fails, nothing can arrive late, and the session gives
 * the client back as broken, so the pool discards it. pg's own `query_timeout` does not: without pipeline
 * mode it leaves the connection waiting for the late answer and the client goes back to the pool (the next
 * request waits behind the stalled statement); in pipeline mode it closes the socket, but the client still
 * looks usable when it is given back, and the next request handed it fails. Its "Query read timeout" is
 * not recognisably a connection failure either.
 */
export class ExchangeDeadline {
  /** Set once an exchange timed out: later ones fail at once, and the client must not go back to the pool. */
  timedOut: QueryTimeoutError | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    /** 0: no bound. */
    private readonly timeoutMs: number,
  ) {}

  /** Runs `exchange` (what the client sends and waits for), failing with QueryTimeoutError after timeoutMs. */
  run<T>(exchange: () => Promise<T>): Promise<T> {
    if (this.timedOut) return Promise.reject(this.timedOut);
    const answer = exchange();
    if (this.timeoutMs === 0) return answer;
    return within(answer, this.timeoutMs, () => {
      const error = new QueryTimeoutError(this.timeoutMs);
      this.timedOut ??= error;
      destroySocket(this.client, error);
      return error;
    });
  }
}
