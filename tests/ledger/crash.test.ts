import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PaymentService, type FaultPoint, type LedgerStore, type OperationResult, type PluginManager, type Transaction } from '@payhost/core';
import { expectLedgerMatchesProcessor } from './support/assertions.js';
import { runChild } from './support/children.js';
import { GATEWAY, openStore, processorManager, type StoreSpec } from './support/env.js';
import { ProcessorJournal } from './support/file-processor.js';
import { describePostgres } from './support/postgres.js';
import type { ChildMessage, Step } from './support/protocol.js';
import { copyMigratedDataDir } from '../support/pglite-template.js';

/**
 * Issue 3, "Must show" 5: a host process SIGKILLed between the gateway call
 * and the ledger update — at each fault point of the operation runner
 * (FaultHooks: after-pending, after-gateway, after-apply) and of reconcile()
 * itself — loses no payment and charges nothing twice once it is restarted
 * and reconcile() has run.
 *
 * The child (support/ledger-child.ts) is a whole host: its own store on the
 * same PGlite data directory or PostgreSQL schema, plugin manager and
 * PaymentService. It runs a few set-up operations, then the operation under
 * test, and kills itself with SIGKILL at the fault point. The gateway is the
 * file-backed processor (support/file-processor.ts): it performs each gateway
 * idempotency key at most once and records what it did on disk, so after the
 * crash this process can ask it what happened (getTransactionStatus), and
 * "charged twice" is observable in its journal.
 */

const POINTS: FaultPoint[] = ['after-pending', 'after-gateway', 'after-apply'];

type Op = 'process' | 'authorize' | 'capture' | 'refund' | 'void';
/** A money operation step (what a client retries with its idempotency key). */
type OpStep = Extract<Step, { op: Op }>;

interface Scenario {
  op: Op;
  /** Steps before the operation under test (the first creates the payment). */
  setup: () => Step[];
  final: (key: string) => OpStep;
}

const create = (): Step => ({ op: 'create', key: `create-${randomUUID()}`, total: '10.00' });
const SCENARIOS: Scenario[] = [
  { op: 'process', setup: () => [create()], final: (key) => ({ op: 'process', key }) },
  { op: 'authorize', setup: () => [create()], final: (key) => ({ op: 'authorize', key }) },
  { op: 'capture', setup: () => [create(), { op: 'authorize', key: `auth-${randomUUID()}` }], final: (key) => ({ op: 'capture', key, amount: '4.00' }) },
  { op: 'refund', setup: () => [create(), { op: 'process', key: `process-${randomUUID()}` }], final: (key) => ({ op: 'refund', key, amount: '3.00' }) },
  { op: 'void', setup: () => [create(), { op: 'authorize', key: `auth-${randomUUID()}` }], final: (key) => ({ op: 'void', key }) },
];

