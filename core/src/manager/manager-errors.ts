import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';

// The errors the plugin manager raises about how it was called (not plugin failures: plugin-failure.ts).

/** The manager method each hook runHook refuses goes through. */
function routedMethod(name: string): string {
  return name === 'getTransactionStatus' || name === 'getClientToken' || name === 'webhook' ? name : 'runOperation';
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
