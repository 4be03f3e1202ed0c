import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, PaymentService, PluginManager, createLogger, type FaultHooks } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { startReconciler } from '../src/reconciler.js';

const CHANNEL = 'web';

/** A ledger with one transaction left pending by a crash right after the reserve step, and a settable clock. */
async function crashedLedger() {
  const manager = new PluginManager({
    plugins: [DummyGatewayPlugin],
    config: { channels: [{ slug: CHANNEL, currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }] },
  });
  const store = new MemoryLedgerStore();
  let now = Date.parse('2026-11-22T10:00:00.000Z');
  const clock = () => new Date(now);
  const faults: FaultHooks = {
    'after-pending': () => {
      throw new Error('crash at after-pending');
    },
  };
  const crashing = new PaymentService({ manager, store, clock, faults });
  await crashing.pay({ idempotencyKey: 'order-1', channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success }).catch(() => undefined);
  const [pending] = await store.listPendingTransactions();
  expect(pending?.state).to.equal('pending');
  // "Restarted": a service without fault hooks on the same store and clock.
  const payments = new PaymentService({ manager, store, clock });
  return { manager, store, payments, pendingId: pending!.id, paymentId: pending!.paymentId, advance: (ms: number) => (now += ms) };
}

const silent = createLogger({ level: 'silent' });

describe('server reconciler (start-up and periodic reconcile passes)', () => {
  it('leaves pending transactions younger than minAgeMs alone (maybe another instance\'s call in flight), then resolves them once old enough', async () => {
    const { manager, store, payments, pendingId, paymentId, advance } = await crashedLedger();
    const reconciler = startReconciler(payments, silent, { minAgeMs: 60_000, intervalMs: 3_600_000 });
    try {
      await reconciler.runOnce();
      expect((await store.listPendingTransactions()).map((t) => t.id)).to.deep.equal([pendingId]);
      advance(60_000);
      await reconciler.runOnce();
      expect(await store.listPendingTransactions()).to.deep.equal([]);
      // The crash came before the gateway call: the dummy has no record of it, so it never took effect.
      const [transaction] = await store.listTransactions(paymentId);
      expect(transaction).to.deep.include({ id: pendingId, state: 'applied', isSuccess: false, errorCode: 'processing_error' });
      expect((await payments.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
    } finally {
      await reconciler.stop();
      await manager.close();
    }
  });

  it('runs periodically, one pass at a time, and stops', async () => {
    const { manager, store, payments } = await crashedLedger();
    // On a fake clock: each interval and each pass's duration happen exactly when the test advances it.
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let passes = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const counting = Object.create(payments) as PaymentService;
    counting.reconcile = async (options) => {
      passes += 1;
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        await new Promise((resolve) => setTimeout(resolve, 30)); // A pass spans six intervals.
        return await payments.reconcile(options);
      } finally {
        concurrent -= 1;
      }
    };
    try {
      // (A budget of the 5 ms interval, real time, could leave the row unreached on a slow machine.)
      const reconciler = startReconciler(counting, silent, { minAgeMs: 0, intervalMs: 5, periodicBudgetMs: 60_000 });
      try {
        await clock.tickAsync(100);
        expect(await store.listPendingTransactions()).to.deep.equal([]);
      } finally {
        // A pass may be in its 30 ms: stop() waits for it.
        await Promise.all([reconciler.stop(), clock.tickAsync(30)]);
        await manager.close();
      }
      expect(passes).to.be.greaterThan(1);
      expect(maxConcurrent).to.equal(1);
      const after = passes;
      await clock.tickAsync(1_000); // 200 intervals
      expect(passes, 'no pass after stop()').to.equal(after);
    } finally {
      clock.restore();
    }
  });

  it('runStartup resolves only what a crash left, within startupBudgetMs; the periodic passes (runOnce) everything, within periodicBudgetMs (default: intervalMs)', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const recording = { reconcile: async (options: Record<string, unknown>) => (seen.push({ ...options, signal: undefined }), { checked: 0, applied: [], review: [], held: [], skipped: [], failed: [] }) } as unknown as PaymentService;
    const reconciler = startReconciler(recording, silent, { minAgeMs: 60_000, intervalMs: 3_600_000, startupBudgetMs: 30_000 });
    await reconciler.runStartup();
    await reconciler.runOnce();
    await reconciler.stop();
    expect(seen).to.deep.equal([
      { minAgeMs: 60_000, signal: undefined, settling: false, budgetMs: 30_000 },
      // A pass over thousands of charges still pending ends within the interval; the next goes on.
      { minAgeMs: 60_000, signal: undefined, budgetMs: 3_600_000 },
    ]);
    seen.length = 0;
    const bounded = startReconciler(recording, silent, { minAgeMs: 0, intervalMs: 60_000, periodicBudgetMs: 20_000 });
    await bounded.runOnce();
    await bounded.stop();
    expect(seen).to.deep.equal([{ minAgeMs: 0, signal: undefined, budgetMs: 20_000 }]);
  });

  it('logs a pass\'s report as counts and the first 20 ids of each outcome, not every id (thousands of charges still pending)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, n) => `${prefix}-${String(n).padStart(36, '0')}`);
    const report = { checked: 5_003, applied: ids('a', 2), review: [], held: ids('h', 5_000), skipped: [], failed: ids('f', 1) };
    const reporting = { reconcile: async () => report } as unknown as PaymentService;
    const reconciler = startReconciler(reporting, logger, { minAgeMs: 0, intervalMs: 3_600_000 });
    await reconciler.runOnce();
    await reconciler.stop();
    const line = lines.find((l) => l.includes('"reconciled pending transactions"'));
    expect(line, 'the pass is logged').to.be.a('string');
    // 5,000 ids of 38 characters would make it about 200 KB.
    expect(line!.length).to.be.below(4_000);
    const logged = JSON.parse(line!) as Record<string, unknown>;
    expect(logged).to.deep.include({
      level: 40, // warn: one failed
      report: { checked: 5_003, applied: 2, review: 0, held: 5_000, skipped: 0, failed: 1 },
      sample: { applied: report.applied, held: report.held.slice(0, 20), failed: report.failed },
    });
  });

  it('logs a failed pass instead of throwing, and keeps the server up', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const failing = { reconcile: async () => Promise.reject(new Error('database unreachable')) } as unknown as PaymentService;
    const reconciler = startReconciler(failing, logger, { minAgeMs: 0, intervalMs: 3_600_000 });
    await reconciler.runOnce();
    await reconciler.stop();
    expect(lines.some((l) => l['msg'] === 'reconciliation pass failed; retrying at the next interval')).to.equal(true);
  });
});
