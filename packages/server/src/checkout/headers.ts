import type { FastifyInstance } from 'fastify';

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
 * The checkout's headers on every answer under /checkout: its page and API, and also the 404 and 405
 * the server's not-found handler answers there. That handler lives outside the checkout's scope, so
 * this is a hook on the whole server, applied by path.
 */
export function addCheckoutHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== '/checkout' && !path.startsWith('/checkout/')) return payload;
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (path.startsWith('/checkout/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
