import type { GatewayResponse } from '../contracts/gateway.js';

/**
 * True when a failed response says the processor may have acted anyway: the
 * plugin timed out, or the plugin marked it (`rawResponse.outcome_unknown`,
 * e.g. a dropped connection or a 5xx after the request was sent). Such a
 * response must never be recorded as a final failure: that would free the
 * reserved amount and let a retry under a new key charge twice.
 */
export function isOutcomeUnknown(response: GatewayResponse): boolean {
  return !response.isSuccess && response.rawResponse?.['outcome_unknown'] === true;
}
