import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PaymentService, PluginManager, fromMinorUnits, silentLogger, type LedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { CHANNEL, GATEWAY } from '../helpers.js';
import { drive, invoke, note, perform, scenarioArb, type Answer, type Call, type Config, type Run } from './concurrent-actions.js';
import { checkAll, deliverAll, paymentIdOf, settleHeldRows } from './concurrent-checks.js';
import { HOOK_TIMEOUT_MS, SchedDummy } from './sched-dummy.js';

/**
 * The concurrent model's property (concurrent-model.test.ts, concurrent-model-postgres.test.ts),
 * registered inside the caller's describe, against the stores `stores` gives.
 */
export interface ModelStores {
  /** Opens what the whole property uses (a `before` hook): one database, each run has its own payment. */
  open(): Promise<void>;
  /** The store of each service of a run (one, or two when cfg.twoServices): the same store, or one per pool. */
  forRun(cfg: Config): LedgerStore[];
  close(): Promise<void>;
}

export interface ModelOptions {
  numRuns: number;
  seed: number;
  /** Every run has two services (cfg.twoServices forced), each on the store forRun gives it. */
  alwaysTwoServices?: boolean;
}

export function concurrentModelProperty(stores: ModelStores, options: ModelOptions): void {
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
  before(() => stores.open());
  after(async () => {
    for (const m of managers.values()) await m.close();
    await stores.close();
  });
  const scenarios = options.alwaysTwoServices ? scenarioArb.map((s) => ({ ...s, cfg: { ...s.cfg, twoServices: true } })) : scenarioArb;

  it('ledger == dummy, replays identical, nothing left pending, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenarios, async (s, { cfg, batches, payEvents, slowPlan }) => {
        SchedDummy.reset();
        SchedDummy.slowPlan = [...slowPlan];
        const m = manager(cfg);
        const services = stores.forRun(cfg).map((store) => new PaymentService({ manager: m, store }));
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
      { seed: options.seed, numRuns: options.numRuns },
    );
  });
}
