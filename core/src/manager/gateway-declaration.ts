import type { Logger } from 'pino';
import type { GatewayConfig } from '../contracts/gateway.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { isIsoCurrency } from '../money/currency.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { GATEWAY_OPERATION_HOOKS } from '../plugin/hooks.js';
import type { GatewayEntry } from './channel-runtime.js';
import type { PluginEntry } from './hook-pipeline.js';
import { gatewayConfigError } from './plugin-lifecycle.js';
import { pluginSecrets, scrubSecrets } from './secret-scrub.js';

/** A plugin instance of a runtime, as gatewayEntry reads it. */
export interface DeclaringPlugin extends PluginEntry {
  active: boolean;
}

const FLAGS = ['autoCapture', 'storeCustomer', 'require3dSecure'] as const;

/**
 * A wrong value as the message may show it: its kind, never its text. A string where a flag or an
 * object belongs may well be a key (a plugin returning its configuration's value in the wrong field),
 * and a message cut short would show the start of it, which scrubbing whole secrets does not catch.
 */
function show(value: unknown): string {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  return `a ${typeof value === 'object' ? 'object' : typeof value}`.replace(/^a o/, 'an o');
}

/** A would-be currency code: shown as written when it looks like one (a few letters or digits), else by its kind. */
function showCode(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9]{1,8}$/.test(value) ? JSON.stringify(value) : show(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What is wrong with a gatewayConfig() answer, field by field. The ledger
 * reads autoCapture (what a pending payment becomes), storeCustomer and
 * supportsMultipleCaptures on every payment, and hosts read the rest through
 * resolveGateway: a missing flag would silently count as false.
 */
function problemsOf(config: unknown): string[] {
  if (!isRecord(config)) return [`gatewayConfig() returned ${show(config)}, not a GatewayConfig object`];
  const out: string[] = [];
  if (typeof config['gatewayName'] !== 'string' || config['gatewayName'] === '') out.push(`gatewayName must be a non-empty string, not ${show(config['gatewayName'])}`);
  for (const flag of FLAGS) {
    if (typeof config[flag] !== 'boolean') out.push(`${flag} must be a boolean, not ${show(config[flag])}`);
  }
  if (config['supportsMultipleCaptures'] !== undefined && typeof config['supportsMultipleCaptures'] !== 'boolean') {
    out.push(`supportsMultipleCaptures must be a boolean when given, not ${show(config['supportsMultipleCaptures'])}`);
  }
  if (!isRecord(config['connectionParams'])) out.push(`connectionParams must be an object, not ${show(config['connectionParams'])}`);
  if (!Array.isArray(config['supportedCurrencies'])) out.push(`supportedCurrencies must be a list of ISO 4217 codes, not ${show(config['supportedCurrencies'])}`);
  return out;
}

/**
 * A plugin that looks like a gateway (it declares a GatewayConfig, or has
 * other payment operations) but has no processPayment is not one: nothing
 * routes payments to it. Said once at load, rather than left for its author
 * to find as an empty gateway listing.
 */
function warnIfHalfAGateway(plugin: DeclaringPlugin, channel: string | null, logger: Logger): void {
  if (!plugin.active) return;
  const methods = plugin.instance as unknown as Record<string, unknown>;
  const operations = GATEWAY_OPERATION_HOOKS.filter((hook) => hook !== 'processPayment' && typeof methods[hook] === 'function');
  let declared = false;
  try {
    declared = plugin.instance.gatewayConfig() !== null;
  } catch {
    // A broken gatewayConfig on a plugin that is no gateway is never read.
  }
  if (!declared && operations.length === 0) return;
  logger.warn(
    { plugin: plugin.id, channel, operations },
    `Plugin "${plugin.id}" has ${declared ? 'a gateway configuration' : operations.join(', ')} but no processPayment: it is not a gateway, and no payment is routed to it`,
  );
}

/**
 * Reads a gateway plugin's GatewayConfig, checked (its fields, and
 * supportedCurrencies as ISO 4217 codes, each once); null when the plugin is
 * not a gateway (no processPayment) or declares none. Routing and listings
 * read it on every payment: a plugin bug is reported at load, not as a
 * TypeError then.
 */
export function gatewayEntry(plugin: DeclaringPlugin, channel: string | null, logger: Logger): GatewayEntry | null {
  if (typeof (plugin.instance as unknown as Record<string, unknown>)['processPayment'] !== 'function') {
    warnIfHalfAGateway(plugin, channel, logger);
    return null;
  }
  let config: unknown;
  try {
    config = plugin.instance.gatewayConfig();
  } catch (err) {
    throw gatewayConfigError(plugin.instance.constructor as PluginClass, channel, err, pluginSecrets(plugin.instance), logger);
  }
  if (config === null || config === undefined) {
    // BasePlugin's gatewayConfig() answers null: a gateway that forgot to declare one would never be routed to, silently.
    if (plugin.active) {
      logger.warn({ plugin: plugin.id, channel }, `Plugin "${plugin.id}" has processPayment but its gatewayConfig() returns null: it declares no currencies, and no payment is routed to it`);
    }
    return null;
  }
  const problems = problemsOf(config);
  if (problems.length > 0) {
    // Scrubbed: a value shown may be a secret put in the wrong field.
    const message = scrubSecrets(`Plugin "${plugin.id}" has an invalid gateway configuration: ${problems.join('; ')} (core's gatewayConfigFromValues fills every field)`, pluginSecrets(plugin.instance));
    throw new PayhostError(ERROR_CODES.invalidConfiguration, message, { plugin: plugin.id, channel });
  }
  const declared = config as GatewayConfig;
  const bad = declared.supportedCurrencies.find((c) => !isIsoCurrency(c));
  if (bad !== undefined) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Plugin "${plugin.id}" declares ${showCode(bad)}, which is not an ISO 4217 currency`, { plugin: plugin.id, channel });
  }
  // Refused like the rest of a wrong declaration, not repaired: the listing reads gatewayConfig() itself (BasePlugin's
  // getPaymentGateways), so a repeat removed here would still be listed twice ("currencies": ["USD", "USD"]).
  const repeated = declared.supportedCurrencies.find((c, i) => declared.supportedCurrencies.indexOf(c) !== i);
  if (repeated !== undefined) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `Plugin "${plugin.id}" declares ${showCode(repeated)} twice in supportedCurrencies: list each currency once (core's parseCurrencyList and gatewayConfigFromValues do)`,
      { plugin: plugin.id, channel },
    );
  }
  return { id: plugin.id, name: plugin.instance.pluginName, active: plugin.active, config: declared, instance: plugin.instance };
}
