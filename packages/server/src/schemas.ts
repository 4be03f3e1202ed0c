/** JSON schemas shared by the routes: fastify validates requests and serializes replies with them. */
import type { preValidationHookHandler } from 'fastify';
import { CONFIG_FIELD_TYPES, PayhostError, PLUGIN_ID_MAX_LENGTH, PLUGIN_ID_PATTERN, PLUGIN_ID_RULE, type ConfigField } from '@payhost/core';

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
  description: 'An error: match on `code` (stable); `message` is for people and may change',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** What each error status means, in every route's OpenAPI responses unless the route says more. */
const ERROR_DESCRIPTIONS = {
  400: '`invalid_input` (a field, header or path parameter the request schema refuses, named in the message), `invalid_json`, `invalid_amount`, `unknown_currency`',
  401: '`unauthorized`: a missing or wrong `Authorization: Bearer` key',
  402: '`gateway_declined`: the gateway refused the operation, recorded as a failed transaction (`details`: `paymentId`, `transactionId`, `errorCode`)',
  404: '`unknown_channel`, `unknown_gateway`, `unknown_plugin`, `payment_not_found` or `transaction_not_found`',
  409: '`payment_busy` (another operation on the payment is in flight: retry with the same Idempotency-Key; or one of its transactions is held for review, `details.reason: held_for_review`: retry once the review is settled, `/admin/review`) or `idempotency_key_reused` (the key was used with another body)',
  412: '`configuration_changed`: the `If-Match` revision is no longer the latest (a weak ETag never matches); nothing changed',
  413: '`payload_too_large`: a body over `server.bodyLimit`',
  415: '`unsupported_media_type`: a body that is not `application/json`',
  422: '`inactive_gateway`, `currency_not_supported`, `operation_not_allowed` (the payment\'s state refuses the operation; `details.reason` is a stable code, e.g. `payment_inactive`, `already_charged`, `nothing_to_capture`: see errors.md), `operation_not_supported`, `amount_exceeds` or `no_payment_source`',
  500: '`internal_error`: a bug, logged by the server',
  502: '`plugin_failed`, or `outcome_unknown`: the gateway may have acted, the transaction is held for review (retry with the same Idempotency-Key)',
  503: '`store_unavailable` (the ledger database is out of reach: retry with the same Idempotency-Key) or `shutting_down` (retry on another instance)',
  504: '`plugin_timeout`: the plugin did not answer within `server.hookTimeoutMs`',
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The Retry-After of the refusals that clear by themselves (http-errors.ts, retryAfterSeconds). */
const RETRY_AFTER_HEADER = {
  'Retry-After': {
    type: 'integer',
    description:
      'Seconds to wait before retrying with the same Idempotency-Key: 1 for `shutting_down` and `payment_busy`, 5 for `store_unavailable`; absent for a `payment_busy` that waiting does not clear (`details.reason` `held_for_review`, `outcome_unreadable`)',
  },
} as const;

/**
 * The error responses of a route, for the OpenAPI document and for serialization: only the statuses the
 * route can answer, each described (`descriptions` says what this route means by one, e.g. which 404).
 */
export function errorsOf(statuses: readonly ErrorStatus[], descriptions: Partial<Record<ErrorStatus, string>> = {}): Record<string, { $ref: 'Error#'; description: string; headers?: typeof RETRY_AFTER_HEADER }> {
  return Object.fromEntries(
    statuses.map((status) => {
      const description = descriptions[status] ?? ERROR_DESCRIPTIONS[status];
      // Every 503 (shutting_down, store_unavailable) and a 409 that can be payment_busy carry Retry-After (http-errors.ts).
      const retried = status === 503 || (status === 409 && description.includes('`payment_busy`'));
      return [String(status), retried ? { $ref: 'Error#', description, headers: RETRY_AFTER_HEADER } : { $ref: 'Error#', description }];
    }),
  );
}

/** Statuses only a request body can cause (too large, not JSON). */
export const BODY_ERROR_STATUSES = ['413', '415'] as const;

/** GET /health/ready: 503 store_unavailable when the ledger database does not answer or is read-only. */
export const readinessErrorResponses = errorsOf([500, 503], { 503: '`store_unavailable`: the ledger database does not answer, or is read-only (`details.reason: read_only`); or `shutting_down`' });

/**
 * preValidation of the routes that take an Idempotency-Key (the payment API's and the checkout's): two
 * of them reach the server as two header lines, or as one joined with ", " (Node joins repeated lines
 * so; clients such as fetch join them before sending). A key has no spaces, so either way it is two
 * keys, and the schema would only say "must be printable ASCII without spaces".
 */
export const oneIdempotencyKey: preValidationHookHandler = (request, _reply, done) => {
  const raw = request.raw.rawHeaders;
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'idempotency-key') lines++;
  const value = request.headers['idempotency-key'];
  if (lines > 1 || (typeof value === 'string' && value.includes(', '))) {
    return done(
      new PayhostError('invalid_input', 'Send one Idempotency-Key header: this request has several (or one with values joined by ", ")', {
        in: 'headers',
        field: 'idempotency-key',
        reason: 'several_keys',
      }),
    );
  }
  done();
};

