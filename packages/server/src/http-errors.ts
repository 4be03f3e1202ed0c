import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPayhostError, isPlainFieldName } from '@payhost/core';
import { PATTERN_MEANINGS } from './schemas.js';

/** HTTP status for each stable error code; anything unlisted is a 400. */
const STATUS: Readonly<Record<string, number>> = {
  unauthorized: 401,
  unknown_channel: 404,
  unknown_gateway: 404,
  unknown_plugin: 404,
  payment_not_found: 404,
  transaction_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  payment_busy: 409,
  idempotency_key_reused: 409,
  transaction_not_in_review: 409,
  configuration_changed: 412,
  precondition_failed: 412,
  range_not_satisfiable: 416,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  inactive_gateway: 422,
  currency_not_supported: 422,
  operation_not_allowed: 422,
  amount_exceeds: 422,
  operation_not_supported: 422,
  no_payment_source: 422,
  gateway_declined: 402,
  plugin_failed: 502,
  plugin_timeout: 504,
  outcome_unknown: 502,
  data_dir_in_use: 503,
  store_unavailable: 503,
  shutting_down: 503,
  internal_error: 500,
};

export function statusFor(code: string): number {
  return STATUS[code] ?? 400;
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What a string `format` in the schemas asks for. */
const FORMAT_NAMES: Readonly<Record<string, string>> = { uuid: 'must be a UUID', email: 'must be an email address' };

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/** A schema error in words a client can act on: the unknown field by name, the allowed values, what a pattern asks for. */
function validationMessage(issue: ValidationIssue | undefined): string {
  if (!issue) return 'invalid value';
  const params = issue.params as Record<string, unknown>;
  switch (issue.keyword) {
    case 'additionalProperties':
      // A client's key can be anything (a card number, controls, bidi): repeated only when it reads as a field name.
      return isPlainFieldName(params['additionalProperty']) ? `unknown field ${JSON.stringify(params['additionalProperty'])}` : 'an unknown field (its name is not repeated: not a plain field name)';
    case 'enum':
      return `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minLength':
      return params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long`;
    case 'maxLength':
      return `must be at most ${String(params['limit'])} characters long`;
    case 'format':
      return FORMAT_NAMES[String(params['format'])] ?? issue.message ?? 'invalid value';
    case 'pattern':
      return PATTERN_MEANINGS.get(String(params['pattern'])) ?? issue.message ?? 'invalid value';
    case 'type': {
      // A number for an amount: what the field takes, as for a string that does not match (ajv's `verbose` gives the schema).
      const pattern = (issue as { parentSchema?: { pattern?: unknown } }).parentSchema?.pattern;
      return (typeof pattern === 'string' ? PATTERN_MEANINGS.get(pattern) : undefined) ?? issue.message ?? 'invalid value';
    }
    default:
      return issue.message ?? 'invalid value';
  }
}

/** A JSON Pointer's segments (RFC 6901): "/configuration/a~1b" is configuration, then "a/b". */
function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.split('/').slice(1).map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * What a client can match on (errors.md, "Validation errors"): `in` (body, params, querystring, headers),
 * `field` (the dotted path of the offending field in it; for an unknown or a missing field, that field;
 * absent when the whole of it is refused, e.g. a body that is not an object) and `keyword` (the schema
 * keyword it failed: type, pattern, enum, required, additionalProperties, maxLength, ...).
 */
function validationDetails(context: string, issue: ValidationIssue | undefined): Record<string, unknown> {
  if (!issue) return { in: context };
  const params = issue.params as Record<string, unknown>;
  const path = pointerSegments(issue.instancePath);
  const named = issue.keyword === 'additionalProperties' ? params['additionalProperty'] : issue.keyword === 'required' ? params['missingProperty'] : undefined;
  if (typeof named === 'string' && (issue.keyword !== 'additionalProperties' || isPlainFieldName(named))) path.push(named);
  return path.length > 0 ? { in: context, field: path.join('.'), keyword: issue.keyword } : { in: context, keyword: issue.keyword };
}

/** Fastify's own errors (validation, body parsing, size) mapped onto stable codes. */
function fromFastify(err: FastifyError): ErrorBody | null {
  if (err.validation) {
    const first = err.validation[0];
    const path = pointerSegments(first?.instancePath ?? '');
    const where = [err.validationContext ?? 'body', ...path].join('.');
    return { code: 'invalid_input', message: `Invalid ${where}: ${validationMessage(first)}`, details: validationDetails(err.validationContext ?? 'body', first) };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: 'Content-Type must be application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'invalid_json', message: 'Request body is empty but Content-Type is application/json' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'invalid_input', message: 'Content-Length does not match the body' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'invalid_json', message: 'Request body is not valid JSON' };
    default:
      if (err instanceof SyntaxError) return { code: 'invalid_json', message: 'Request body is not valid JSON' };
      return null;
  }
}

/**
 * The stable code of a client error a library raises with its own status (@fastify/send, under
 * @fastify/static, for the checkout page's files: 412 for an If-Match or If-Unmodified-Since that does
 * not hold, 416 for a Range past the file's end). A 4xx not listed is 400 invalid_input.
 */
const LIBRARY_CODES: Readonly<Record<number, string>> = {
  400: 'invalid_input',
  404: 'route_not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  431: 'headers_too_large',
};

const LIBRARY_MESSAGES: Readonly<Record<string, string>> = {
  precondition_failed: 'The request\'s precondition (If-Match or If-Unmodified-Since) does not hold for this file',
  range_not_satisfiable: "The requested Range is not within the file: Content-Range gives the file's size",
};

/** Headers of a library's error that go out with its answer (416's `Content-Range: bytes *\/<size>`). */
const LIBRARY_HEADERS: ReadonlySet<string> = new Set(['content-range', 'allow']);

type LibraryError = FastifyError & { status?: unknown; expose?: unknown; headers?: unknown };

/**
 * A client error (4xx) a library raised with its own status (an http-errors error: `status`/`statusCode`):
 * answered with that status and a stable code, never as a 500. Its message only when the library marks
 * it safe for a client (`expose`, or one of fastify's own fixed messages).
 */
function fromLibrary(err: LibraryError): { status: number; body: ErrorBody; headers: Record<string, string> } | null {
  const raw = typeof err.statusCode === 'number' ? err.statusCode : err.status;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 400 || raw > 499) return null;
  const code = LIBRARY_CODES[raw] ?? 'invalid_input';
  const status = statusFor(code);
  const safe = err.expose === true || (typeof err.code === 'string' && err.code.startsWith('FST_'));
  const message = LIBRARY_MESSAGES[code] ?? (safe && typeof err.message === 'string' && err.message !== '' ? err.message : (STATUS_CODES[raw] ?? 'Bad Request'));
  const headers: Record<string, string> = {};
  if (typeof err.headers === 'object' && err.headers !== null) {
    for (const [name, value] of Object.entries(err.headers as Record<string, unknown>)) {
      if (LIBRARY_HEADERS.has(name.toLowerCase()) && typeof value === 'string') headers[name.toLowerCase()] = value;
    }
  }
  return { status, body: { code, message }, headers };
}

