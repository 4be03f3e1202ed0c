import type { WebhookResponse } from '@payhost/core';

/** Where a refused answer is reported (the request's logger). */
export interface ErrorLog {
  error(fields: Record<string, unknown>, message: string): void;
}

/** A webhook answer the server can send as it is. */
export interface SendableAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** RFC 9110 token characters: what a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible characters, spaces and tabs: no CR, LF or NUL (response splitting), nothing Node refuses to send. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Framing is the server's: a plugin that set these would desynchronise the connection. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection']);

/** The answer sent instead of one that cannot be sent: as for a failing webhook hook, the processor retries. */
export const UNSENDABLE_ANSWER: SendableAnswer = Object.freeze({
  status: 500,
  headers: {},
  body: Object.freeze({ code: 'processing_error', message: 'The plugin gave a webhook answer that cannot be sent' }),
});

/** Why `answer` cannot be sent as an HTTP response; null when it can. */
export function unsendableReason(answer: WebhookResponse): string | null {
  const { status, headers, body } = answer;
  if (!Number.isInteger(status) || status < 200 || status > 599) return `status ${describe(status)} is not an HTTP status from 200 to 599`;
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) return `headers are ${describe(headers)}, not an object of strings`;
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) return `header name ${JSON.stringify(name.slice(0, 40))} is not an HTTP token`;
      if (RESERVED_HEADERS.has(name.toLowerCase())) return `header ${name} is set by the server`;
      if (typeof value !== 'string' || !HEADER_VALUE.test(value)) return `header ${name} has a value that is not a single-line string`;
    }
  }
  if (answer.events !== undefined && answer.events !== null && !Array.isArray(answer.events)) return `events are ${describe(answer.events)}, not an array`;
  if (body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body)) return null;
  if (typeof body !== 'object') return `body is ${describe(body)}, not a string, a Buffer or a JSON object`;
  try {
    JSON.stringify(body);
    return null;
  } catch (err) {
    return `body cannot be serialized as JSON (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * A plugin's webhook answer checked before anything is applied or sent: a
 * status outside 200-599, a header that is not a single-line string (or one
 * the server owns), or a body that is not a string, a Buffer or JSON would
 * make fastify answer its own 500, or send a split response. Such an answer
 * is a plugin bug: logged, and answered 500 processing_error like a failing
 * hook, so the processor delivers the event again.
 */
export function sendableAnswer(answer: WebhookResponse, logger: ErrorLog, where: { plugin: string; channel: string | null }): { answer: SendableAnswer; applyEvents: boolean } {
  const reason = unsendableReason(answer);
  if (reason === null) return { answer: { status: answer.status, headers: answer.headers ?? {}, body: answer.body ?? null }, applyEvents: true };
  logger.error({ ...where, reason }, 'plugin webhook answer cannot be sent; answered 500 processing_error, its events not applied');
  return { answer: UNSENDABLE_ANSWER, applyEvents: false };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return `of type ${typeof value}`;
}
