import type { Logger } from 'pino';

/** How often, at most, a plugin instance logs that its processor refused the configured key. */
export const KEY_REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * Lets one event through per interval and counts the ones held back in
 * between, so a condition that hits every request (a wrong key) is logged
 * once a minute, not once per request.
 */
export class LogRateLimiter {
  private lastAt: number | null = null;
  private held = 0;

  constructor(
    private readonly intervalMs: number = KEY_REFUSAL_LOG_INTERVAL_MS,
    /** The clock (milliseconds); read on every event, so fake timers apply. */
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** null: hold this event back (it is counted); a number: log it now, with how many were held back since the last one logged. */
  take(): number | null {
    const at = this.now();
    if (this.lastAt !== null && at - this.lastAt < this.intervalMs) {
      this.held += 1;
      return null;
    }
    const suppressed = this.held;
    this.held = 0;
    this.lastAt = at;
    return suppressed;
  }
}

/** One refusal of the configured key by the processor. */
export interface KeyRefusal {
  /** What was being done: a plugin operation, or the API request (`POST /v1/payment_intents`). */
  operation: string;
  /** 401 (the key refused) or 403 (the key lacks a permission). */
  status: number;
  /** The configuration fields to check, when they differ from the alarm's (e.g. a connected account too). */
  configFields?: readonly string[];
}

export interface KeyRefusalAlarmOptions {
  logger: Logger;
  /** The processor's name, as operators know it: "Stripe". */
  processor: string;
  /** The plugin (gateway) id. */
  gateway: string;
  /** The channel the plugin instance serves; null: a global instance. */
  channel: string | null;
  /** The configuration field(s) holding the key, e.g. ['secret_key']. */
  configFields: readonly string[];
  intervalMs?: number;
  now?: () => number;
}

function fieldList(fields: readonly string[]): string {
  if (fields.length <= 1) return fields[0] ?? 'the API key';
  return `${fields.slice(0, -1).join(', ')} or ${fields[fields.length - 1]}`;
}

/**
 * The error line's message, e.g. "Stripe rejected the API key (HTTP 401):
 * payments through this gateway fail or are held for review until secret_key
 * is corrected". Never anything the processor said: its refusal may echo part
 * of the key.
 */
export function keyRefusalMessage(processor: string, status: number, configFields: readonly string[], suppressed = 0): string {
  const more = suppressed > 0 ? ` (${suppressed} more refusal${suppressed === 1 ? '' : 's'} since the last such line)` : '';
  return `${processor} rejected the API key (HTTP ${status}): payments through this gateway fail or are held for review until ${fieldList(configFields)} is corrected${more}`;
}

/**
 * Says loudly, at `error` level, that the processor refuses the configured
 * key (HTTP 401 or 403): once per interval (a minute) per plugin instance at
 * most, with the number of refusals held back since the last line. The line
 * has the gateway, channel, operation, HTTP status and the configuration
 * fields to check; never the key, nor the processor's message.
 */
export class KeyRefusalAlarm {
  private readonly limiter: LogRateLimiter;

  constructor(private readonly options: KeyRefusalAlarmOptions) {
    this.limiter = new LogRateLimiter(options.intervalMs ?? KEY_REFUSAL_LOG_INTERVAL_MS, options.now);
  }

  /** Records a refusal; true when it was logged (false: held back, counted for the next line). */
  report(refusal: KeyRefusal): boolean {
    const suppressed = this.limiter.take();
    if (suppressed === null) return false;
    const fields = refusal.configFields ?? this.options.configFields;
    const { logger, gateway, channel, processor } = this.options;
    // The manager's child logger binds the channel already: a second `channel` key would repeat it in the JSON line.
    const bound = typeof logger.bindings === 'function' ? logger.bindings() : {};
    const where = 'channel' in bound ? { gateway } : { gateway, channel };
    logger.error(
      { ...where, operation: refusal.operation, http_status: refusal.status, config_fields: [...fields], suppressed },
      keyRefusalMessage(processor, refusal.status, fields, suppressed),
    );
    return true;
  }
}

/** Whether an HTTP status is the processor refusing the key (401) or its permissions (403). */
export function isKeyRefusal(status: unknown): status is 401 | 403 {
  return status === 401 || status === 403;
}
