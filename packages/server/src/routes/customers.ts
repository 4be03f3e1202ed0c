import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { errorsOf, identifier, pluginId, slug } from '../schemas.js';

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
            description: "The customer's stored payment methods on the channel's gateways (or the one named)",
            type: 'object',
            required: ['sources'],
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
          // A gateway that fails to list them is left out (and logged), never an error.
          ...errorsOf([400, 401, 404, 422, 500, 503], { 404: '`unknown_channel` or `unknown_gateway`', 422: '`inactive_gateway`: the gateway named is not active in the channel' }),
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
