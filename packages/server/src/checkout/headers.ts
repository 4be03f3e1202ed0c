import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The page may load its own files and, only when a Stripe gateway is chosen,
 * Stripe.js (script, frames, API calls). No other origin is contacted.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' https://js.stripe.com https://*.js.stripe.com",
  "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
  "connect-src 'self' https://api.stripe.com",
  "img-src 'self' data: https://*.stripe.com",
  "style-src 'self' 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The path an answer is for, as the router saw it: the matched route's pattern, else (a 404) the path
 * percent-decoded and without an absolute-form origin. The raw URL is not enough: the router decodes
 * "%63heckout" to "checkout", so a raw prefix test would serve the page without its headers.
 */
function routedPath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route !== undefined) return route;
  let path = request.url.split('?')[0] ?? '';
  try {
    path = new URL(path, 'http://localhost').pathname;
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The checkout's headers on every answer under /checkout: its page and API, and also the 404 and 405
 * the server's not-found handler answers there. That handler lives outside the checkout's scope, so
 * this is a hook on the whole server, applied by path. Every other answer (the payment, admin and
 * webhook APIs carry payment data) gets `Cache-Control: no-store` unless its route set one, and every
 * answer `X-Content-Type-Options: nosniff`.
 */
export function addCheckoutHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    // Every answer: a 404 echoes the raw URL in its JSON, never to be sniffed as HTML.
    reply.header('x-content-type-options', 'nosniff');
    const path = routedPath(request);
    if (path !== '/checkout' && !path.startsWith('/checkout/')) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    }
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    // For browsers that ignore CSP's frame-ancestors.
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (path.startsWith('/checkout/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
