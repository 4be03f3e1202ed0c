import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { errorResponses, identifier, pluginId, slug } from '../schemas.js';

/** Saved payment methods of a customer, across a channel's gateways (or one). */
export async function customerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { channel: string; gateway?: string } }>(
    '/customers/:id/payment-sources',
    {
      schema: {
        summary: "A customer's stored payment methods",
        params: { type: 'object', required: ['id'], properties: { id: identifier } },
        querystring: { type: 'object', required: ['channel'], additionalProperties: false, properties: { channel: slug, gateway: pluginId } },
        response: {
          200: {
            type: 'object',
            properties: {
              sources: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    gateway: { type: 'string' },
                    creditCardInfo: {
                      type: ['object', 'null'],
                      properties: {
                        last4: { type: 'string' },
                        expYear: { type: 'integer' },
                        expMonth: { type: 'integer' },
                        brand: { type: 'string' },
                        nameOnCard: { type: ['string', 'null'] },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { channel, gateway } = request.query;
      const sources = await ctx.manager.listPaymentSources(gateway ? { channel, customerId: request.params.id, gateway } : { channel, customerId: request.params.id });
      return { sources };
    },
  );
}
