import type { Logger } from 'pino';
import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';
import { placeError, type ConfigPlace } from '../config/place.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { PluginEntry } from './hook-pipeline.js';
import { describeFailure, type PluginFailureReason } from './plugin-failure.js';
import { loggableError, operatorMessageSecrets, pluginSecrets, scrubSecrets } from './secret-scrub.js';

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
 * the operator), scrubbed of the plugin's secret values as gatewayConfig()'s
 * is: it reaches the admin API and `config check`, and "cannot parse key
 * sk_live_..." is what a constructor parsing a key says. (Not a value of under
 * 6 characters, nor one that is part of a field's name or label: see
 * operatorMessageSecrets.) Said at `place`, where the settings are written
 * (`Invalid configuration at "channels.1.plugins.acme" (channel "eu-store"):
 * plugin "acme" rejected its configuration: …`, details.path): the same plugin
 * in two channels, the message alone names which. Else
 * `plugin_failed` (`details.reason: threw`) with the crash logged, secrets
 * scrubbed, as a failing hook call is.
 */
export function constructorError(cls: PluginClass, place: ConfigPlace, err: unknown, secrets: readonly string[], logger: Logger): PayhostError {
  const channel = place.channel;
  if (rejectsConfiguration(err)) {
    const says = scrubSecrets(`plugin "${cls.id}" rejected its configuration: ${(err as Error).message}`, operatorMessageSecrets(cls, secrets));
    return quotingRefusal(placeError(place.path, channel, says, { plugin: cls.id, channel }), err, secrets);
  }
  return pluginCrash(cls.id, channel, 'constructor', err, secrets, logger);
}

/**
 * `error`, whose message already quotes all of the plugin's `err.message`, with the plugin's stack frames
 * (scrubbed) in place of its own but no `cause`: pino's error serializer appends a cause's message to the
 * message, so a logged refusal said the plugin's text twice ("… got \"400000\": Razorpay configuration: … got \"400000\"").
 */
function quotingRefusal(error: PayhostError, err: unknown, secrets: readonly string[]): PayhostError {
  const stack = (loggableError(err, secrets) as Error | undefined)?.stack;
  const frames = stack?.split('\n').filter((line) => /^\s+at /.test(line)) ?? [];
  if (frames.length > 0) error.stack = `${error.name}: ${error.message}\n${frames.join('\n')}`;
  return error;
}

/**
 * The error a host gets when a gateway's `gatewayConfig()` throws. A
 * PayhostError is the plugin refusing its settings on purpose:
 * `invalid_configuration`, its message kept but scrubbed of the plugin's
 * secrets (it reaches the admin API and `config check`; gatewayConfig() often
 * parses a key, and "cannot parse key sk_live_..." is what it then says).
 * Anything else, a plain Error included (the guide never showed one here), is
 * a bug: `plugin_failed`, logged with its stack, secrets scrubbed, as a
 * crashing constructor is.
 */
export function gatewayConfigError(cls: PluginClass, channel: string | null, err: unknown, secrets: readonly string[], logger: Logger): PayhostError {
  const pluginId = cls.id;
  if (isPayhostError(err)) {
    const message = scrubSecrets(`Plugin "${pluginId}" has an invalid gateway configuration: ${err.message}`, operatorMessageSecrets(cls, secrets));
    return quotingRefusal(new PayhostError(ERROR_CODES.invalidConfiguration, message, { plugin: pluginId, channel }), err, secrets);
  }
  return pluginCrash(pluginId, channel, 'gatewayConfig', err, secrets, logger);
}

/** A plugin bug while it starts: logged with its scrubbed stack, answered as `plugin_failed` (`reason: threw`). */
function pluginCrash(pluginId: string, channel: string | null, hook: 'constructor' | 'gatewayConfig', err: unknown, secrets: readonly string[], logger: Logger): PayhostError {
  const where = { plugin: pluginId, channel };
  const cause = loggableError(err, secrets);
  const thrown = err instanceof Error ? `${/^[aeiou]/i.test(err.name) ? 'an' : 'a'} ${err.name}` : `a non-Error value (${err === null ? 'null' : typeof err})`;
  const what = hook === 'constructor' ? 'its constructor' : 'its gatewayConfig()';
  const message = `Plugin "${pluginId}" failed to start${channel === null ? '' : ` in channel "${channel}"`}: ${what} threw ${thrown}, a bug in the plugin rather than a rejected configuration`;
  // Not an Error (a thrown object, a string): described in the line instead (JSON, sensitive fields left out, secrets scrubbed).
  const described = err instanceof Error ? {} : { thrown: scrubSecrets(describeFailure('threw', err, 0), secrets) };
  logger.error({ ...where, hook, code: ERROR_CODES.pluginFailed, reason: 'threw', err: cause, ...described }, message);
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
