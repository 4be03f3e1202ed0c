import type { Logger, PaymentService, ReconcileReport } from '@payhost/core';

export interface ReconcilerOptions {
  /**
   * Leave pending transactions younger than this alone: with several
   * instances on one database, a young one may be another instance's gateway
   * call still in flight, and asking the gateway about it too early can
   * record "never received" for a call that is about to succeed.
   */
  minAgeMs: number;
  /** How often to look again (pending transactions too young at start-up are picked up later). */
  intervalMs: number;
  /**
   * Bounds the start-up pass (runStartup), in ms: the transactions it did not reach by then are left to the
   * periodic passes. Default: none.
   */
  startupBudgetMs?: number;
  /**
   * Bounds each periodic pass (runOnce), in ms: once spent, the rest is left to the next pass (reported
   * `skipped`), so a ledger with thousands of rows to ask about never runs one pass for longer than this (plus
   * the gateway call then in progress). Default: `intervalMs`.
   */
  periodicBudgetMs?: number;
}

/** How many ids of each list of a pass's report its log line names (the counts are all there). */
export const REPORT_LOG_SAMPLE = 20;

/**
 * A pass's report as its log line carries it: the number of rows of each outcome, and the first
 * REPORT_LOG_SAMPLE ids of each non-empty one (`sample`), not every id: thousands of charges still pending
 * would make each line hundreds of KB.
 */
export function reportForLog(report: ReconcileReport): { report: Record<keyof ReconcileReport, number>; sample: Partial<Record<Exclude<keyof ReconcileReport, 'checked'>, string[]>> } {
  const lists = ['applied', 'review', 'held', 'skipped', 'failed'] as const;
  const counts = { checked: report.checked } as Record<keyof ReconcileReport, number>;
  const sample: Partial<Record<(typeof lists)[number], string[]>> = {};
  for (const list of lists) {
    counts[list] = report[list].length;
    if (report[list].length > 0) sample[list] = report[list].slice(0, REPORT_LOG_SAMPLE);
  }
  return { report: counts, sample };
}

export interface Reconciler {
  /**
   * The start-up pass, before the server accepts requests: only what a crash left (transactions still
   * `pending`, and those held for review), within `startupBudgetMs`. Refunds still ongoing and charges answered
   * `pending` (a bank transfer may stay so for days, each asked about with one gateway call of up to
   * hookTimeoutMs) are left to the periodic passes, so they never hold up the start (or a liveness probe).
   */
  runStartup(): Promise<void>;
  /** One full pass now: everything reconciliation looks at (what the periodic passes run), within `periodicBudgetMs`. */
  runOnce(): Promise<void>;
  /**
   * Stops the periodic passes and aborts the one in progress between transactions: it resolves once the
   * transaction being resolved is done (at most one gateway call, up to hookTimeoutMs), not the whole pass.
   * The transactions it did not reach stay as they are for the next start.
   */
  stop(): Promise<void>;
}

/**
 * Runs `PaymentService.reconcile()` at start-up (what a crash left only) and then
 * periodically (everything), never two passes at once. A failed pass is logged and retried at the next tick:
 * reconciliation must not take the server down.
 */
export function startReconciler(payments: PaymentService, logger: Logger, options: ReconcilerOptions): Reconciler {
  let running: Promise<void> | null = null;
  let stopped = false;
  const stopping = new AbortController();

  const pass = async (startup: boolean): Promise<void> => {
    try {
      const budgetMs = startup ? options.startupBudgetMs : (options.periodicBudgetMs ?? options.intervalMs);
      const scope = { ...(startup ? { settling: false } : {}), ...(budgetMs === undefined ? {} : { budgetMs }) };
      const report = await payments.reconcile({ minAgeMs: options.minAgeMs, signal: stopping.signal, ...scope });
      const level = report.failed.length > 0 ? 'warn' : report.applied.length > 0 || report.review.length > 0 ? 'info' : 'debug';
      const stoppedEarly = stopping.signal.aborted;
      logger[level]({ ...reportForLog(report), minAgeMs: options.minAgeMs, ...(startup ? { startup: true } : {}), ...(stoppedEarly ? { stopped: true } : {}) }, stoppedEarly ? 'reconciled pending transactions until shutdown' : 'reconciled pending transactions');
    } catch (err) {
      logger.error({ err }, 'reconciliation pass failed; retrying at the next interval');
    }
  };
  const run = (startup: boolean): Promise<void> => {
    running ??= pass(startup).finally(() => {
      running = null;
    });
    return running;
  };
  const runOnce = (): Promise<void> => run(false);

  const timer = setInterval(() => {
    if (!stopped && running === null) void runOnce();
  }, options.intervalMs);
  // The timer alone must not keep a process alive.
  timer.unref();

  return {
    runStartup: () => run(true),
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
