import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { readinessErrorResponses } from '../schemas.js';

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
  // Readiness, apart from liveness: a load balancer stops sending payments here while the database is out
  // of reach, without a liveness probe restarting a process that will recover by itself.
  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: the ledger database answers (503 store_unavailable when it does not)',
        response: { 200: { type: 'object', properties: { status: { type: 'string' }, store: { type: 'string' } } }, ...readinessErrorResponses },
      },
    },
    async () => {
      await ctx.store.ping?.();
      return { status: 'ready', store: ctx.storeKind };
    },
  );
}
