import { GATEWAY_OPERATION_HOOKS } from '../plugin/hooks.js';
import { asNativePromise, isThenable, type HookFn } from './hook-dispatch.js';
import { TapViolation } from './plugin-failure.js';

// How a money hook's failure is told apart: a throw before anything outside the process answered (nothing
// async ran) from a rejection that came later (the plugin may have reached the processor first).

const OPERATION_HOOKS: ReadonlySet<string> = new Set<string>(GATEWAY_OPERATION_HOOKS);

/** Whether `hookName` moves money (processPayment, authorizePayment, capturePayment, refundPayment, voidPayment, confirmPayment). */
export function isOperationHook(hookName: string): boolean {
  return OPERATION_HOOKS.has(hookName);
}

/**
 * A money hook as the pipeline taps it. A plugin's `async processPayment()`
 * that throws before anything outside the process answered it (a token it
 * cannot use, an amount it cannot send, checked before its first network
 * call, even through `return this.operate(...)` and other awaits of its own
 * promises) rejects before the event loop turns: as for a plain function that
 * throws, nothing async ran, so it is reported the same way,
 * TapViolation('threw'), a final failure. A rejection that comes later (an
 * SDK error on a dropped connection, a TypeError reading the processor's
 * answer) may follow a charge the processor made: it stays a rejection, which
 * the manager answers as an unknown outcome (responses.ts).
 *
 * "Before the event loop turns" is read with a next tick queued from a
 * microtask: Node runs the next-tick queue queued during a microtask only once
 * the microtask queue is empty (the plugin's own awaits of settled promises,
 * however deep, included), and always before any timer, I/O callback or
 * immediate. A rejection seen before that tick cannot follow any answer from
 * outside the process; one seen after it may.
 * A synchronous throw and a non-promise go through unchanged: invokeTap
 * reports them as for any hook.
 */
export function operationTap(plugin: object, fn: HookFn): HookFn {
  return (input, previousValue) => {
    const result = fn.call(plugin, input, previousValue);
    if (!isThenable(result)) return result;
    let turned = false;
    queueMicrotask(() =>
      process.nextTick(() => {
        turned = true;
      }),
    );
    return asNativePromise(result).then(undefined, (err: unknown) => {
      throw turned ? err : new TapViolation('threw', err);
    });
  };
}
