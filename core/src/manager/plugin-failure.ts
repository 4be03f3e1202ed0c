import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';
import { REDACT_PATHS } from '../logging/logger.js';
import { scrubAnswer, scrubSecrets } from './secret-scrub.js';

/** `invalid_answer`: a listing, public configuration, client token or payment sources answer of the wrong shape (hook-answers.ts). */
export type PluginFailureReason = 'threw' | 'rejected' | 'non_promise' | 'timeout' | 'invalid_answer';

/** What went wrong in one plugin call; handed to the hook's fallback and logged. */
export interface PluginFailure {
  code: typeof ERROR_CODES.pluginTimeout | typeof ERROR_CODES.pluginFailed;
  reason: PluginFailureReason;
  plugin: string;
  channel: string | null;
  hook: string;
  durationMs: number;
  message: string;
  /**
   * What the plugin threw or rejected with (undefined for a timeout). A PayhostError is a copy with
   * the plugin's secrets scrubbed out of its message and details: it may be answered to an API client.
   */
  error: unknown;
}

/**
 * A PayhostError a plugin threw, as the host may hand it on: same code, its
 * message and details with the plugin's secrets replaced by `[redacted]`, no
 * cause (the original holds them). The same error when it holds none. Null
 * when it cannot be read (a getter that throws): then it is no typed error.
 */
export function scrubbedPluginError(error: PayhostError, secrets: readonly string[]): PayhostError | null {
  try {
    const { code, message, details } = error;
    if (typeof message !== 'string') return null;
    const scrubbedMessage = scrubSecrets(message, secrets);
    const scrubbedDetails = details === undefined || details === null ? undefined : scrubAnswer(details, secrets);
    if (scrubbedMessage === message && scrubbedDetails === details && error instanceof PayhostError) return error;
    return new PayhostError(scrubSecrets(code, secrets), scrubbedMessage, scrubbedDetails);
  } catch {
    return null;
  }
}

/** Marks a contract violation inside a tap: a synchronous throw, a non-promise, an answer of the wrong shape (its problem as `error`). */
export class TapViolation {
  constructor(
    readonly reason: 'threw' | 'non_promise' | 'invalid_answer',
    readonly error: unknown,
  ) {}
}

export function describeFailure(reason: PluginFailureReason, error: unknown, timeoutMs: number): string {
  switch (reason) {
    case 'timeout':
      return `did not settle within ${timeoutMs} ms`;
    case 'non_promise':
      return 'returned a non-promise value (hooks must be async)';
    case 'invalid_answer':
      return `gave an invalid answer (${String(error)})`;
    default: {
      // 'threw TypeError: Cannot read properties of undefined', not the bare message: the class tells a bug from a refusal.
      const verb = reason === 'rejected' ? 'rejected with' : 'threw';
      return error instanceof Error ? `${verb} ${error.name}: ${error.message}` : `${verb} ${describeThrownValue(error)}`;
    }
  }
}

/** Longer renderings of a thrown object are cut, at a field's boundary. */
const MAX_THROWN_LENGTH = 300;

/**
 * Field names whose values a description leaves out, anywhere in the object:
 * the last segment of each path the logger redacts (token, api_key,
 * authorization, headers, config, ...). Scrubbing finds a configured secret
 * only as it is, not inside a "Basic base64(key:secret)" header an SDK
 * attached to what it threw.
 */
const SENSITIVE_FIELDS: ReadonlySet<string> = new Set(REDACT_PATHS.map((path) => (path.split('.').pop() ?? path).replace(/^\["|"\]$/g, '').toLowerCase()));

function redactSensitive(key: string, value: unknown): unknown {
  return SENSITIVE_FIELDS.has(key.toLowerCase()) ? '[redacted]' : value;
}

/**
 * A thrown value that is not an Error, for a log line: a string quoted, an
 * object as its JSON (`{"code":"card_declined"}`, not `[object Object]`),
 * prefixed by its class when it has one, sensitive fields redacted. A long
 * object keeps its first fields whole and counts the rest: a value is never
 * cut, so a secret in one is shown whole (and scrubbed by the caller, which
 * knows the plugin's secrets) or left out, never half-shown.
 */
function describeThrownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  if (value === null || typeof value !== 'object') return String(value);
  const className = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  const prefix = typeof className === 'string' && className !== '' && className !== 'Object' && className !== 'Array' ? `a ${className} ` : '';
  let json: string | undefined;
  try {
    json = JSON.stringify(value, redactSensitive);
  } catch {
    // A cycle or a BigInt: its fields are rendered one by one below.
  }
  if (json !== undefined && json.length <= MAX_THROWN_LENGTH) return `${prefix}${json}`;
  return `${prefix}${firstFields(value as Record<string, unknown>, Array.isArray(value))}`;
}

/** `{"a":1,"b":"x",... 3 more fields}`: whole fields while they fit, then a count (and the names, when none fit). */
function firstFields(value: Record<string, unknown>, isList: boolean): string {
  const keys = Object.keys(value);
  const shown: string[] = [];
  let length = 2;
  for (const key of keys) {
    let rendered: string;
    try {
      rendered = JSON.stringify(redactSensitive(key, value[key]), redactSensitive) ?? 'undefined';
    } catch {
      rendered = '?';
    }
    const field = isList ? rendered : `${JSON.stringify(key)}:${rendered}`;
    if (length + field.length + 1 > MAX_THROWN_LENGTH) break;
    shown.push(field);
    length += field.length + 1;
  }
  const rest = keys.length - shown.length;
  if (rest > 0) {
    const names = shown.length === 0 && !isList ? ` (${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''})` : '';
    shown.push(`... ${rest} more ${isList ? 'item' : 'field'}${rest === 1 ? '' : 's'}${names}`);
  }
  return isList ? `[${shown.join(',')}]` : `{${shown.join(',')}}`;
}

/**
 * Codes the reference server answers of its own accord (docs/errors.md, Server errors), and the code of
 * a failed webhook: core does not raise them, but a plugin's error with one would be answered as the
 * server's (a 401 `unauthorized` to a client whose key is valid).
 */
const SERVER_CODES: readonly string[] = [
  'unauthorized',
  'route_not_found',
  'method_not_allowed',
  'invalid_json',
  'precondition_failed',
  'range_not_satisfiable',
  'rate_limited',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'request_timeout',
  'internal_error',
  'processing_error',
];

/**
 * Host codes a plugin may raise itself: refusals of the request it was given (a token without the
 * amount it needs, a currency or an amount the processor does not take), which the shipped plugins raise.
 */
const PLUGIN_RAISABLE_HOST_CODES: readonly string[] = [ERROR_CODES.invalidInput, ERROR_CODES.invalidAmount, ERROR_CODES.currencyNotSupported];

const RESERVED_CODES: ReadonlySet<string> = new Set([...Object.values(ERROR_CODES), ...SERVER_CODES].filter((code) => !PLUGIN_RAISABLE_HOST_CODES.includes(code)));

/**
 * Why a hook that must produce a value (a client token) produced none: the
 * plugin's own typed error when it threw one on purpose with a code of its
 * own or one of PLUGIN_RAISABLE_HOST_CODES (e.g. invalid_input for an amount
 * it cannot take), plugin_timeout when it did not answer in time,
 * plugin_failed otherwise: also for a typed error with a code the host keeps
 * for itself (`unauthorized`, `payment_not_found`, ...: the client would take
 * it for the host's), its code in `details.pluginCode`. The plugin's own
 * message stays in the log.
 */
export function missingValueError(what: string, gateway: string, failure: PluginFailure | null): PayhostError {
  if (failure && isPayhostError(failure.error)) {
    if (!RESERVED_CODES.has(failure.error.code)) return failure.error;
    return new PayhostError(ERROR_CODES.pluginFailed, `Gateway "${gateway}" failed when asked for ${what}: it raised "${failure.error.code}", a code the host keeps for itself`, {
      gateway,
      reason: failure.reason,
      pluginCode: failure.error.code,
    });
  }
  if (failure?.reason === 'timeout') {
    return new PayhostError(ERROR_CODES.pluginTimeout, `Gateway "${gateway}" did not answer in time for ${what}`, { gateway });
  }
  const why = failure ? 'failed' : 'returned none';
  return new PayhostError(ERROR_CODES.pluginFailed, `Gateway "${gateway}" ${why} when asked for ${what}`, { gateway, ...(failure ? { reason: failure.reason } : {}) });
}
