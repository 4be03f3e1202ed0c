import { types } from 'node:util';
import { AsyncSeriesWaterfallHook } from 'tapable';
import type { BasePlugin } from '../plugin/base-plugin.js';
import { CallWatchdog, type Watched } from './call-watchdog.js';
import { TapViolation, type PluginFailure, type PluginFailureReason } from './plugin-failure.js';

// One hook dispatch's state (Dispatch), the call of one tap (invokeTap), and
// the tapable hooks that thread them; HookPipeline (hook-pipeline.ts) starts
// dispatches and handles the slow path.

/** The watchdog a manager's pipelines share: it times their dispatches out and keeps the idle ones for reuse. */
export type HookWatchdog = CallWatchdog<Dispatch>;

export function createHookWatchdog(timeoutMs: number): HookWatchdog {
  return new CallWatchdog<Dispatch>(timeoutMs);
}

/** What a dispatch needs of the pipeline that started it (HookPipeline). */
export interface DispatchOwner {
  readonly watchdog: HookWatchdog;
  /** Called exactly once per dispatch, when its caller's promise is resolved. */
  settled(): void;
  /** The slow path after a plugin call failed or timed out. */
  recover(dispatch: Dispatch, reason: PluginFailureReason, error: unknown): Promise<void>;
}

/** Turns a failed plugin call into the value the pipeline continues with. */
export type Fallback<V> = (previousValue: V, failure: PluginFailure) => V;

export type HookFn = (input: unknown, previousValue: unknown) => unknown;

export interface Tap {
  pluginId: string;
  plugin: BasePlugin;
  fn: HookFn;
  /** `fn` is an async function of this realm (see returnsNativePromise): what it returns needs no check. */
  native: boolean;
}

const AsyncFunctionPrototype: unknown = Object.getPrototypeOf(async () => undefined);

/**
 * Whether every call of `fn` returns a native promise of this realm: true of
 * an async function (a plugin's `async hookName()`), checked by its kind as
 * the engine sees it, so a plain function whose prototype was set to look
 * async, a bound function, a proxy, an async generator (it returns an
 * iterator) or another realm's async function (another realm's Promise) is
 * not taken for one. Such a call's result is what `Promise.resolve` would
 * return unchanged, so invokeTap hands it to tapable without testing or
 * adopting it: measured 2-4% of a one-plugin dispatch.
 */
export function returnsNativePromise(fn: HookFn): boolean {
  return types.isAsyncFunction(fn) && Object.getPrototypeOf(fn) === AsyncFunctionPrototype;
}

export type TapableHook = AsyncSeriesWaterfallHook<[unknown, unknown, Dispatch]>;

/** A hook as one pipeline runs it: its plugins in order, and the tapable hook that threads them. */
export interface CompiledHook {
  name: string;
  taps: Tap[];
  hook: TapableHook;
}

/** Returned by taps of an abandoned (timed-out) dispatch so a late plugin never runs the rest of the chain. */
export const ABANDONED = Symbol('abandoned');
const abandonedResult = Promise.reject(ABANDONED);
abandonedResult.catch(() => undefined);

/**
 * The state of one hook dispatch, shared by its taps and the watchdog. A flat
 * class with every field set in the constructor: one allocation of a stable
 * shape, plus the callback tapable calls when the chain ends. Registered with
 * the manager's watchdog once; a dispatch that completed normally is kept in
 * the watchdog's `idle` list and reused: reusing one (and its `settle`
 * closure) instead of allocating them took a 1-plugin runHook from about 1.2x
 * to 1.06x the cost of raw tapable.
 */
export class Dispatch implements Watched {
  /** Index of the tap being called: identifies the call in progress for the watchdog. */
  callIndex = -1;
  seenIndex = -2;
  seenAt = 0;
  previousValue: unknown = undefined;
  done = false;
  retired = false;
  resolve: ((value: unknown) => void) | undefined = undefined;
  /** Null only while the dispatch is idle, waiting for reuse. */
  pipeline: DispatchOwner | null;
  compiled: CompiledHook | null;
  input: unknown;
  fallback: Fallback<unknown> | null;
  /** tapable's final callback for this dispatch. */
  readonly settle: (err: unknown, value?: unknown) => void;

