import { ERROR_CODES } from '../errors/index.js';

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
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
