import type { Logger } from 'pino';
import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { PluginEntry } from './hook-pipeline.js';
import { describeFailure, type PluginFailureReason } from './plugin-failure.js';
import { loggableError, pluginSecrets, scrubSecrets } from './secret-scrub.js';

/**
 * Whether a plugin constructor's throw rejects its configuration: a
 * PayhostError (the guide's way, `invalid_configuration`; a core helper's typed
 * error about a configured value, such as `unknown_currency`, counts too) or a
 * plain `Error` (what the guide showed until now, and what published plugins
 * throw). Anything else (a TypeError, a ReferenceError, an SDK's own error
 * class, a thrown string) is a crash: a bug in the plugin that no operator can
 * fix by changing the configuration.
 */
export function rejectsConfiguration(err: unknown): boolean {
  return isPayhostError(err) || (err instanceof Error && Object.getPrototypeOf(err) === Error.prototype);
}

/**
 * The error a host gets when a plugin constructor throws: `invalid_configuration`
 * with the plugin's own message when it rejects its configuration (written for
 * the operator, so passed on as it is: scrubbing would mangle it, a Secret
 * value "secret" turning "webhook_secret" into "webhook_[redacted]"), else
 * `plugin_failed` (`details.reason: threw`) with the crash logged, secrets
 * scrubbed, as a failing hook call is.
 */
export function constructorError(cls: PluginClass, channel: string | null, err: unknown, secrets: readonly string[], logger: Logger): PayhostError {
  const where = { plugin: cls.id, channel };
  if (rejectsConfiguration(err)) {
    return new PayhostError(ERROR_CODES.invalidConfiguration, `Plugin "${cls.id}" rejected its configuration: ${(err as Error).message}`, where, { cause: err });
  }
  const cause = loggableError(err, secrets);
  const thrown = err instanceof Error ? `a ${err.name}` : `a non-Error value (${err === null ? 'null' : typeof err})`;
  const message = `Plugin "${cls.id}" failed to start${channel === null ? '' : ` in channel "${channel}"`}: its constructor threw ${thrown}, a bug in the plugin rather than a rejected configuration`;
  logger.error({ ...where, hook: 'constructor', code: ERROR_CODES.pluginFailed, reason: 'threw', err: cause }, message);
  return new PayhostError(ERROR_CODES.pluginFailed, message, { ...where, reason: 'threw' }, { cause });
}

const TIMED_OUT = Symbol('timed out');

/**
 * Calls a plugin instance's `close()` (an awilix disposer, so once: disposing
 * a container clears its cache). Never throws: a close that throws, rejects or
 * does not settle within `timeoutMs` is logged (secrets scrubbed) and the
 * other instances are closed all the same.
 */
export async function closePlugin(entry: PluginEntry, timeoutMs: number, logger: Logger): Promise<void> {
  const plugin = entry.instance;
  const close = (plugin as { close?: unknown }).close;
  if (typeof close !== 'function') return;
  const where = { plugin: entry.id, channel: plugin.channel, hook: 'close' };
  const startedAt = performance.now();
  let reason: PluginFailureReason = 'threw';
  let timer: NodeJS.Timeout | undefined;
  try {
    const result: unknown = close.call(plugin);
    reason = 'rejected';
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    if ((await Promise.race([Promise.resolve(result), timeout])) !== TIMED_OUT) return;
    const durationMs = Math.round(performance.now() - startedAt);
    logger.error({ ...where, durationMs, code: ERROR_CODES.pluginTimeout, reason: 'timeout' }, `Plugin "${entry.id}" did not close within ${timeoutMs} ms; no longer waited for`);
  } catch (err) {
    const secrets = pluginSecrets(plugin);
    const durationMs = Math.round(performance.now() - startedAt);
    const message = scrubSecrets(`Plugin "${entry.id}" failed to close: ${describeFailure(reason, err, timeoutMs)}`, secrets);
    logger.error({ ...where, durationMs, code: ERROR_CODES.pluginFailed, reason, err: loggableError(err, secrets) }, message);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
