import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { CustomerSource } from '@payhost/core';
import { errorsOf, identifier, pluginId, slug } from '../schemas.js';

function sourceJson(source: CustomerSource): CustomerSource {
  const card = source.creditCardInfo ?? null;
  return { id: source.id, gateway: source.gateway, creditCardInfo: card === null ? null : { ...card, nameOnCard: card.nameOnCard ?? null } };
}

/** Saved payment methods of a customer, across a channel's gateways (or one). */
export async function customerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { channel: string; gateway?: string } }>(
    '/customers/:id/payment-sources',
    {
      schema: {
        operationId: 'listPaymentSources',
        summary: "A customer's stored payment methods",
        params: { type: 'object', required: ['id'], properties: { id: identifier } },
        querystring: { type: 'object', required: ['channel'], additionalProperties: false, properties: { channel: slug, gateway: pluginId } },
        response: {
          200: {
            description: "The customer's stored payment methods on the channel's gateways (or the one named)",
            type: 'object',
            required: ['sources'],
            properties: {
              sources: {
                type: 'array',
                items: { $ref: 'PaymentSource#' },
              },
            },
          },
          // A gateway that fails to list them is left out (and logged), never an error.
          ...errorsOf([400, 401, 404, 422, 500, 503], { 404: '`unknown_channel` or `unknown_gateway`', 422: '`inactive_gateway`: the gateway named is not active in the channel' }),
        },
      },
    },
    async (request) => {
      const { channel, gateway } = request.query;
      const sources = await ctx.manager.listPaymentSources(gateway ? { channel, customerId: request.params.id, gateway } : { channel, customerId: request.params.id });
      // Every field the schema requires, null when the plugin left it out (the serializer would throw).
      return { sources: sources.map(sourceJson) };
    },
  );
}
