import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function healthRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness, store kind and configuration version',
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, store: { type: 'string' }, configVersion: { type: 'integer' }, channels: { type: 'integer' } },
          },
        },
      },
    },
    async () => ({ status: 'ok', store: ctx.storeKind, configVersion: ctx.manager.configVersion, channels: ctx.manager.listChannels().length }),
  );
}
