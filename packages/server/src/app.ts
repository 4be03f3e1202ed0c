import type { ServerOptions } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import type { Logger } from '@payhost/core';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { addCheckoutHeaders } from './checkout/headers.js';
import { answerClientError } from './client-errors.js';
import { errorHandler, retryAfterSeconds } from './http-errors.js';
import { installJsonParser } from './json-body.js';
import { answerUnrouted } from './not-found.js';
import { requestLogger } from './request-log.js';
import { requireBearer } from './auth.js';
import { BODY_ERROR_STATUSES, errorSchema, optionalBody, gatewaySchema, paymentSourceSchema, pluginConfigurationSchema } from './schemas.js';
import { sharedSchemas } from './serialize.js';
import { adminRoutes } from './routes/admin.js';
import { customerRoutes } from './routes/customers.js';
import { gatewayRoutes } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { webhookRoutes, type ApplyEvents } from './routes/webhooks.js';

export interface AppOptions {
  logger: Logger;
  /** Registers the payment routes (the ledger), behind the payment API key. */
  paymentRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Registers the ledger's admin routes (transactions held for review), behind the admin API key. */
  adminLedgerRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Applies webhook events to the ledger. */
  applyEvents?: ApplyEvents | null;
  /** Extra public routes (the checkout page). */
  publicRoutes?: ((app: FastifyInstance) => Promise<void>) | undefined;
}

/** Declares in the OpenAPI document which key the scope's routes need (the scope's onRequest hook enforces it). */
function documentSecurity(scope: FastifyInstance, scheme: 'paymentKey' | 'adminKey'): void {
  scope.addHook('onRoute', (route) => {
    route.schema = { ...(route.schema ?? {}), security: [{ [scheme]: [] }] } as typeof route.schema;
  });
}

/**
 * A GET (or HEAD) cannot answer 413 or 415 (fastify reads no body for them): its documented responses
 * leave them out, should a route's `errorsOf` list name them. Every other method can, even without a
 * body schema (a DELETE sent a body is answered 415 or 413 as a PUT is).
 */
function documentErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    const methods = [route.method].flat();
    if (!response || route.schema?.body || !methods.every((method) => method === 'GET' || method === 'HEAD')) return;
    const kept = Object.fromEntries(Object.entries(response).filter(([status]) => !(BODY_ERROR_STATUSES as readonly string[]).includes(status)));
    route.schema = { ...route.schema, response: kept } as typeof route.schema;
  });
}

/** `METHOD /openapi/{path}` of the routes whose body is optional (their preValidation is `optionalBody`). */
function optionalBodyRoutes(app: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  app.addHook('onRoute', (route) => {
    const hooks = [route.preValidation].flat();
    if (!hooks.includes(optionalBody)) return;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of [route.method].flat()) routes.add(`${method.toLowerCase()} ${path}`);
  });
  return routes;
}

type OpenApiOperation = {
  security?: unknown;
  requestBody?: { required?: boolean };
  responses?: Record<string, unknown>;
  parameters?: Array<{ in?: string; name?: string; description?: string }>;
};

/** The name the document gives a route's wildcard (`*`, which client generators cannot make a parameter of). */
const WILDCARD_NAME = 'subpath';

/**
 * What @fastify/swagger cannot tell from the schemas: a route that takes no body as `{}` does not
 * require one (`requestBody.required: false`, or generated clients would insist on sending one), and a
 * route without a key (health, the public checkout API) never answers 401. And a webhook path's
 * wildcard, `{*}`, is named `{subpath}` (the route itself stays `*`).
 */
function finishOpenApi(optionalBodies: Set<string>): SwaggerTransformObject {
  return (document) => {
    const openapiObject = 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
    const paths: Record<string, object | undefined> = {};
    for (const [path, item] of Object.entries((openapiObject.paths ?? {}) as Record<string, object | undefined>)) {
      for (const [method, operation] of Object.entries(item ?? {}) as Array<[string, OpenApiOperation]>) {
        if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
        if (operation.requestBody && optionalBodies.has(`${method} ${path}`)) operation.requestBody.required = false;
        if (!operation.security && operation.responses) delete operation.responses['401'];
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in === 'path' && parameter.name === '*') {
            parameter.name = WILDCARD_NAME;
            parameter.description ??= 'The rest of the path, as the plugin reads it (may contain "/")';
          }
        }
      }
      paths[path.replaceAll('{*}', `{${WILDCARD_NAME}}`)] = item;
    }
    openapiObject.paths = paths as typeof openapiObject.paths;
    return openapiObject;
  };
}

