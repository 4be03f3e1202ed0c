import type { Logger } from 'pino';
import { ERROR_CODES, isPayhostError } from '../errors/index.js';
import type { BasePlugin } from '../plugin/base-plugin.js';
import { watchdogElapsedMs } from './call-watchdog.js';
import { ABANDONED, asNativePromise, chainHook, Dispatch, isThenable, returnsNativePromise, routeHook, type CompiledHook, type DispatchOwner, type Fallback, type HookFn, type HookWatchdog, type Tap } from './hook-dispatch.js';
import { tappedHook } from './hook-answers.js';
import { describeFailure, scrubbedPluginError, TapViolation, type PluginFailure, type PluginFailureReason } from './plugin-failure.js';
import { INVALID_ANSWER } from './responses.js';
import { loggableError, pluginSecrets, scrubSecrets } from './secret-scrub.js';

export { createHookWatchdog, type Fallback, type HookWatchdog } from './hook-dispatch.js';

/** The warning's code when a synchronous hook's plain value is taken as its answer. */
export const SYNC_HOOK = 'sync_hook';

/** The (plugin, hook) pairs already warned about, per logger: once each, not once per channel or configuration version. */
const plainValueWarnings = new WeakMap<object, Set<string>>();

/** A plugin instance in a channel's declared order. */
export interface PluginEntry {
  id: string;
  instance: BasePlugin;
}

/**
 * The plugin's method for `hookName`, if it has one. What every object
 * inherits (its constructor, `toString`, ...) is not a hook: a host hook
 * named like one runs only the plugins that define it. Nor is `close`: run as
 * a hook, it would shut the plugin down while it is in service.
 */
function hookMethod(plugin: BasePlugin, hookName: string): HookFn | undefined {
  if (hookName === 'close') return undefined;
  const fn = (plugin as unknown as Record<string, unknown>)[hookName];
  if (typeof fn !== 'function' || fn === plugin.constructor || fn === (Object.prototype as Record<string, unknown>)[hookName]) return undefined;
  return fn as HookFn;
}

/** Whether the plugin has a method for `hookName` (what the manager would run). */
export function implementsHook(plugin: BasePlugin, hookName: string): boolean {
  return hookMethod(plugin, hookName) !== undefined;
}

/**
 * A channel's full chains by hook name. Hook names are the few constant
 * strings of the code calling them, so a property of a plain (fast-mode)
 * object is found through V8's inline caches: about 3 ns against about 8 ns
 * for a Map lookup, which is a tenth of a one-plugin dispatch. Its prototype
 * is an empty null-prototype object, so no hook name (`constructor`,
 * `toString`, `__proto__`) ever finds an inherited property, and the object
 * itself stays in fast mode (Object.create(null) would make a dictionary).
 */
interface ChainsByName {
  [hookName: string]: CompiledHook | undefined;
}
const ChainsByName = function ChainsByName(this: ChainsByName) {} as unknown as new () => ChainsByName;
ChainsByName.prototype = Object.create(null) as ChainsByName;

const passThrough: Fallback<unknown> = (previousValue) => previousValue;

/**
 * A channel's hooks, compiled once per configuration version, on first use,
 * and cached: each hook name gets a tapable hook of its own, tapped then;
 * routes (one gateway, one currency's gateways) run on the shared route hooks
 * over their own plugin list. Nothing is tapped per request.
 */
export class HookPipeline implements DispatchOwner {
  /** Routes' hooks, by hook name and route key (built per call, so a Map). */
  private readonly compiled = new Map<string, CompiledHook>();
  /** Full chains, by hook name: the per-dispatch lookup (see `ChainsByName`). */
  private readonly chains = new ChainsByName();
  /** Dispatches started and not yet settled: plugins are closed only once this is 0. */
  private inFlight = 0;
  private idleWaiters: Array<() => void> | null = null;

