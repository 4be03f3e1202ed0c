import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { MemoryLedgerStore, PaymentService, PluginManager, fromMinorUnits, silentLogger, type LedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { CHANNEL, GATEWAY } from './helpers.js';
import { drive, invoke, note, perform, scenarioArb, type Answer, type Call, type Config, type Run } from './support/concurrent-actions.js';
import { checkAll, deliverAll, paymentIdOf, settleHeldRows } from './support/concurrent-checks.js';
import { HOOK_TIMEOUT_MS, SchedDummy } from './support/sched-dummy.js';

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
 * Knobs for longer runs: MODEL_RUNS (memory, default 120), MODEL_PGLITE_RUNS (default 10; 0 skips
 * the PGlite suite), MODEL_SEED, MODEL_FOCUS=1 (captures, dashboard refunds, deliveries) or 2 (3-D
 * Secure), MODEL_SLOW=0 (no late calls). A failure prints its trace, the dummy's log and the schedule.
 */

type Kind = 'memory' | 'pglite';
const RUNS: Record<Kind, number> = { memory: Number(process.env['MODEL_RUNS'] ?? 120), pglite: Number(process.env['MODEL_PGLITE_RUNS'] ?? 10) };
const SEED = Number(process.env['MODEL_SEED'] ?? 7);

for (const kind of (['memory', 'pglite'] as const).filter((k) => RUNS[k] > 0)) {
  describe(`ledger: concurrent interleavings against the dummy (fc.scheduler, ${kind} store)`, function () {
    this.timeout(600_000);
    let store: LedgerStore | null = null;
    const managers = new Map<string, PluginManager>();
    const manager = (cfg: Config): PluginManager => {
      const id = `${cfg.autoCapture}/${cfg.multi}`;
      let found = managers.get(id);
      if (!found) {
        const configuration = { supported_currencies: 'USD', auto_capture: cfg.autoCapture, supports_multiple_captures: cfg.multi };
        found = new PluginManager({
          plugins: [SchedDummy],
          hookTimeoutMs: HOOK_TIMEOUT_MS,
          logger: silentLogger(),
          config: { channels: [{ slug: CHANNEL, currencies: ['USD'], plugins: { [GATEWAY]: { active: true, configuration } } }] },
        });
        managers.set(id, found);
      }
      return found;
    };
    before(async () => {
      // One PGlite database for the whole run (creating one per run would dominate); each run has its own payment.
      if (kind === 'pglite') store = await openMigratedPgliteStore();
    });
    after(async () => {
      for (const m of managers.values()) await m.close();
      await store?.close();
    });

    it('ledger == dummy, replays identical, nothing left pending, whatever the interleaving', async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, { cfg, batches, payEvents, slowPlan }) => {
          SchedDummy.reset();
          SchedDummy.slowPlan = [...slowPlan];
          const runStore = store ?? new MemoryLedgerStore();
          const m = manager(cfg);
          const services = Array.from({ length: cfg.twoServices ? 2 : 1 }, () => new PaymentService({ manager: m, store: runStore }));
          const run: Run = { cfg, services, paymentId: '', calls: [], delivered: new Set(), trace: [], problems: [] };
          SchedDummy.sched = s;
          try {
            const input = { idempotencyKey: `k-${randomUUID()}`, channel: CHANNEL, total: fromMinorUnits(cfg.totalMinor, 'USD').toString(), currency: 'USD', token: DUMMY_TOKENS[cfg.card], action: cfg.action };
            const payCall: Call = { op: 'pay', input, first: null, label: 'pay' };
            run.calls.push(payCall);
            let payAnswer: Answer | null = null;
            // Events of the charge may arrive before its answer.
            const paying = invoke(run, 0, payCall).then((a) => (payAnswer = a));
            await drive(s, Promise.all([paying, ...payEvents.map((e) => perform(run, e))]));
            note(run, payCall, payAnswer!, 'pay #0');
            run.paymentId = await paymentIdOf(services[0]!, payCall);
            await deliverAll(run);
            await settleHeldRows(run);
            await checkAll(run, 'after pay');
            for (const [bi, batch] of batches.entries()) {
              run.trace.push(`-- batch ${bi}`);
              await drive(s, Promise.all(batch.map((a) => perform(run, a))));
              await deliverAll(run);
              await settleHeldRows(run);
              await deliverAll(run);
              await checkAll(run, `after batch ${bi}`);
              if (run.problems.length > 0) break;
            }
            // Every recorded call replays its first answer.
            for (const [i, call] of run.calls.entries()) if (call.first) note(run, call, await invoke(run, 0, call), `final replay #${i} ${call.label}`);
          } finally {
            SchedDummy.sched = null;
          }
          if (run.problems.length > 0) {
            const schedule = s.report().map((t) => t.label).join(' | ');
            throw new Error(`${run.problems.join('\n')}\nconfig ${JSON.stringify(cfg)}\ntrace:\n${run.trace.join('\n')}\ndummy:\n${SchedDummy.log.join('\n')}\nschedule: ${schedule}`);
          }
        }),
        { seed: SEED, numRuns: RUNS[kind] },
      );
    });
  });
}
