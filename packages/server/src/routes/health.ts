import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { errorsOf, readinessErrorResponses } from '../schemas.js';

export async function healthRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness, store kind and configuration version',
        response: {
          200: {
            description: 'The server is up: its store kind, configuration version and number of channels',
            type: 'object',
            required: ['status', 'store', 'configVersion', 'channels'],
            properties: { status: { type: 'string', enum: ['ok'] }, store: { type: 'string' }, configVersion: { type: 'integer' }, channels: { type: 'integer' } },
          },
          ...errorsOf([503], { 503: '`shutting_down`: the server is closing' }),
        },
      },
    },
    async () => ({ status: 'ok', store: ctx.storeKind, configVersion: ctx.manager.configVersion, channels: ctx.manager.listChannels().length }),
  );
  // Readiness, apart from liveness: a load balancer stops sending payments here while the database is out
  // of reach, or answers but takes no writes (a standby or read-only node after a failover, details.reason
  // read_only), without a liveness probe restarting a process that will recover by itself.
  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the ledger database answers and takes writes (503 store_unavailable when it does not)',
        response: {
          200: { description: 'The ledger database answers and is not read-only', type: 'object', required: ['status', 'store'], properties: { status: { type: 'string', enum: ['ready'] }, store: { type: 'string' } } },
          ...readinessErrorResponses,
        },
      },
    },
    async () => {
      await ctx.store.ping?.();
      return { status: 'ready', store: ctx.storeKind };
    },
  );
}