/**
 * Once the server is closing, new connections are refused and idle ones closed. The requests in flight
 * are answered with Connection: close, which ends their connections (a request pipelined behind one is
 * dropped unanswered, as HTTP lets a server closing a connection do). Any request that still reaches a
 * route is refused with 503 shutting_down, so the client retries it elsewhere instead of starting work
 * the shutdown would cut short.
 */
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    void reply
      .status(503)
      .header('retry-after', String(retryAfterSeconds('shutting_down')))
      .send({ code: 'shutting_down', message: 'The server is shutting down: retry the request (with the same idempotency key)' });
  });
  // A request that was in flight is answered, then its connection closed: kept alive and idle, it would
  // hold the shutdown until the keep-alive timeout (72 s), since fastify closes idle connections only once.
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (closing) reply.header('connection', 'close');
    done();
  });
}

const API_DESCRIPTION = [
  'Payment-gateway plugin host: reference server API.',
  'Errors are `{ code, message, details? }` (the `Error` schema) with stable codes.',
  'A method a path has no operation for (GET /payments, GET on a webhook path) is answered `405 method_not_allowed`',
  'with an `Allow` header listing the methods it takes (`components.responses.MethodNotAllowed`); an unknown path is `404 route_not_found`.',
  'Any request can also be answered `431 headers_too_large` (headers over Node\'s limit) or `408 request_timeout` (not received in full within `server.requestTimeoutMs`)',
  'by the HTTP parser, before any route, the connection then closed: described once (`components.responses.HeadersTooLarge`, `RequestTimeout`), not per operation.',
  'An optional body field sent as null is taken as absent.',
].join(' ');

/**
 * 405, which no operation answers: it is the answer to a (path, method) pair the document has no
 * operation for. Described once here and in the document's description.
 */
const METHOD_NOT_ALLOWED = {
  description: '`method_not_allowed`: the path exists, not with this method; `Allow` lists the methods it takes',
  headers: { Allow: { description: 'The methods the path takes, e.g. `POST`', schema: { type: 'string' as const } } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** 431 and 408, which Node's HTTP parser answers for any request before routing (client-errors.ts): described once. */
const PARSER_ERRORS = {
  HeadersTooLarge: {
    description: "`headers_too_large`: the request's headers are over Node's limit (16 KiB by default); any request can be answered so, and the connection is closed",
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  RequestTimeout: {
    description: '`request_timeout`: the request was not received in full within `server.requestTimeoutMs`; any request can be answered so, and the connection is closed',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
};

/** Above the schemas' longest parameter (200), so a too-long id is the schema's invalid_input, not a 404. */
const MAX_PARAM_LENGTH = 400;

/** What a client did wrong, for the errors fastify raises before routing. */
const FRAMEWORK_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'Malformed URL: invalid percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: `A path segment is longer than ${MAX_PARAM_LENGTH} characters (no id, slug or plugin id is)`,
};

/**
 * How long a client may take to send a request, and to keep a connection idle. fastify's defaults wait
 * forever (its requestTimeout 0 overrides Node's), so a client that sends headers and then a byte now and
 * then held its connection, and enough of them every file descriptor. Node counts requestTimeout (and
 * headersTimeout) until the request has been received, from the connection's opening or the request's
 * first byte: the handler's time (a gateway call) is not counted, so a slow payment is still answered.
 * There is no inactivity timeout (fastify's connectionTimeout, 0): it would cut a connection whose
 * request is waiting for a slow gateway, and the phases it would bound are bounded by these two.
 */
function connectionLimits(server: ServerConfig['server']): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    http: {
      headersTimeout: server.requestTimeoutMs,
      // Node looks for expired requests this often (default 30 s, which would double a short timeout).
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(server.requestTimeoutMs / 4))),
    },
  };
}

