import type { FastifyInstance } from 'fastify';
import { parseAmount, normalizeCurrency } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { amountString, currencyCode, errorResponses, identifier, optionalBody, pluginId, slug } from '../schemas.js';

interface ListQuery {
  currency?: string;
}
interface TokenBody {
  customerId?: string;
  amount?: string;
  currency?: string;
  /** Gateway-specific extras (TokenConfig.data). */
  data?: Record<string, unknown>;
}

/** Currency routing and client tokens: what a checkout page asks before paying. */
export async function gatewayRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Params: { channel: string }; Querystring: ListQuery }>(
    '/channels/:channel/gateways',
    {
      schema: {
        summary: 'Active gateways of a channel, for a currency',
        params: { type: 'object', required: ['channel'], properties: { channel: slug } },
        querystring: { type: 'object', additionalProperties: false, properties: { currency: currencyCode } },
        response: { 200: { type: 'object', properties: { gateways: { type: 'array', items: { $ref: 'PaymentGateway#' } } } }, ...errorResponses },
      },
    },
    async (request) => ({
      gateways: await ctx.manager.listPaymentGateways({ channel: request.params.channel, currency: request.query.currency ?? null }),
    }),
  );

  app.post<{ Params: { channel: string; gateway: string }; Body: TokenBody }>(
    '/channels/:channel/gateways/:gateway/client-token',
    {
      schema: {
        summary: 'A fresh client token for the browser (never reuse one)',
        params: { type: 'object', required: ['channel', 'gateway'], properties: { channel: slug, gateway: pluginId } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { customerId: identifier, amount: amountString, currency: currencyCode, data: { type: 'object', maxProperties: 50 } },
        },
        response: { 200: { type: 'object', required: ['clientToken'], properties: { clientToken: { type: 'string' } } }, ...errorResponses },
      },
      // Every field is optional: so is the body.
      preValidation: optionalBody,
    },
    async (request) => {
      const body = request.body ?? {};
      const currency = body.currency ? normalizeCurrency(body.currency) : null;
      const amount = body.amount !== undefined && currency ? parseAmount(body.amount, currency) : null;
      const clientToken = await ctx.manager.getClientToken({
        channel: request.params.channel,
        gateway: request.params.gateway,
        customerId: body.customerId ?? null,
        currency,
        amount,
        data: body.data ?? null,
      });
      return { clientToken };
    },
  );
}