  constructor(pipeline: DispatchOwner, compiled: CompiledHook, input: unknown, fallback: Fallback<unknown>) {
    this.pipeline = pipeline;
    this.compiled = compiled;
    this.input = input;
    this.fallback = fallback;
    this.settle = (err, value) => {
      if (this.done) return;
      const pipeline = this.pipeline as DispatchOwner;
      if (err === null || err === undefined) {
        this.done = true;
        const resolve = this.resolve as (value: unknown) => void;
        this.recycle(pipeline.watchdog);
        pipeline.settled();
        resolve(value);
      } else if (err !== ABANDONED) {
        const violation = err instanceof TapViolation ? err : undefined;
        void pipeline.recover(this, violation ? violation.reason : 'rejected', violation ? violation.error : err);
      }
    };
  }

  /** Starts another dispatch on this (completed, recycled) object. */
  reuse(pipeline: DispatchOwner, compiled: CompiledHook, input: unknown, fallback: Fallback<unknown>): void {
    this.pipeline = pipeline;
    this.compiled = compiled;
    this.input = input;
    this.fallback = fallback;
    this.callIndex = -1;
    // A stale stamp could match the new call's index and time it out early.
    this.seenIndex = -2;
    this.done = false;
  }

  /**
   * Only on normal completion: tapable has called its final callback and no
   * plugin ever sees a Dispatch, so nothing can call into it again. A failed
   * or timed-out dispatch stays `done` forever (its abandoned chain may still
   * call its taps), is retired and never reused. Its references are dropped
   * so an idle dispatch pins no old configuration version.
   */
  private recycle(watchdog: HookWatchdog): void {
    this.pipeline = null;
    this.compiled = null;
    this.fallback = null;
    this.input = undefined;
    this.previousValue = undefined;
    this.resolve = undefined;
    watchdog.recycle(this);
  }

  onTimeout(): void {
    if (!this.done) void (this.pipeline as DispatchOwner).recover(this, 'timeout', undefined);
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Calls one tap. Cheap on the fast path: tapable handles `undefined`
 * (keep the previous value) and chains the promise; a synchronous throw or a
 * non-promise becomes a rejection, because tapable would otherwise hang.
 * Starting a call is one store the watchdog reads (`callIndex`). An async
 * function's promise goes to tapable as is (see returnsNativePromise).
 */
function invokeTap(tap: Tap, index: number, value: unknown, input: unknown, dispatch: Dispatch): Promise<unknown> {
  if (dispatch.done) return abandonedResult;
  dispatch.callIndex = index;
  dispatch.previousValue = value;
  let result: unknown;
  try {
    result = tap.fn.call(tap.plugin, input, value);
    if (tap.native) return result as Promise<unknown>;
    if (isThenable(result)) return asNativePromise(result);
  } catch (err) {
    return Promise.reject(new TapViolation('threw', err));
  }
  return Promise.reject(new TapViolation('non_promise', result));
}

/**
 * A native promise as is; any other thenable adopted by one. tapable calls
 * `.then` on what a tap returns without a guard, so a foreign thenable whose
 * `then` throws would escape the pipeline (a crash, or a raw rejection);
 * adopted, that throw is an ordinary rejection. Call inside a try: reading
 * `constructor` or `then` may run plugin code too.
 */
export function asNativePromise(result: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(result);
}

/**
 * tapable hooks for routes (one gateway, one currency's gateways), by number
 * of taps, shared by every pipeline: tap `i` calls the dispatch's i-th plugin.
 * tapable generates a hook's code (new Function) on its first call; a hook of
 * its own for every channel x currency and channel x gateway would give each
 * its own code, which the JIT cannot keep hot across thousands of channels.
 * Each is tapped once, when created. A channel's full chains (`run`) keep a
 * hook of their own, whose code tapable specialises on its plugins: faster for
 * long chains, and there are only as many as hook names.
 */
const routeHooks: TapableHook[] = [];

export function chainHook(taps: readonly Tap[]): TapableHook {
  const hook: TapableHook = new AsyncSeriesWaterfallHook<[unknown, unknown, Dispatch]>(['previousValue', 'input', 'dispatch']);
  taps.forEach((tap, index) => {
    hook.tapPromise(tap.pluginId, (value, input, dispatch) => invokeTap(tap, index, value, input, dispatch));
  });
  return hook;
}

export function routeHook(size: number): TapableHook {
  let hook = routeHooks[size];
  if (hook) return hook;
  hook = new AsyncSeriesWaterfallHook<[unknown, unknown, Dispatch]>(['previousValue', 'input', 'dispatch']);
  for (let index = 0; index < size; index++) {
    hook.tapPromise(`payhost:route${index}`, (value, input, dispatch) => invokeTap((dispatch.compiled as CompiledHook).taps[index] as Tap, index, value, input, dispatch));
  }
  routeHooks[size] = hook;
  return hook;
}
