import { MemoryLedgerStore, type LedgerStore } from '@payhost/core';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { concurrentModelProperty } from './support/concurrent-suite.js';

/**
 * Property test: scheduler-driven interleavings (fc.scheduler) of PaymentService operations, webhook
 * events, replays and reconciliation on one payment, against the dummy gateway's own record. Every
 * gateway call is split in two scheduled points, "land" (the dummy acts) and "answer" (the host gets
 * the answer), so events and other calls arrive between them; some calls land only after the
 * manager stopped waiting (plugin_timeout). After each batch every event the dummy would have sent
 * is delivered (newest first), reconciliation runs, an operator settles what is still held as the
 * dummy shows it, and the ledger must equal the dummy; every recorded call then replays its first
 * answer. It found a refund event overtaking its capture's answer held for review for good
 * (refund-event-before-capture.test.ts).
 *
 * The property itself is support/concurrent-suite.ts; concurrent-model-postgres.test.ts runs it on
 * real PostgreSQL, with the two services on separate pools.
 *
 * Knobs for longer runs: MODEL_RUNS (memory, default 120), MODEL_PGLITE_RUNS (default 10; 0 skips
 * the PGlite suite), MODEL_POSTGRES_RUNS (default 100), MODEL_SEED, MODEL_FOCUS=1 (captures,
 * dashboard refunds, deliveries) or 2 (3-D Secure), MODEL_SLOW=0 (no late calls). A failure prints
 * its trace, the dummy's log and the schedule.
 */

type Kind = 'memory' | 'pglite';
const RUNS: Record<Kind, number> = { memory: Number(process.env['MODEL_RUNS'] ?? 120), pglite: Number(process.env['MODEL_PGLITE_RUNS'] ?? 10) };
const SEED = Number(process.env['MODEL_SEED'] ?? 7);

for (const kind of (['memory', 'pglite'] as const).filter((k) => RUNS[k] > 0)) {
  describe(`ledger: concurrent interleavings against the dummy (fc.scheduler, ${kind} store)`, function () {
    this.timeout(600_000);
    // One PGlite database for the whole run (creating one per run would dominate); each run has its own payment.
    let pglite: LedgerStore | null = null;
    concurrentModelProperty(
      {
        async open() {
          if (kind === 'pglite') pglite = await openMigratedPgliteStore();
        },
        forRun(cfg) {
          const store = pglite ?? new MemoryLedgerStore();
          return cfg.twoServices ? [store, store] : [store];
        },
        async close() {
          await pglite?.close();
        },
      },
      { seed: SEED, numRuns: RUNS[kind] },
    );
  });
}