/** Says (at most every 10 s, a flood would fill the log) that connections are being closed at the cap. */
function warnOnDroppedConnections(app: FastifyInstance, maxConnections: number): void {
  let warnedAt = -Infinity;
  app.server.on('drop', () => {
    if (Date.now() - warnedAt < 10_000) return;
    warnedAt = Date.now();
    app.log.warn({ maxConnections }, 'server.maxConnections reached: new connections are closed unanswered');
  });
}

/** A hop count as fastify reads one (its types omit numbers): the n hops nearest the server are trusted. */
function fastifyTrustProxy(trust: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** Builds the fastify app: schemas, error mapping, auth scopes, routes, OpenAPI. */
export async function buildApp(ctx: ServerContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Its request lines carry the URL with the query values redacted (request-log.ts).
    loggerInstance: requestLogger(options.logger) as unknown as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimit,
    // request.ip (the checkout rate limit's key, the request log's remoteAddress) is the client's address from
    // X-Forwarded-For only when the connection comes from a trusted proxy.
    trustProxy: fastifyTrustProxy(ctx.config.server.trustProxy),
    // verbose: a validation error carries its schema, so a number sent for an amount is told what an amount is.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true, verbose: true } },
    // Requests that still arrive while closing are refused by refuseWhileClosing, in the API's error shape.
    return503OnClosing: false,
    // Above the schemas' longest parameter (200), so a too-long id is the schema's invalid_input, not a 404.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors fastify raises before routing (a malformed percent-encoding in a path parameter, a parameter
    // longer than maxParamLength) in the API's shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).status(400).send({ code: 'invalid_input', message: FRAMEWORK_ERROR_MESSAGES[error.code] ?? 'Malformed request' });
    },
    // What Node's HTTP parser refuses (headers too large, a malformed request, one not received within
    // requestTimeout) never reaches a route.
    clientErrorHandler: answerClientError,
    ...connectionLimits(ctx.config.server),
  });
  // Past it, a new connection is closed at once: a flood of connections cannot take every file descriptor
  // the process has (the store needs some), and those already open are served.
  app.server.maxConnections = ctx.config.server.maxConnections;
  warnOnDroppedConnections(app, ctx.config.server.maxConnections);
  // The API speaks JSON only: anything else is a 415 (webhook routes take raw bodies of any type).
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  app.setErrorHandler(errorHandler);
  refuseWhileClosing(app);
  documentErrors(app);
  const optionalBodies = optionalBodyRoutes(app);
  answerUnrouted(app);
  addCheckoutHeaders(app); // on the not-found handler's 404 and 405 under /checkout too
  app.addSchema(errorSchema);
  app.addSchema(gatewaySchema);
  app.addSchema(pluginConfigurationSchema);
  app.addSchema(paymentSourceSchema);
  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(swagger, {
    transformObject: finishOpenApi(optionalBodies),
    // Shared schemas are components named by their $id (Payment, Transaction, Error, ...), not def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
    openapi: {
      info: { title: 'payhost', description: API_DESCRIPTION, version: '0.1.0' },
      components: {
        securitySchemes: {
          paymentKey: { type: 'http', scheme: 'bearer', description: 'auth.paymentApiKey' },
          adminKey: { type: 'http', scheme: 'bearer', description: 'auth.adminApiKey' },
        },
        responses: { MethodNotAllowed: METHOD_NOT_ALLOWED, ...PARSER_ERRORS },
      },
    },
  });

  await app.register(async (scope) => healthRoutes(scope, ctx));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (scope) => {
    scope.addHook('onRequest', requireBearer(ctx.config.auth.paymentApiKey, 'payment'));
    documentSecurity(scope, 'paymentKey');
    await gatewayRoutes(scope, ctx);
    await customerRoutes(scope, ctx);
    if (options.paymentRoutes) await options.paymentRoutes(scope);
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireBearer(ctx.config.auth.adminApiKey, 'admin'));
    documentSecurity(scope, 'adminKey');
    await adminRoutes(scope, ctx);
    if (options.adminLedgerRoutes) await options.adminLedgerRoutes(scope);
  });
  await app.register(async (scope) => webhookRoutes(scope, ctx, options.applyEvents ?? null));
  if (options.publicRoutes) await app.register(async (scope) => options.publicRoutes?.(scope));
  return app;
}
