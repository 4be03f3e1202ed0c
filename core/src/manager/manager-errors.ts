import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';

// The errors the plugin manager raises about how it was called (not plugin failures: plugin-failure.ts).

/** The manager method each hook runHook refuses goes through. */
function routedMethod(name: string): string {
  return name === 'getTransactionStatus' || name === 'getClientToken' || name === 'tokenIsRequiredAsPaymentInput' || name === 'webhook' ? name : 'runOperation';
}

/** Why no plugin takes a webhook here; a per-channel plugin's global endpoint is a common setup mistake, so it says where to point it. */
export function noWebhookPlugin(plugin: string, channel: string | null, cls: PluginClass | undefined): PayhostError {
  const misplaced = channel === null && cls?.configurationPerChannel === true;
  const message = misplaced
    ? `Plugin "${plugin}" is configured per channel: its webhooks go to each channel's endpoint, not the global one`
    : `No active plugin "${plugin}" here`;
  return new PayhostError(ERROR_CODES.unknownPlugin, message, { plugin, channel });
}

export function operationNotSupported(channel: string, gateway: string, operation: string): PayhostError {
  return new PayhostError(ERROR_CODES.operationNotSupported, `Gateway "${gateway}" does not support ${operation}`, { channel, gateway, operation });
}

export function singleGatewayHookError(name: string): PayhostError {
  const method = routedMethod(name);
  const use = method === 'runOperation' ? `runOperation('${name}', ...) or ${name}()` : `${method}()`;
  return new PayhostError(ERROR_CODES.invalidInput, `runHook cannot run ${name}: it goes to exactly one plugin, routed and validated; use manager.${use}`, { hook: name, use: method });
}

/**
 * The code of a call made to a manager once its close() has begun (the reference server answers it
 * 503: it is what the server says while shutting down, and the caller's remedy is the same, retry elsewhere).
 */
export const SHUTTING_DOWN = ERROR_CODES.shuttingDown;

/** A manager closing or closed runs and builds no plugin: its instances are closed, or about to be. */
export function managerClosed(method: string): PayhostError {
  return new PayhostError(SHUTTING_DOWN, `The plugin manager is closing: ${method}() is refused after close()`, { method });
}

/** Node's timer maximum: a longer delay overflows to 1 ms (TimeoutOverflowWarning). */
export const MAX_HOOK_TIMEOUT_MS = 2_147_483_647;

/**
 * hookTimeoutMs as the watchdog needs it: a whole number of milliseconds from 1 to Node's timer maximum.
 * 0 or less would time every call out at once, NaN never, and more than the maximum after 1 ms.
 */
export function checkHookTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_HOOK_TIMEOUT_MS) {
    const shown = typeof value === 'number' ? String(value) : `a value of type ${value === null ? 'null' : typeof value}`;
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `hookTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_HOOK_TIMEOUT_MS}, not ${shown}`,
      { option: 'hookTimeoutMs' },
    );
  }
  return value;
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/**
 * The `plugins` option as the manager iterates it: an array (of classes, or for `create` package
 * names too). A missing or other value is the caller's mistake, named, not a bare "is not iterable".
 */
export function checkPluginList<T>(value: readonly T[] | undefined): readonly T[] {
  if (Array.isArray(value)) return value;
  const shown = value === undefined ? 'it is missing' : `not ${typeof value === 'function' ? `a single class or function (${(value as { name?: string }).name || 'anonymous'}): wrap it in [ ]` : `a value of type ${typeOf(value)}`}`;
  throw new PayhostError(ERROR_CODES.invalidConfiguration, `plugins must be an array of plugin classes (or, for PluginManager.create, package names); ${shown}`, { option: 'plugins' });
}

/** The `pluginBaseDir` option: a directory path, when given (the manager resolves a relative one from the current directory). */
export function checkPluginBaseDir(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  const shown = typeof value === 'string' ? 'an empty string' : `a value of type ${typeOf(value)}`;
  throw new PayhostError(ERROR_CODES.invalidConfiguration, `pluginBaseDir must be a directory path, not ${shown}`, { option: 'pluginBaseDir' });
}