/**
 * Retry-After (seconds) of a refusal that clears by itself, so a client retries (with the same
 * Idempotency-Key) without hammering: `shutting_down` 1 s (another instance takes it at once; the second
 * only spaces out a loop while every instance restarts), `store_unavailable` 5 s (a failover, a restart,
 * a full connection pool take seconds: sooner, every client's retries land on a database recovering),
 * `payment_busy` 1 s (an operation in flight, a key another request holds: the server itself waits up to
 * idempotency.waitTimeoutMs for that one). None for a payment_busy that waiting does not clear: a
 * transaction `held_for_review` (settled by reconciliation, the processor's event or a person, in
 * minutes or hours: poll GET /payments/:id), an `outcome_unreadable` (a newer version's record).
 */
export function retryAfterSeconds(code: string, details?: Record<string, unknown>): number | null {
  switch (code) {
    case 'shutting_down':
      return 1;
    case 'store_unavailable':
      return 5;
    case 'payment_busy': {
      const reason = details?.['reason'];
      return reason === 'held_for_review' || reason === 'outcome_unreadable' ? null : 1;
    }
    default:
      return null;
  }
}

/** One error handler: `{ code, message }` with a fitting status, never a stack trace. */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isPayhostError(err)) {
    // The client's error, except this one: the operator must hear that the database is down (the cause says why).
    if (err.code === 'store_unavailable') request.log.error({ err: err.cause ?? err }, 'ledger database unavailable');
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.details) body.details = err.details;
    const retryAfter = retryAfterSeconds(err.code, err.details);
    if (retryAfter !== null) void reply.header('retry-after', String(retryAfter));
    void reply.status(statusFor(err.code)).send(body);
    return;
  }
  const mapped = fromFastify(err);
  if (mapped) {
    void reply.status(statusFor(mapped.code)).send(mapped);
    return;
  }
  const library = fromLibrary(err);
  if (library) {
    // The client's request, not a bug: no stack, not at error.
    request.log.info({ statusCode: library.status, code: library.body.code, libraryCode: err.code }, 'request refused by a library');
    void reply.status(library.status).headers(library.headers).send(library.body);
    return;
  }
  request.log.error({ err }, 'unhandled error');
  void reply.status(500).send({ code: 'internal_error', message: 'Internal server error' });
}
