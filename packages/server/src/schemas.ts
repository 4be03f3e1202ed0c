/** JSON schemas shared by the routes: fastify validates requests and serializes replies with them. */
import type { preValidationHookHandler } from 'fastify';

/**
 * preValidation hook of a route whose body is optional: a POST without a body means "no options" and is
 * validated as `{}` (fastify would otherwise refuse the missing body: "body must be object"). A body that
 * is there, even empty JSON with a JSON content type, goes through the usual parsing and validation.
 */
export const optionalBody: preValidationHookHandler = (request, _reply, done) => {
  if (request.body === undefined) request.body = {};
  done();
};

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const error = { $ref: 'Error#' } as const;

/**
 * The errors of the API routes (behind a key), in the OpenAPI document and for serialization: 400
 * invalid_input/invalid_json, 401, 404 unknown_…/…_not_found, 409 busy/reused key, 413 and 415 (routes that
 * take a body: too large, not JSON), 422, 500 internal_error, 502 plugin_failed/outcome_unknown, 503
 * store_unavailable (the ledger database is out of reach), 504 plugin_timeout. Routes that take no body do
 * not list 413 and 415 (buildApp drops them: see `documentErrors`).
 */
export const errorResponses = {
  400: error,
  401: error,
  404: error,
  409: error,
  413: error,
  415: error,
  422: error,
  500: error,
  502: error,
  503: error,
  504: error,
} as const;

/** Statuses only a request body can cause (too large, not JSON). */
export const BODY_ERROR_STATUSES = ['413', '415'] as const;

/** GET /health/ready: 503 store_unavailable when the ledger database does not answer. */
export const readinessErrorResponses = { 500: error, 503: error } as const;

/**
 * A UUID from a path, as the ledger stores it: lowercase. UUIDs are case-insensitive (RFC 9562), and the
 * schemas' `format: 'uuid'` lets an uppercase one through: without this it would read as "does not exist".
 */
export function uuidParam(value: string): string {
  return value.toLowerCase();
}

export const slug = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' } as const;
export const pluginId = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9@/._-]+$' } as const;
export const currencyCode = { type: 'string', pattern: '^[A-Za-z]{3}$' } as const;
/** A decimal amount as a string ("10.50"); precision is checked against the currency by core. */
export const amountString = { type: 'string', pattern: '^[0-9]{1,15}(\\.[0-9]{1,4})?$' } as const;
export const identifier = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** An Idempotency-Key: printable ASCII, no spaces (a header value every client sends unchanged). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]+$';

/**
 * What each pattern above asks for, in words: a validation error names it
 * (http-errors.ts) instead of showing the regular expression to a client.
 */
export const PATTERN_MEANINGS: ReadonlyMap<string, string> = new Map([
  [slug.pattern, 'must be letters, digits, "_" or "-", starting with a letter or digit'],
  [pluginId.pattern, 'must be a plugin id: letters, digits and @ / . _ -'],
  [currencyCode.pattern, 'must be a three-letter ISO 4217 currency code, such as "USD"'],
  [amountString.pattern, 'must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)'],
  [IDEMPOTENCY_KEY_PATTERN, 'must be printable ASCII without spaces'],
]);

export const publicConfigSchema = {
  type: 'array',
  items: { type: 'object', required: ['field', 'value'], properties: { field: { type: 'string' }, value: { type: 'string' } } },
} as const;

export const gatewaySchema = {
  $id: 'PaymentGateway',
  type: 'object',
  required: ['id', 'name', 'currencies', 'config'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    currencies: { type: 'array', items: { type: 'string' } },
    config: publicConfigSchema,
  },
} as const;

export const pluginConfigurationSchema = {
  $id: 'PluginConfiguration',
  type: 'object',
  required: ['id', 'name', 'channel', 'active', 'configuration', 'configStructure'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    channel: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    configuration: { type: 'object', additionalProperties: { type: ['string', 'boolean', 'null'] } },
    configStructure: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { type: { type: 'string' }, label: { type: 'string' }, helpText: { type: 'string' } },
      },
    },
  },
} as const;
