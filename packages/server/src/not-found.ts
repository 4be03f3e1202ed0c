import type { FastifyInstance } from 'fastify';

/** The methods a route can have; what a 405's Allow header lists from. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * Whether a route matched with a named path parameter left empty: `/payments/` matches `/payments/:id`
 * with `id` "" (a trailing slash, or `//` inside a path). No route takes an empty id, slug or plugin id:
 * such a path is not one of the API's. A wildcard (`*`, the webhook routes' rest of the path) may be empty.
 */
function emptyParameter(params: Record<string, string | undefined> | undefined): boolean {
  return Object.entries(params ?? {}).some(([name, value]) => name !== '*' && value === '');
}

/** The path without its trailing slashes, when that is a route: what a 404 for `/payments/` points at. */
function withoutTrailingSlash(app: FastifyInstance, path: string): string | null {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === path) return null;
  const found = METHODS.some((method) => {
    const route = app.findRoute({ method, url: trimmed });
    return route !== null && !emptyParameter(route.params as Record<string, string>);
  });
  return found ? trimmed : null;
}

/**
 * Answers a request no route takes: 405 method_not_allowed with an Allow
 * header when the path exists with other methods (GET /payments: only POST),
 * else 404 route_not_found. Both in the API's error shape. A path with a
 * trailing slash is not the path without it (`POST /payments/` is 404, not
 * 405 for `GET /payments/:id` with an empty id), and neither is one that
 * leaves a path parameter empty, also when the method has a route
 * (`GET /payments/`: 404, not "params.id must be a UUID").
 */
export function answerUnrouted(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => {
      if (method === request.method) return false;
      const route = app.findRoute({ method, url: path });
      return route !== null && !emptyParameter(route.params as Record<string, string>);
    });
    if (allowed.length > 0) {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ code: 'method_not_allowed', message: `${request.method} is not allowed on ${path}: use ${allowed.join(' or ')}` });
      return;
    }
    const trimmed = withoutTrailingSlash(app, path);
    const hint = trimmed === null ? '' : ` (paths take no trailing slash: ${trimmed})`;
    void reply.status(404).send({ code: 'route_not_found', message: `No route ${request.method} ${path}${hint}` });
  });
  // A route matched with an empty parameter is answered as no route: before its auth hook and schema.
  app.addHook('onRequest', (request, reply, done) => {
    if (!emptyParameter(request.params as Record<string, string> | undefined)) return done();
    reply.callNotFound();
  });
}
