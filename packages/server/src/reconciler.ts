import type { Logger, PaymentService } from '@payhost/core';

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
}

export interface Reconciler {
  /** One pass now (at start-up, before the server accepts requests). */
  runOnce(): Promise<void>;
  /**
   * Stops the periodic passes and aborts the one in progress between transactions: it resolves once the
   * transaction being resolved is done (at most one gateway call, up to hookTimeoutMs), not the whole pass.
   * The transactions it did not reach stay as they are for the next start.
   */
  stop(): Promise<void>;
}

/**
 * Runs `PaymentService.reconcile()` at start-up and then periodically, never
 * two passes at once. A failed pass is logged and retried at the next tick:
 * reconciliation must not take the server down.
 */
export function startReconciler(payments: PaymentService, logger: Logger, options: ReconcilerOptions): Reconciler {
  let running: Promise<void> | null = null;
  let stopped = false;
  const stopping = new AbortController();

  const pass = async (): Promise<void> => {
    try {
      const report = await payments.reconcile({ minAgeMs: options.minAgeMs, signal: stopping.signal });
      const level = report.failed.length > 0 ? 'warn' : report.applied.length > 0 || report.review.length > 0 ? 'info' : 'debug';
      const stoppedEarly = stopping.signal.aborted;
      logger[level]({ report, minAgeMs: options.minAgeMs, ...(stoppedEarly ? { stopped: true } : {}) }, stoppedEarly ? 'reconciled pending transactions until shutdown' : 'reconciled pending transactions');
    } catch (err) {
      logger.error({ err }, 'reconciliation pass failed; retrying at the next interval');
    }
  };
  const runOnce = (): Promise<void> => {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped && running === null) void runOnce();
  }, options.intervalMs);
  // The timer alone must not keep a process alive.
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