  constructor(
    readonly channel: string | null,
    private readonly plugins: readonly PluginEntry[],
    readonly watchdog: HookWatchdog,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once no dispatch of this pipeline is in flight (at once when
   * none is). A dispatch whose plugin call timed out has settled: the late
   * call itself is no longer waited for.
   */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Called exactly once per dispatch, when its caller's promise is resolved. */
  settled(): void {
    if (--this.inFlight !== 0 || this.idleWaiters === null) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = null;
    for (const resolve of waiters) resolve();
  }

  /** Plugins (in order) that implement `hookName`. */
  implementers(hookName: string): PluginEntry[] {
    return this.plugins.filter((p) => hookMethod(p.instance, hookName) !== undefined);
  }

  /** Runs `hookName` over every plugin of the channel, threading previousValue. */
  run<V>(hookName: string, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    const compiled = this.chains[hookName] ?? this.compileChain(hookName);
    return this.dispatch(compiled, input, defaultValue, fallback);
  }

  /**
   * As `run`, for a host's runHook: a hook name this pipeline has run before
   * goes straight to its chain; only a name seen for the first time is shown
   * to `refuse` (which answers the error to reject with, or null). Checking
   * every call measured a tenth of a one-plugin dispatch.
   */
  runChecked<V>(hookName: string, input: unknown, defaultValue: V, refuse: (hookName: string) => Error | null): Promise<V> {
    let compiled = this.chains[hookName];
    if (compiled === undefined) {
      const refusal = refuse(hookName);
      if (refusal !== null) return Promise.reject(refusal);
      compiled = this.compileChain(hookName);
    }
    return this.dispatch(compiled, input, defaultValue);
  }

  /** Runs `hookName` on one plugin only (a payment operation routed to its gateway). */
  runOn<V>(pluginId: string, hookName: string, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    const key = `${hookName}\u0000${pluginId}`;
    const compiled = this.compiled.get(key) ?? this.compile(key, hookName, this.plugins.filter((p) => p.id === pluginId), true);
    return this.dispatch(compiled, input, defaultValue, fallback);
  }

  /** Runs `hookName` over a fixed subset of plugins, compiled once under `key` (e.g. a currency's gateways). */
  runOver<V>(key: string, hookName: string, plugins: readonly PluginEntry[], input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    const compiled = this.compiled.get(key) ?? this.compile(key, hookName, plugins, true);
    return this.dispatch(compiled, input, defaultValue, fallback);
  }

  private compileChain(hookName: string): CompiledHook {
    const compiled = this.compile(hookName, hookName, this.plugins, false);
    this.chains[hookName] = compiled;
    return compiled;
  }

  private compile(key: string, hookName: string, candidates: readonly PluginEntry[], route: boolean): CompiledHook {
    let compiled = this.compiled.get(key);
    if (compiled) return compiled;
    const taps: Tap[] = [];
    for (const entry of candidates) {
      const method = hookMethod(entry.instance, hookName);
      if (method === undefined) continue;
      const fn = tappedHook(hookName, entry.instance, method, () => this.plainValueWarning(entry.id, hookName));
      taps.push({ pluginId: entry.id, plugin: entry.instance, fn, native: returnsNativePromise(fn) });
    }
    compiled = { name: hookName, taps, hook: route ? routeHook(taps.length) : chainHook(taps) };
    this.compiled.set(key, compiled);
    return compiled;
  }

  /**
   * One promise per dispatch (the caller's), settled by tapable's callAsync
   * callback or, for a call that never settles, by the watchdog: the same
   * promise and microtask count as tapable's own `hook.promise()`.
   */
  private dispatch<V>(compiled: CompiledHook, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    if (compiled.taps.length === 0) return Promise.resolve(defaultValue);
    this.inFlight++;
    const idle = this.watchdog.idle.pop();
    let dispatch: Dispatch;
    if (idle === undefined) this.watchdog.register((dispatch = new Dispatch(this, compiled, input, (fallback ?? passThrough) as Fallback<unknown>)));
    else (dispatch = idle).reuse(this, compiled, input, (fallback ?? passThrough) as Fallback<unknown>);
    this.watchdog.hold();
    // The executor must stay this small closure: V8 inlines it into the
    // Promise constructor (passing `dispatch.settle`, or doing the work inside
    // it, measured 6-25% slower per dispatch).
    const promise = new Promise<V>((resolve) => {
      dispatch.resolve = resolve as (value: unknown) => void;
    });
    compiled.hook.callAsync(defaultValue, input, dispatch, dispatch.settle);
    return promise;
  }

  /**
   * Slow path after a plugin failed or timed out: log it, let the fallback
   * decide the value, then run the remaining plugins one by one, each with its
   * own timer. The abandoned tapable chain can no longer call anyone.
   */
  async recover(dispatch: Dispatch, reason: PluginFailureReason, error: unknown): Promise<void> {
    dispatch.done = true;
    dispatch.retired = true;
    const compiled = dispatch.compiled as CompiledHook;
    const fallback = dispatch.fallback as Fallback<unknown>;
    const input = dispatch.input;
    const failedTap = compiled.taps[dispatch.callIndex] as Tap;
    try {
      let value = fallback(dispatch.previousValue, this.failure(compiled.name, failedTap, reason, error, watchdogElapsedMs(dispatch, performance.now())));
      for (let index = dispatch.callIndex + 1; index < compiled.taps.length; index++) {
        value = await this.callAlone(compiled.name, compiled.taps[index] as Tap, input, value, fallback);
      }
      (dispatch.resolve as (value: unknown) => void)(value);
    } finally {
      this.settled();
    }
  }

  private async callAlone(hookName: string, tap: Tap, input: unknown, value: unknown, fallback: Fallback<unknown>): Promise<unknown> {
    const startedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = tap.fn.call(tap.plugin, input, value);
      if (!isThenable(result)) return fallback(value, this.failure(hookName, tap, 'non_promise', result, performance.now() - startedAt));
      const adopted = asNativePromise(result);
      const timeout = new Promise<typeof ABANDONED>((resolve) => {
        timer = setTimeout(() => resolve(ABANDONED), this.watchdog.timeoutMs);
      });
      const settled = await Promise.race([adopted, timeout]);
      if (settled === ABANDONED) return fallback(value, this.failure(hookName, tap, 'timeout', undefined, performance.now() - startedAt));
      return settled === undefined ? value : settled;
    } catch (err) {
      const violation = err instanceof TapViolation ? err : undefined;
      return fallback(value, this.failure(hookName, tap, violation ? violation.reason : 'rejected', violation ? violation.error : err, performance.now() - startedAt));
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** A synchronous hook's plain answer is taken, and said once per plugin and hook (per logger, so per manager). */
  private plainValueWarning(plugin: string, hook: string): void {
    let seen = plainValueWarnings.get(this.logger);
    if (seen === undefined) plainValueWarnings.set(this.logger, (seen = new Set()));
    const key = `${plugin}\u0000${hook}`;
    if (seen.has(key)) return;
    seen.add(key);
    this.logger.warn(
      { plugin, channel: this.channel, hook, code: SYNC_HOOK },
      `Plugin "${plugin}" answered ${hook} with a plain value, not a promise: taken as its answer (hooks should be async functions; said once per plugin and hook)`,
    );
  }

  private failure(hook: string, tap: Tap, reason: PluginFailureReason, error: unknown, elapsedMs: number): PluginFailure {
    const durationMs = Math.round(elapsedMs * 1000) / 1000;
    const secrets = pluginSecrets(tap.plugin);
    const failure: PluginFailure = {
      code: reason === 'timeout' ? ERROR_CODES.pluginTimeout : ERROR_CODES.pluginFailed,
      reason,
      plugin: tap.pluginId,
      channel: this.channel,
      hook,
      durationMs,
      message: scrubSecrets(`Plugin "${tap.pluginId}" ${describeFailure(reason, error, this.watchdog.timeoutMs)} in hook ${hook}`, secrets),
      // A typed error may be answered to an API client (getClientToken): its secrets are scrubbed here, once.
      error: isPayhostError(error) ? (scrubbedPluginError(error, secrets) ?? undefined) : error,
    };
    this.logger.error(
      { plugin: tap.pluginId, channel: this.channel, hook, durationMs, reason, code: failure.code, err: loggableError(error, secrets), ...(reason === INVALID_ANSWER ? { problem: scrubSecrets(String(error), secrets) } : {}) },
      failure.message,
    );
    return failure;
  }
}
