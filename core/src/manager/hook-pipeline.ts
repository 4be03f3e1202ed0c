import { AsyncSeriesWaterfallHook } from 'tapable';
import type { Logger } from 'pino';
import { ERROR_CODES } from '../errors/index.js';
import type { BasePlugin } from '../plugin/base-plugin.js';
import type { CallWatchdog, Watched } from './call-watchdog.js';
import { describeFailure, TapViolation, type PluginFailure, type PluginFailureReason } from './plugin-failure.js';

/** A plugin instance in a channel's declared order. */
export interface PluginEntry {
  id: string;
  instance: BasePlugin;
}

/** Turns a failed plugin call into the value the pipeline continues with. */
export type Fallback<V> = (previousValue: V, failure: PluginFailure) => V;

type HookFn = (input: unknown, previousValue: unknown) => unknown;

interface Tap {
  pluginId: string;
  plugin: BasePlugin;
  fn: HookFn;
}

interface CompiledHook {
  name: string;
  taps: Tap[];
  hook: AsyncSeriesWaterfallHook<[unknown, unknown, Dispatch]>;
}

/** Returned by taps of an abandoned (timed-out) dispatch so a late plugin never runs the rest of the chain. */
const ABANDONED = Symbol('abandoned');
const abandonedResult = Promise.reject(ABANDONED);
abandonedResult.catch(() => undefined);

const passThrough: Fallback<unknown> = (previousValue) => previousValue;

/** The state of one hook dispatch, shared by its taps and the watchdog. */
class Dispatch implements Watched {
  index = 0;
  previousValue: unknown;
  callStartedAt = 0;
  done = false;

  constructor(
    readonly pipeline: HookPipeline,
    readonly compiled: CompiledHook,
    readonly input: unknown,
    readonly fallback: Fallback<unknown>,
    readonly resolve: (value: unknown) => void,
  ) {}

