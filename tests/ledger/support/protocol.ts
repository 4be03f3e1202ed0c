import type { FaultPoint } from '@payhost/core';
import type { StoreSpec } from './env.js';

/** One step a child runs through its own PaymentService. */
export type Step =
  | { op: 'create'; key: string; total: string; token?: string }
  | { op: 'process' | 'authorize' | 'void'; key: string; paymentId?: string }
  | { op: 'capture' | 'refund'; key: string; amount: string; paymentId?: string }
  | { op: 'reconcile' };

export interface ChildBase {
  store: StoreSpec;
  processorDir: string;
  autoCapture?: boolean;
}

/**
 * `refunds`: after "ready", wait for "go" on stdin, then run `count` refunds
 * of `amount` at once (distinct keys) and report each result.
 */
export interface RefundsTask extends ChildBase {
  task: 'refunds';
  paymentId: string;
  count: number;
  amount: string;
  keyPrefix: string;
}

/**
 * `crash`: run the steps in order (a step without paymentId uses the payment
 * the last `create` made); during the last step, SIGKILL this process at
 * `point` when the operation matches (the operation is 'reconcile' for a
 * reconcile step).
 */
export interface CrashTask extends ChildBase {
  task: 'crash';
  steps: Step[];
  point: FaultPoint;
}

export type ChildTask = RefundsTask | CrashTask;

/** What a step returned: the result's ids and amounts, or the typed error's code. */
export interface StepResult {
  ok: boolean;
  code?: string;
  message?: string;
  paymentId?: string;
  transactionId?: string;
  chargeStatus?: string;
  capturedAmount?: string;
  amount?: string;
}

export type ChildMessage =
  | { type: 'ready'; pid: number }
  | { type: 'step'; index: number; result: StepResult }
  | { type: 'results'; results: Array<StepResult & { key: string }> }
  | { type: 'crashing'; point: FaultPoint; operation: string; paymentId: string; transactionId: string }
  | { type: 'done' }
  | { type: 'error'; message: string; stack?: string };
