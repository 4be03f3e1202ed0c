import type { FastifyInstance } from 'fastify';

/** The methods a route can have; what a 405's Allow header lists from. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * Answers a request no route takes: 405 method_not_allowed with an Allow
 * header when the path exists with other methods (GET /payments: only POST),
 * else 404 route_not_found. Both in the API's error shape.
 */
export function answerUnrouted(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ code: 'method_not_allowed', message: `${request.method} is not allowed on ${path}: use ${allowed.join(' or ')}` });
      return;
    }
    void reply.status(404).send({ code: 'route_not_found', message: `No route ${request.method} ${path}` });
  });
}