  onTimeout(): void {
    if (!this.done) void this.pipeline.recover(this, 'timeout', undefined);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Calls one tap. Cheap on the fast path: tapable handles `undefined`
 * (keep the previous value) and chains the promise; a synchronous throw or a
 * non-promise becomes a rejection, because tapable would otherwise hang.
 */
function invokeTap(tap: Tap, index: number, value: unknown, input: unknown, dispatch: Dispatch): Promise<unknown> {
  if (dispatch.done) return abandonedResult;
  dispatch.index = index;
  dispatch.previousValue = value;
  dispatch.callStartedAt = performance.now();
  let result: unknown;
  try {
    result = tap.fn.call(tap.plugin, input, value);
  } catch (err) {
    return Promise.reject(new TapViolation('threw', err));
  }
  if (!isThenable(result)) return Promise.reject(new TapViolation('non_promise', result));
  return result as Promise<unknown>;
}

/**
 * A channel's hooks, compiled with tapable once per configuration version:
 * each hook name (and each single-plugin route) is tapped on first use and
 * cached; nothing is tapped per request.
 */
export class HookPipeline {
  private readonly compiled = new Map<string, CompiledHook>();

  constructor(
    readonly channel: string | null,
    private readonly plugins: readonly PluginEntry[],
    private readonly watchdog: CallWatchdog,
    private readonly logger: Logger,
  ) {}

  /** Plugins (in order) that implement `hookName`. */
  implementers(hookName: string): PluginEntry[] {
    return this.plugins.filter((p) => typeof (p.instance as unknown as Record<string, unknown>)[hookName] === 'function');
  }

  /** Runs `hookName` over every plugin of the channel, threading previousValue. */
  run<V>(hookName: string, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    return this.dispatch(this.compile(hookName, hookName, this.plugins), input, defaultValue, fallback);
  }

  /** Runs `hookName` on one plugin only (a payment operation routed to its gateway). */
  runOn<V>(pluginId: string, hookName: string, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    const key = `${hookName}\u0000${pluginId}`;
    const compiled = this.compiled.get(key) ?? this.compile(key, hookName, this.plugins.filter((p) => p.id === pluginId));
    return this.dispatch(compiled, input, defaultValue, fallback);
  }

  /** Runs `hookName` over a fixed subset of plugins, compiled once under `key` (e.g. a currency's gateways). */
  runOver<V>(key: string, hookName: string, plugins: readonly PluginEntry[], input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    const compiled = this.compiled.get(key) ?? this.compile(key, hookName, plugins);
    return this.dispatch(compiled, input, defaultValue, fallback);
  }

  private compile(key: string, hookName: string, candidates: readonly PluginEntry[]): CompiledHook {
    let compiled = this.compiled.get(key);
    if (compiled) return compiled;
    const taps: Tap[] = [];
    for (const entry of candidates) {
      const fn = (entry.instance as unknown as Record<string, unknown>)[hookName];
      if (typeof fn === 'function') taps.push({ pluginId: entry.id, plugin: entry.instance, fn: fn as HookFn });
    }
    const hook = new AsyncSeriesWaterfallHook<[unknown, unknown, Dispatch]>(['previousValue', 'input', 'dispatch']);
    taps.forEach((tap, index) => {
      hook.tapPromise(tap.pluginId, (value, input, dispatch) => invokeTap(tap, index, value, input, dispatch));
    });
    compiled = { name: hookName, taps, hook };
    this.compiled.set(key, compiled);
    return compiled;
  }

  private dispatch<V>(compiled: CompiledHook, input: unknown, defaultValue: V, fallback?: Fallback<V>): Promise<V> {
    if (compiled.taps.length === 0) return Promise.resolve(defaultValue);
    return new Promise<V>((resolve) => {
      const dispatch = new Dispatch(this, compiled, input, (fallback ?? passThrough) as Fallback<unknown>, resolve as (v: unknown) => void);
      this.watchdog.watch(dispatch);
      compiled.hook.promise(defaultValue, input, dispatch).then(
        (value) => {
          if (dispatch.done) return;
          dispatch.done = true;
          this.watchdog.release(dispatch);
          resolve(value as V);
        },
        (err: unknown) => {
          if (dispatch.done || err === ABANDONED) return;
          const violation = err instanceof TapViolation ? err : undefined;
          void this.recover(dispatch, violation ? violation.reason : 'rejected', violation ? violation.error : err);
        },
      );
    });
  }

  /**
   * Slow path after a plugin failed or timed out: log it, let the fallback
   * decide the value, then run the remaining plugins one by one, each with its
   * own timer. The abandoned tapable chain can no longer call anyone.
   */
  async recover(dispatch: Dispatch, reason: PluginFailureReason, error: unknown): Promise<void> {
    dispatch.done = true;
    this.watchdog.release(dispatch);
    const { compiled, input } = dispatch;
    const failedTap = compiled.taps[dispatch.index] as Tap;
    let value = dispatch.fallback(dispatch.previousValue, this.failure(compiled.name, failedTap, reason, error, dispatch.callStartedAt));
    for (let index = dispatch.index + 1; index < compiled.taps.length; index++) {
      value = await this.callAlone(compiled.name, compiled.taps[index] as Tap, input, value, dispatch.fallback);
    }
    dispatch.resolve(value);
  }

  private async callAlone(hookName: string, tap: Tap, input: unknown, value: unknown, fallback: Fallback<unknown>): Promise<unknown> {
    const startedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = tap.fn.call(tap.plugin, input, value);
      if (!isThenable(result)) return fallback(value, this.failure(hookName, tap, 'non_promise', result, startedAt));
      const timeout = new Promise<typeof ABANDONED>((resolve) => {
        timer = setTimeout(() => resolve(ABANDONED), this.watchdog.timeoutMs);
      });
      const settled = await Promise.race([Promise.resolve(result), timeout]);
      if (settled === ABANDONED) return fallback(value, this.failure(hookName, tap, 'timeout', undefined, startedAt));
      return settled === undefined ? value : settled;
    } catch (err) {
      return fallback(value, this.failure(hookName, tap, 'rejected', err, startedAt));
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private failure(hook: string, tap: Tap, reason: PluginFailureReason, error: unknown, startedAt: number): PluginFailure {
    const durationMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
    const failure: PluginFailure = {
      code: reason === 'timeout' ? ERROR_CODES.pluginTimeout : ERROR_CODES.pluginFailed,
      reason,
      plugin: tap.pluginId,
      channel: this.channel,
      hook,
      durationMs,
      message: `Plugin "${tap.pluginId}" ${describeFailure(reason, error, this.watchdog.timeoutMs)} in hook ${hook}`,
      error,
    };
    this.logger.error(
      { plugin: tap.pluginId, channel: this.channel, hook, durationMs, reason, code: failure.code, err: error instanceof Error ? error : undefined },
      failure.message,
    );
    return failure;
  }
}
