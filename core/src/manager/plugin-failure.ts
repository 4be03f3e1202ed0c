import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';

export type PluginFailureReason = 'threw' | 'rejected' | 'non_promise' | 'timeout';

/** What went wrong in one plugin call; handed to the hook's fallback and logged. */
export interface PluginFailure {
  code: typeof ERROR_CODES.pluginTimeout | typeof ERROR_CODES.pluginFailed;
  reason: PluginFailureReason;
  plugin: string;
  channel: string | null;
  hook: string;
  durationMs: number;
  message: string;
  error: unknown;
}

/** Marks a synchronous contract violation (throw or non-promise) inside a tap. */
export class TapViolation {
  constructor(
    readonly reason: 'threw' | 'non_promise',
    readonly error: unknown,
  ) {}
}

export function describeFailure(reason: PluginFailureReason, error: unknown, timeoutMs: number): string {
  switch (reason) {
    case 'timeout':
      return `did not settle within ${timeoutMs} ms`;
    case 'non_promise':
      return 'returned a non-promise value (hooks must be async)';
    default: {
      // 'threw TypeError: Cannot read properties of undefined', not the bare message: the class tells a bug from a refusal.
      const verb = reason === 'rejected' ? 'rejected with' : 'threw';
      return error instanceof Error ? `${verb} ${error.name}: ${error.message}` : `${verb} ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
    }
  }
}

/**
 * Why a hook that must produce a value (a client token) produced none: the
 * plugin's own typed error when it threw one on purpose (e.g. invalid_input
 * for an amount it cannot take), plugin_timeout when it did not answer in
 * time, plugin_failed otherwise. The plugin's own message stays in the log.
 */
export function missingValueError(what: string, gateway: string, failure: PluginFailure | null): PayhostError {
  if (failure && isPayhostError(failure.error)) return failure.error;
  if (failure?.reason === 'timeout') {
    return new PayhostError(ERROR_CODES.pluginTimeout, `Gateway "${gateway}" did not answer in time for ${what}`, { gateway });
  }
  const why = failure ? 'failed' : 'returned none';
  return new PayhostError(ERROR_CODES.pluginFailed, `Gateway "${gateway}" ${why} when asked for ${what}`, { gateway, ...(failure ? { reason: failure.reason } : {}) });
}
