import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayEvent } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { pluginId, slug } from '../schemas.js';
import { sendableAnswer, type SendableAnswer } from '../webhook-answer.js';

/**
 * Applies a webhook's verified events to the ledger (the payment service's
 * inbox). `channel`: the channel whose endpoint received them (null for a
 * global plugin's endpoint); they may only change that channel's payments.
 */
export type ApplyEvents = (gateway: string, events: GatewayEvent[], channel: string | null) => Promise<void>;

/**
 * Plugin webhooks, Saleor's routes: /plugins/channel/<slug>/<plugin>/<subpath>
 * and /plugins/global/<plugin>/<subpath>. The raw body is kept for signature
 * checks; an unknown or inactive plugin is a 404. Not behind an API key: each
 * plugin authenticates its processor's signature.
 */
export async function webhookRoutes(app: FastifyInstance, ctx: ServerContext, applyEvents: ApplyEvents | null): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const handle = async (request: FastifyRequest, channel: string | null, plugin: string, subpath: string): Promise<SendableAnswer> => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const response = await ctx.manager.webhook({
      channel,
      plugin,
      // As Saleor passes it: the URL's rest after the plugin id, from its slash ("/webhook").
      path: `/${subpath}`,
      method: request.method,
      headers: request.headers,
      rawBody,
    });
    // Active here, without a webhook hook: named as the manager's unknown_plugin answers are.
    if (!response) return { status: 404, headers: {}, body: { code: 'unknown_plugin', message: `Plugin "${plugin}" does not handle webhooks`, details: { plugin, channel } } };
    // Checked before any event is applied: a refused answer is retried by the processor, with the same events.
    const checked = sendableAnswer(response, request.log, { plugin, channel });
    if (checked.applyEvents && response.events && response.events.length > 0 && applyEvents) await applyEvents(plugin, response.events, channel);
    return checked.answer;
  };

  // Descriptions only: a schema would reshape the plugin's own answer, which goes out as the plugin wrote it.
  const schema = (params: Record<string, unknown>) => ({
    summary: 'Plugin webhook (authenticated by the plugin, e.g. a processor signature)',
    params: { type: 'object', properties: { ...params, '*': { type: 'string', maxLength: 500 } } },
    response: {
      200: { description: "The plugin's answer, with the status and body it chose (a refused signature is its 4xx)" },
      400: { description: '`invalid_input`: a malformed channel or plugin id in the path' },
      404: { description: '`unknown_channel`, or `unknown_plugin`: no active plugin of that id here' },
      413: { description: '`payload_too_large`: a body over `server.bodyLimit`' },
      503: { description: '`store_unavailable`: the events could not be recorded; the processor retries' },
    },
  });

  app.post<{ Params: { channel: string; plugin: string; '*': string } }>(
    '/plugins/channel/:channel/:plugin/*',
    { schema: schema({ channel: slug, plugin: pluginId }) },
    async (request, reply) => {
      const result = await handle(request, request.params.channel, request.params.plugin, request.params['*']);
      return reply.status(result.status).headers(result.headers).send(result.body);
    },
  );
  app.post<{ Params: { plugin: string; '*': string } }>(
    '/plugins/global/:plugin/*',
    { schema: schema({ plugin: pluginId }) },
    async (request, reply) => {
      const result = await handle(request, null, request.params.plugin, request.params['*']);
      return reply.status(result.status).headers(result.headers).send(result.body);
    },
  );
}
