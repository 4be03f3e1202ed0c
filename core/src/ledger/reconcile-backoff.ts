import type { LedgerContext } from './context.js';
import type { Transaction } from './model.js';

/** The longest wait between two questions about one row reconciliation keeps asking about (its backoff). */
export const RECONCILE_MAX_WAIT_MS = 6 * 60 * 60 * 1000;
/** Younger than this, a row is asked about at every pass. */
const EVERY_PASS_MS = 10 * 60 * 1000;

/**
 * What reconciliation keeps asking the gateway about, pass after pass, each group with its own memory:
 * transactions held for review, refunds still ongoing, charges answered `pending`.
 */
export type BackoffGroup = 'review' | 'refund' | 'charge';

/** When each row was last looked at, per ledger and group, in this process. */
const lastAsked = new WeakMap<LedgerContext, Map<BackoffGroup, Map<string, number>>>();

/**
 * The wait after a question about `row`, by its age at `now`: none while it is younger than 10 minutes, then a
 * tenth of its age (every 6 minutes at one hour, every 2.4 hours at one day), at most 6 hours.
 */
export function waitAfterAsking(row: Pick<Transaction, 'createdAt'>, now: number): number {
  const age = now - row.createdAt.getTime();
  return age < EVERY_PASS_MS ? 0 : Math.min(RECONCILE_MAX_WAIT_MS, age / 10);
}

/**
 * One pass's view of a group's backoff. A row the gateway may never settle (a bank transfer that failed: the
 * payment stays `pending` for a person; a transaction held for review the gateway cannot tell about) would
 * otherwise be asked about at every pass for good, a processor call a minute for each: after a question it is
 * not `due` again before waitAfterAsking. Kept in memory: a restart asks again at once.
 *
 * Built once per pass from the rows the pass listed (forPass), which forgets the rows no longer listed in one
 * walk of the memory; `due` then reads it and `asked` records a question, each in constant time. A row is recorded
 * only once looked at: one a spent budget or an abort left unreached stays due for the next pass, so rows
 * asked about go behind those that were not and a pass with a budget does not starve the same rows every time.
 */
export class AskBackoff {
  private constructor(
    private readonly ctx: LedgerContext,
    private readonly times: Map<string, number>,
  ) {}

  /** The backoff of `group` for a pass over `listed` (every row of that group the pass lists); the others are forgotten. */
  static forPass(ctx: LedgerContext, group: BackoffGroup, listed: readonly Pick<Transaction, 'id'>[]): AskBackoff {
    let groups = lastAsked.get(ctx);
    if (!groups) lastAsked.set(ctx, (groups = new Map()));
    const previous = groups.get(group);
    const times = new Map<string, number>();
    if (previous && previous.size > 0) {
      for (const row of listed) {
        const last = previous.get(row.id);
        if (last !== undefined) times.set(row.id, last);
      }
    }
    groups.set(group, times);
    return new AskBackoff(ctx, times);
  }

  /** Whether the gateway may be asked about `row` now: never asked in this process, or its wait is over. */
  due(row: Pick<Transaction, 'id' | 'createdAt'>): boolean {
    const last = this.times.get(row.id);
    if (last === undefined) return true;
    const now = this.ctx.now().getTime();
    return now - last >= waitAfterAsking(row, now);
  }

  /**
   * `rows` in the order a pass should ask about them (fair rotation): those never asked about in this process
   * first, then the least recently asked, each by age (oldest first; ties keep `rows`' order). A pass whose
   * budget is spent before the end so reaches the others at its next passes, even when every row is due at
   * every pass (younger than 10 minutes, or a transaction left `pending`, always asked about).
   */
  order<T extends Pick<Transaction, 'id' | 'createdAt'>>(rows: readonly T[]): T[] {
    const last = (row: T): number => this.times.get(row.id) ?? Number.NEGATIVE_INFINITY;
    return [...rows].sort((a, b) => last(a) - last(b) || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Records that `row` was looked at (asked about, or tried and failed) now. */
  asked(row: Pick<Transaction, 'id'>): void {
    this.times.set(row.id, this.ctx.now().getTime());
  }
}