/**
 * preValidation hook of a route whose body has optional fields: a top-level field sent as JSON null that
 * the body schema does not require is taken as absent (many client serializers write null for an unset
 * optional), as the ledger takes null for idempotency. A required one sent as null is still refused by
 * the schema, and so is null for a field the schema does not have (an unknown field).
 */
export function nullMeansAbsent(body: { properties: Record<string, unknown>; required?: readonly string[] }): preValidationHookHandler {
  const required = new Set(body.required ?? []);
  const optional = Object.keys(body.properties).filter((name) => !required.has(name));
  return (request, _reply, done) => {
    const value = request.body as Record<string, unknown> | null | undefined;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const name of optional) if (value[name] === null) delete value[name];
    }
    done();
  };
}

/**
 * A UUID from a path, as the ledger stores it: lowercase. UUIDs are case-insensitive (RFC 9562), and the
 * schemas' UUID pattern (`uuidString`) lets an uppercase one through: without this it would read as "does not exist".
 */
export function uuidParam(value: string): string {
  return value.toLowerCase();
}

export const slug = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' } as const;
/** A plugin id, by core's rule (the loader refuses a plugin whose id breaks it): PLUGIN_ID_PATTERN, at most PLUGIN_ID_MAX_LENGTH characters. */
export const pluginId = { type: 'string', minLength: 1, maxLength: PLUGIN_ID_MAX_LENGTH, pattern: PLUGIN_ID_PATTERN } as const;
export const currencyCode = { type: 'string', pattern: '^[A-Za-z]{3}$' } as const;
/** A decimal amount as a string ("10.50"); precision is checked against the currency by core. */
export const amountString = { type: 'string', pattern: '^[0-9]{1,15}(\\.[0-9]{1,4})?$' } as const;
export const identifier = { type: 'string', minLength: 1, maxLength: 200 } as const;
/**
 * A payment or transaction id in a path: a UUID written plainly, in either case. An explicit pattern,
 * because ajv-formats' `uuid` also takes `urn:uuid:<uuid>`, which would then read as "not found".
 * `format` stays for the OpenAPI document (generated clients type it as a UUID).
 */
export const uuidString = { type: 'string', format: 'uuid', pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' } as const;
/** An Idempotency-Key: printable ASCII, no spaces (a header value every client sends unchanged). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]+$';

/**
 * What each pattern above asks for, in words: a validation error names it
 * (http-errors.ts) instead of showing the regular expression to a client.
 */
export const PATTERN_MEANINGS: ReadonlyMap<string, string> = new Map([
  [slug.pattern, 'must be letters, digits, "_" or "-", starting with a letter or digit'],
  [pluginId.pattern, `must be a plugin id: ${PLUGIN_ID_RULE}`],
  [currencyCode.pattern, 'must be a three-letter ISO 4217 currency code, such as "USD"'],
  [amountString.pattern, 'must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)'],
  [IDEMPOTENCY_KEY_PATTERN, 'must be printable ASCII without spaces'],
  [uuidString.pattern, 'must be a UUID'],
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

/**
 * One field of a plugin's configStructure (core's ConfigField), every property listed: the reply
 * serializer drops a property its schema does not list, so a flag left out here never reaches an admin
 * form (as `fileOnly` once did: the form offered the field, and saving it was refused). `satisfies`
 * makes a property added to ConfigField, or removed from it, a compile error here.
 */
const configFieldProperties = {
  type: { type: 'string', enum: CONFIG_FIELD_TYPES },
  label: { type: 'string' },
  helpText: { type: 'string' },
  receivesSecrets: { type: 'boolean', description: 'The plugin sends its secrets to the address this field holds: changing it means sending every stored secret again in clear' },
  fileOnly: { type: 'boolean', description: 'Only the configuration file sets this field: a change through the admin API is refused (`file_only_field`); show it read-only' },
} as const satisfies { readonly [K in keyof Required<ConfigField>]: unknown };

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
        required: ['type', 'label'],
        properties: configFieldProperties,
      },
    },
  },
} as const;

/** A customer's stored payment method (core's CustomerSource); the route writes every field, null when unset. */
export const paymentSourceSchema = {
  $id: 'PaymentSource',
  type: 'object',
  required: ['id', 'gateway', 'creditCardInfo'],
  properties: {
    id: { type: 'string', description: "The gateway's id of the stored method: the `token` of a payment that charges it" },
    gateway: { type: 'string' },
    creditCardInfo: {
      type: ['object', 'null'],
      required: ['last4', 'expYear', 'expMonth', 'brand', 'nameOnCard'],
      properties: {
        last4: { type: 'string' },
        expYear: { type: 'integer' },
        expMonth: { type: 'integer' },
        brand: { type: 'string' },
        nameOnCard: { type: ['string', 'null'] },
      },
    },
  },
} as const;
