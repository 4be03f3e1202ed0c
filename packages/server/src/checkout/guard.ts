import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { checkNoCardNumber, ERROR_CODES, PayhostError, type PaymentGateway, type PaymentService } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { errorHandler } from '../http-errors.js';
import { checkoutRoutes } from './routes.js';

// What bounds the public checkout API, which takes no key: the gateways it may use
// (server.checkoutGateways) and how many POSTs one client address may send (server.checkoutRateLimit*).
// Applied around checkoutRoutes, in the scope it is registered in, so its routes stay as they are.

const PAY_URL = '/checkout/api/payments';
const CHANNELS_URL = '/checkout/api/channels';
const GATEWAYS_URL = '/checkout/api/channels/:channel/gateways';

/** The answer past the rate limit (429 in the API's error shape). */
const RATE_LIMITED = 'rate_limited';

const RATE_LIMITED_RESPONSE = {
  $ref: 'Error#',
  description: '`rate_limited`: more POSTs from this client address than `server.checkoutRateLimitMax` within `server.checkoutRateLimitWindowMs`; `Retry-After` says when to retry',
};

class RateLimited extends Error {
  readonly statusCode = 429;
  readonly code = RATE_LIMITED;
}

interface PayBody {
  channel: string;
  gateway?: string;
  currency: string;
}

/**
 * The gateway a checkout payment goes to, resolved as the ledger would (named, else the channel's default
 * for the currency, else the first that takes it): one the checkout may not use is unknown to it, 404
 * `unknown_gateway` with `details.reason` `not_a_checkout_gateway`, as it is absent from its listing.
 */
function checkoutGateway(ctx: ServerContext, allowed: ReadonlySet<string>, body: PayBody): string {
  const gateway = ctx.manager.resolveGateway(body.channel, body.currency, body.gateway ?? null);
  if (allowed.has(gateway.id)) return gateway.id;
  throw new PayhostError(ERROR_CODES.unknownGateway, `Gateway "${gateway.id}" is not offered by the checkout in channel "${body.channel}"`, {
    channel: body.channel,
    gateway: gateway.id,
    reason: 'not_a_checkout_gateway',
  });
}

type Handler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Wraps a route's handler to reshape its (object) answer. */
function reshape<T>(route: RouteOptions, change: (answer: T) => T): void {
  const handler = route.handler as Handler;
  route.handler = async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    return change((await handler.call(this, request, reply)) as T);
  };
}

/** The checkout's routes (checkoutRoutes), limited to server.checkoutGateways and rate limited per client address. */
export async function guardedCheckoutRoutes(app: FastifyInstance, ctx: ServerContext, payments: PaymentService): Promise<void> {
  const { checkoutGateways, checkoutRateLimitMax, checkoutRateLimitWindowMs } = ctx.config.server;
  const allowed: ReadonlySet<string> = new Set(checkoutGateways);

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (methods.includes('POST') && route.schema?.response) {
      route.schema = { ...route.schema, response: { ...(route.schema.response as object), 429: RATE_LIMITED_RESPONSE } };
    }
    if (methods.includes('POST') && route.url.startsWith(PAY_URL)) {
      // The key is stored (checkout:<key>): a card number in it would be card data at rest. The page sends UUIDs.
      const keyCheck = async (request: FastifyRequest): Promise<void> => {
        checkNoCardNumber('idempotency-key', request.headers['idempotency-key'], 'send a random key (the page sends a UUID), never a card number');
      };
      route.preHandler = [keyCheck, ...[route.preHandler ?? []].flat()];
    }
    if (route.url === PAY_URL && methods.includes('POST')) {
      // After validation: the body is well formed. The resolved gateway is sent on, so the payment cannot
      // be routed anywhere else.
      const check = async (request: FastifyRequest): Promise<void> => {
        const body = request.body as PayBody;
        body.gateway = checkoutGateway(ctx, allowed, body);
      };
      route.preHandler = [...[route.preHandler ?? []].flat(), check];
    } else if (route.url === GATEWAYS_URL && methods.includes('GET')) {
      reshape<{ gateways: PaymentGateway[] }>(route, (answer) => ({ ...answer, gateways: answer.gateways.filter((gateway) => allowed.has(gateway.id)) }));
    } else if (route.url === CHANNELS_URL && methods.includes('GET')) {
      // A channel's default for a currency is named only when the checkout offers it.
      type Channels = { channels: Array<{ defaultGateways?: Record<string, string> }> };
      reshape<Channels>(route, (answer) => ({
        channels: answer.channels.map((channel) =>
          channel.defaultGateways ? { ...channel, defaultGateways: Object.fromEntries(Object.entries(channel.defaultGateways).filter(([, id]) => allowed.has(id))) } : channel,
        ),
      }));
    }
  });

  // Per client address (request.ip: the connection's, or the client's from X-Forwarded-For when server.trustProxy
  // trusts the connection; without it, behind a reverse proxy, the proxy's, so limit there per client too).
  // Only the POSTs, which call gateways and write rows; the page and the reads are not counted.
  await app.register(rateLimit, {
    global: true,
    max: checkoutRateLimitMax,
    timeWindow: checkoutRateLimitWindowMs,
    allowList: (request) => request.method !== 'POST',
    errorResponseBuilder: (_request, context) => new RateLimited(`Too many checkout requests from this address: retry in ${context.after}`),
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof RateLimited) return reply.status(429).send({ code: RATE_LIMITED, message: err.message });
    return errorHandler(err, request, reply);
  });

  await checkoutRoutes(app, ctx, payments);
}