/** Runs one step of a child's script here, in the restarted host. */
function perform(service: PaymentService, step: OpStep, paymentId: string): Promise<OperationResult> {
  switch (step.op) {
    case 'process':
      return service.process({ paymentId, idempotencyKey: step.key });
    case 'authorize':
      return service.authorize({ paymentId, idempotencyKey: step.key });
    case 'void':
      return service.void({ paymentId, idempotencyKey: step.key });
    case 'capture':
      return service.capture({ paymentId, idempotencyKey: step.key, amount: step.amount });
    case 'refund':
      return service.refund({ paymentId, idempotencyKey: step.key, amount: step.amount });
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: string; message: string; errorCode?: string; transactionId?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  expect.fail('expected the promise to reject');
}

interface Crashed {
  paymentId: string;
  /** The ledger transaction of the operation the child was killed in. */
  transactionId: string;
  messages: ChildMessage[];
}

/**
 * `full`: every operation at every fault point, and the cannot-tell cases at
 * both points for process and refund (PostgreSQL: a case takes a second or
 * two). Otherwise (PGlite, where each case opens the data directory twice):
 * process and refund at every fault point, the others after the gateway
 * call, one cannot-tell case each.
 */
function crashSuite(backend: string, context: { spec: () => StoreSpec; processorDir: () => string; full: boolean }): void {
  const covered = (op: Op, point: FaultPoint): boolean => context.full || op === 'process' || op === 'refund' || point === 'after-gateway';
  const coveredReview = (op: Op, point: FaultPoint): boolean => context.full || (op === 'process' ? point === 'after-gateway' : point === 'after-pending');
  const journal = (): ProcessorJournal => new ProcessorJournal(context.processorDir());

  /** Runs the steps in a child that SIGKILLs itself at `point` during the last one. */
  async function crashChild(steps: Step[], point: FaultPoint): Promise<Crashed> {
    const run = await runChild({ task: 'crash', store: context.spec(), processorDir: context.processorDir(), steps, point });
    expect(run.signal, `the child should have been killed at ${point}: ${run.child.describe()}`).to.equal('SIGKILL');
    const crashing = run.messages.find((m) => m.type === 'crashing');
    if (!crashing || crashing.type !== 'crashing') throw new Error(`no "crashing" message: ${run.child.describe()}`);
    expect(crashing.point).to.equal(point);
    const done = run.messages.filter((m): m is Extract<ChildMessage, { type: 'step' }> => m.type === 'step');
    expect(done.map((m) => m.index), 'every set-up step ran, the last one did not finish').to.deep.equal(steps.slice(0, -1).map((_, i) => i));
    for (const m of done) expect(m.result.ok, JSON.stringify(m.result)).to.equal(true);
    return { paymentId: crashing.paymentId, transactionId: crashing.transactionId, messages: run.messages };
  }

  /** "Restarts" the host: a new store on the same database, a new manager and service. */
  async function restart<T>(fn: (h: { store: LedgerStore; service: PaymentService; manager: PluginManager }) => Promise<T>, canTell = true): Promise<T> {
    const store = await openStore(context.spec());
    const manager = processorManager({ stateDir: context.processorDir(), canTell });
    // A short wait for keys held by the dead process, so a premature retry answers quickly.
    const service = new PaymentService({ manager, store, idempotency: { waitTimeoutMs: 300, pollMs: 20 } });
    try {
      return await fn({ store, service, manager });
    } finally {
      await manager.close();
      await store.close();
    }
  }

  const requestsFor = (key: string): number => journal().requests().filter((r) => r.key === key).length;

  describe(`ledger crash safety on ${backend}: a host SIGKILLed at each fault point, restarted, reconciled`, function () {
    this.timeout(120_000);

    for (const scenario of SCENARIOS) {
      for (const point of POINTS.filter((p) => covered(scenario.op, p))) {
        it(`${scenario.op}, killed ${point}: reconcile() leaves nothing pending, nothing lost, nothing charged twice; the same key replays`, async () => {
          const final = scenario.final(`final-${randomUUID()}`);
          const crashed = await crashChild([...scenario.setup(), final], point);
          const { paymentId, transactionId } = crashed;

          await restart(async ({ store, service }) => {
            const [row] = (await store.listTransactions(paymentId)).filter((t) => t.id === transactionId);
            expect(row, 'the pending row survived the crash').to.not.equal(undefined);
            const gatewayKey = (row as Transaction).gatewayIdempotencyKey;
            const chargedBefore = journal().charges(paymentId).filter((c) => c.key === gatewayKey).length;
            expect(chargedBefore, 'the processor acted before the crash').to.equal(point === 'after-pending' ? 0 : 1);

            if (point === 'after-apply') {
              expect(row?.state).to.equal('applied');
            } else {
              expect(row?.state).to.equal('pending');
              expect((await store.getIdempotencyRecord(final.key))?.state).to.equal('in_flight');
              // A retry before reconciliation waits for the dead holder of the key, then is payment_busy; it never reaches the processor.
              const calls = requestsFor(gatewayKey);
              expect((await rejectionOf(perform(service, final, paymentId))).code).to.equal('payment_busy');
              expect(requestsFor(gatewayKey)).to.equal(calls);
            }

            const report = await service.reconcile({ minAgeMs: 0 });
            if (point === 'after-apply') expect(report.checked).to.equal(0);
            else expect(report).to.deep.include({ applied: [transactionId], review: [], skipped: [] });
            expect(await store.listPendingTransactions(), 'nothing pending').to.have.length(0);
            const after = (await store.listTransactions(paymentId)).find((t) => t.id === transactionId);
            expect(after?.state).to.equal('applied');
            // After the gateway call the processor's record says it succeeded; before it, that it never received it.
            expect(after?.isSuccess, `transaction ${transactionId} resolved as ${after?.isSuccess ? 'success' : after?.error}`).to.equal(point !== 'after-pending');
            await expectLedgerMatchesProcessor(store, journal(), paymentId);

            // The same API call with the same key, after the restart: the recorded result, no second call to the processor.
            const calls = requestsFor(gatewayKey);
            if (point === 'after-pending') {
              const err = await rejectionOf(perform(service, final, paymentId));
              expect(err).to.include({ code: 'gateway_declined', errorCode: 'processing_error', transactionId });
            } else {
              const replay = await perform(service, final, paymentId);
              expect(replay.transaction.id).to.equal(transactionId);
              expect(replay.transaction.isSuccess).to.equal(true);
              expect(replay.payment.version).to.equal((await store.getPayment(paymentId))?.version);
            }
            expect(requestsFor(gatewayKey), 'the retry did not reach the processor').to.equal(calls);
            expect(journal().charges(paymentId).filter((c) => c.key === gatewayKey)).to.have.length(chargedBefore);

            if (point === 'after-pending') {
              // Nothing was lost: the payment still takes the operation, once, under a new key.
              const again = await perform(service, { ...final, key: `again-${randomUUID()}` }, paymentId);
              expect(again.transaction.isSuccess).to.equal(true);
              expect(journal().charges(paymentId).filter((c) => c.operation === scenario.op)).to.have.length(1);
              await expectLedgerMatchesProcessor(store, journal(), paymentId);
            }
            expect(await store.listPendingTransactions()).to.have.length(0);
          });
        });
      }
    }

    for (const point of ['after-gateway', 'after-apply'] as const) {
      it(`reconcile() itself killed ${point}: the next reconcile() finishes the job, the processor acted once`, async () => {
        const first = await crashChild([create(), { op: 'process', key: `process-${randomUUID()}` }], 'after-gateway');
        await crashChild([{ op: 'reconcile' }], point);
        await restart(async ({ store, service }) => {
          const row = (await store.listTransactions(first.paymentId)).find((t) => t.id === first.transactionId);
          expect(row?.state).to.equal(point === 'after-apply' ? 'applied' : 'pending');
          const report = await service.reconcile({ minAgeMs: 0 });
          expect(report.applied).to.deep.equal(point === 'after-apply' ? [] : [first.transactionId]);
          expect(await store.listPendingTransactions()).to.have.length(0);
          await expectLedgerMatchesProcessor(store, journal(), first.paymentId);
          expect((await store.getPayment(first.paymentId))?.chargeStatus).to.equal('fully-charged');
          expect(journal().charges(first.paymentId)).to.have.length(1);
        });
      });
    }

    for (const op of ['process', 'refund'] as const) {
      for (const point of (['after-pending', 'after-gateway'] as const).filter((p) => coveredReview(op, p))) {
        it(`a gateway that cannot tell: ${op} killed ${point} goes to review, keeps its reservation, and a processor event resolves it`, async () => {
          const scenario = SCENARIOS.find((s) => s.op === op) as Scenario;
          const final = scenario.final(`final-${randomUUID()}`);
          const { paymentId, transactionId } = await crashChild([...scenario.setup(), final], point);
          let gatewayKey = '';
          await restart(async ({ store, service }) => {
            const report = await service.reconcile({ minAgeMs: 0 });
            expect(report).to.deep.include({ applied: [], review: [transactionId] });
            expect(await store.listPendingTransactions(), 'nothing pending').to.have.length(0);
            const row = (await store.listTransactions(paymentId)).find((t) => t.id === transactionId) as Transaction;
            expect(row.state).to.equal('review');
            gatewayKey = row.gatewayIdempotencyKey;
            // The ledger did not count it, whatever the processor did.
            await expectLedgerMatchesProcessor(store, journal(), paymentId, [gatewayKey]);
            if (op === 'refund') {
              // Its reservation holds: 10.00 captured, 3.00 under review, so 7.01 is too much.
              expect((await rejectionOf(service.refund({ paymentId, idempotencyKey: `more-${randomUUID()}`, amount: '7.01' }))).code).to.equal('amount_exceeds');
            } else {
              // Another charge waits for the review (payment_busy, held_for_review): it clears once the review is settled.
              expect((await rejectionOf(service.process({ paymentId, idempotencyKey: `again-${randomUUID()}` }))).code).to.equal('payment_busy');
            }
            // Its caller's key stays taken until the review is resolved (and nothing reaches the processor).
            const calls = requestsFor(gatewayKey);
            expect((await rejectionOf(perform(service, final, paymentId))).code).to.equal('payment_busy');
            expect(requestsFor(gatewayKey)).to.equal(calls);
          }, false);

          // The processor's record, delivered as an event (what an operator or a webhook would do), resolves the review.
          await restart(async ({ store, service }) => {
            const row = (await store.listTransactions(paymentId)).find((t) => t.id === transactionId) as Transaction;
            const status = journal().response(gatewayKey) ?? {
              isSuccess: false,
              kind: row.kind,
              amount: row.amount,
              errorCode: 'processing_error' as const,
              error: 'The processor never received this request',
            };
            const result = await service.applyGatewayEvent({
              gateway: GATEWAY,
              eventId: `evt-${randomUUID()}`,
              paymentId,
              gatewayIdempotencyKey: gatewayKey,
              response: status,
            });
            expect(result.status).to.equal('applied');
            expect(result.transaction?.id).to.equal(transactionId);
            await expectLedgerMatchesProcessor(store, journal(), paymentId);
            const replay = perform(service, final, paymentId);
            if (point === 'after-pending') expect((await rejectionOf(replay)).code).to.equal('gateway_declined');
            else expect((await replay).transaction.id).to.equal(transactionId);
            expect(journal().charges(paymentId).filter((c) => c.key === gatewayKey)).to.have.length(point === 'after-pending' ? 0 : 1);
          });
        });
      }
    }
  });
}

describe('ledger crash safety (PGlite data directory)', function () {
  this.timeout(120_000);
  let tmp = '';
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-ledger-crash-'));
    // An empty migrated database, copied (creating one takes seconds); each child and each restart reopens it.
    await copyMigratedDataDir(join(tmp, 'pgdata'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  crashSuite('PGlite', { spec: () => ({ kind: 'pglite', dataDir: join(tmp, 'pgdata') }), processorDir: () => join(tmp, 'processor'), full: false });
});

describePostgres('ledger crash safety', ({ url, newSchema }) => {
  let tmp = '';
  const schema = newSchema('crash');
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-ledger-crash-pg-'));
    const store = await openStore({ kind: 'postgres', url, schema });
    await store.close();
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  crashSuite('PostgreSQL', { spec: () => ({ kind: 'postgres', url, schema }), processorDir: () => join(tmp, 'processor'), full: true });
});
