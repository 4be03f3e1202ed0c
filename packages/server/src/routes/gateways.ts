import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, parseAmount, normalizeCurrency, PayhostError } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { amountString, currencyCode, errorsOf, identifier, nullMeansAbsent, optionalBody, pluginId, slug } from '../schemas.js';

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

const tokenBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    customerId: identifier,
    // Checked against its currency (USD's 2 places, JPY's none): without one it would go unchecked.
    amount: { ...amountString, description: 'Needs `currency`: the currency the amount is in' },
    currency: currencyCode,
    data: { type: 'object', maxProperties: 50 },
  },
} as const;

/** Currency routing and client tokens: what a checkout page asks before paying. */
export async function gatewayRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Params: { channel: string }; Querystring: ListQuery }>(
    '/channels/:channel/gateways',
    {
      schema: {
        operationId: 'listGateways',
        summary: 'Active gateways of a channel, for a currency',
        params: { type: 'object', required: ['channel'], properties: { channel: slug } },
        querystring: { type: 'object', additionalProperties: false, properties: { currency: currencyCode } },
        response: {
          200: { description: "The channel's active gateways (that take the currency, when one is given), in order", type: 'object', required: ['gateways'], properties: { gateways: { type: 'array', items: { $ref: 'PaymentGateway#' } } } },
          // Plugins that fail to list themselves are left out (and logged), never an error.
          ...errorsOf([400, 401, 404, 500, 503], { 404: '`unknown_channel`' }),
        },
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
        operationId: 'createClientToken',
        summary: 'A fresh client token for the browser (never reuse one)',
        params: { type: 'object', required: ['channel', 'gateway'], properties: { channel: slug, gateway: pluginId } },
        body: tokenBody,
        response: {
          200: { description: 'A client token made for this request only', type: 'object', required: ['clientToken'], properties: { clientToken: { type: 'string' } } },
          ...errorsOf([400, 401, 404, 413, 415, 422, 500, 502, 503, 504], {
            404: '`unknown_channel` or `unknown_gateway`',
            422: '`inactive_gateway`, `currency_not_supported` (the channel does not sell the currency, or the gateway does not take it) or `operation_not_supported` (the gateway issues no client tokens)',
            502: '`plugin_failed`: the gateway gave no client token',
          }),
        },
      },
      // Every field is optional: so is the body; a field sent as null is absent.
      preValidation: [optionalBody, nullMeansAbsent(tokenBody)],
    },
    async (request) => {
      const body = request.body ?? {};
      if (body.amount !== undefined && body.currency === undefined) {
        throw new PayhostError(ERROR_CODES.invalidInput, 'Invalid body: amount needs currency, the currency the amount is in', { field: 'currency' });
      }
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
