import { GATEWAY_OPERATION_HOOKS, type GatewayOperation } from '../plugin/hooks.js';
import type { PayhostError } from '../errors/index.js';
import { singleGatewayHookError } from './manager-errors.js';

// Which hooks go to exactly one gateway (runHook refuses them) and which of those charge a payment for the first time.

/**
 * Hooks runHook refuses: each goes to exactly one plugin, after routing and
 * amount validation (runOperation, getTransactionStatus) or by name
 * (getClientToken, tokenIsRequiredAsPaymentInput, webhook). Run as a chain
 * they would charge through every gateway of the channel unvalidated, or ask
 * every plugin for a token, a webhook answer or a yes/no meant for one (the
 * chain's answer would be the last plugin's, whatever gateway was meant).
 */
const ROUTED_HOOKS = ['getTransactionStatus', 'getClientToken', 'tokenIsRequiredAsPaymentInput', 'webhook'] as const;
const SINGLE_GATEWAY_HOOKS: ReadonlySet<string> = new Set<string>([...GATEWAY_OPERATION_HOOKS, ...ROUTED_HOOKS]);

/** The names runHook refuses, as a type: runHook's name parameter leaves them out, so such a call does not compile. */
export type SingleGatewayHook = GatewayOperation | (typeof ROUTED_HOOKS)[number];

/** runHook's refusal of a hook that goes to one gateway (checked once per pipeline and hook name). */
export function refuseSingleGatewayHook(name: string): PayhostError | null {
  return SINGLE_GATEWAY_HOOKS.has(name) ? singleGatewayHookError(name) : null;
}

/** Hooks that charge a payment for the first time: they need the currency to be on sale. */
export const NEW_CHARGE_HOOKS: ReadonlySet<GatewayOperation> = new Set(['processPayment', 'authorizePayment']);
