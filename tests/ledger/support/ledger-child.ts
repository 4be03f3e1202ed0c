// A payhost host in a child process, for cross-process and crash tests. Run:
//   node --import=tsx tests/ledger/support/ledger-child.ts '<ChildTask JSON>'
// It opens its own store, plugin manager (the file processor) and
// PaymentService, and reports on stdout, one JSON ChildMessage per line.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PaymentService, type FaultContext, type FaultHooks, type FaultPoint, type OperationResult } from '@payhost/core';
import { CHANNEL, openStore, processorManager } from './env.js';
import type { ChildMessage, ChildTask, CrashTask, RefundsTask, Step, StepResult } from './protocol.js';

function send(message: ChildMessage): void {
  // Synchronous: the line is in the pipe before a SIGKILL that may follow.
  writeSync(1, `${JSON.stringify(message)}\n`);
}

function describeError(err: unknown): StepResult {
  const e = err as { code?: unknown; message?: unknown };
  return { ok: false, code: typeof e.code === 'string' ? e.code : 'untyped', message: String(e.message ?? err) };
}

function describeResult(result: OperationResult): StepResult {
  return {
    ok: true,
    paymentId: result.payment.id,
    transactionId: result.transaction.id,
    chargeStatus: result.payment.chargeStatus,
    capturedAmount: result.payment.capturedAmount.toString(),
    amount: result.transaction.amount.toString(),
  };
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'go') {
        lines.close();
        resolve();
      }
    });
    lines.on('close', () => resolve());
    lines.on('error', reject);
  });
}

async function refunds(task: RefundsTask, service: PaymentService): Promise<void> {
  send({ type: 'ready', pid: process.pid });
  await waitForGo();
  const keys = Array.from({ length: task.count }, (_, i) => `${task.keyPrefix}-${i}`);
  const settled = await Promise.allSettled(keys.map((key) => service.refund({ paymentId: task.paymentId, idempotencyKey: key, amount: task.amount })));
  send({
    type: 'results',
    results: settled.map((s, i) => ({ key: keys[i] as string, ...(s.status === 'fulfilled' ? describeResult(s.value) : describeError(s.reason)) })),
  });
}

async function runStep(service: PaymentService, step: Step, paymentId: string | undefined): Promise<StepResult> {
  const id = (step.op !== 'create' && step.op !== 'reconcile' ? step.paymentId : undefined) ?? paymentId ?? '';
  switch (step.op) {
    case 'create': {
      const payment = await service.createPayment({ idempotencyKey: step.key, channel: CHANNEL, total: step.total, currency: 'USD', token: step.token ?? 'fp_card' });
      return { ok: true, paymentId: payment.id, chargeStatus: payment.chargeStatus };
    }
    case 'process':
      return describeResult(await service.process({ paymentId: id, idempotencyKey: step.key }));
    case 'authorize':
      return describeResult(await service.authorize({ paymentId: id, idempotencyKey: step.key }));
    case 'void':
      return describeResult(await service.void({ paymentId: id, idempotencyKey: step.key }));
    case 'capture':
      return describeResult(await service.capture({ paymentId: id, idempotencyKey: step.key, amount: step.amount }));
    case 'refund':
      return describeResult(await service.refund({ paymentId: id, idempotencyKey: step.key, amount: step.amount }));
    case 'reconcile': {
      const report = await service.reconcile({ minAgeMs: 0 });
      return { ok: true, message: JSON.stringify(report) };
    }
  }
}

async function crash(task: CrashTask, armed: { on: boolean }, service: PaymentService): Promise<void> {
  let paymentId: string | undefined;
  for (const [index, step] of task.steps.entries()) {
    armed.on = index === task.steps.length - 1;
    let result: StepResult;
    try {
      result = await runStep(service, step, paymentId);
    } catch (err) {
      result = describeError(err);
    }
    if (step.op === 'create' && result.paymentId) paymentId = result.paymentId;
    send({ type: 'step', index, result });
  }
  send({ type: 'done' });
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as ChildTask;
  const armed = { on: false };
  const target = task.task === 'crash' ? (task.steps.at(-1)?.op ?? '') : '';
  const faults: FaultHooks = {};
  if (task.task === 'crash') {
    faults[task.point] = (context: FaultContext) => {
      if (!armed.on || context.operation !== target) return;
      send({ type: 'crashing', point: context.point as FaultPoint, operation: context.operation, paymentId: context.paymentId, transactionId: context.transactionId });
      process.kill(process.pid, 'SIGKILL');
    };
  }
  const store = await openStore(task.store);
  const manager = processorManager({ stateDir: task.processorDir, autoCapture: task.autoCapture ?? true });
  const service = new PaymentService({ manager, store, faults });
  try {
    if (task.task === 'refunds') await refunds(task, service);
    else await crash(task, armed, service);
  } finally {
    await manager.close();
    await store.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    send({ type: 'error', message: String((err as Error)?.message ?? err), stack: (err as Error)?.stack ?? '' });
    process.exit(1);
  },
);
