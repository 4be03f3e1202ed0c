import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayEvent } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { errorsOf, pluginId, slug } from '../schemas.js';
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

  // The server's own refusals have the Error schema (errorsOf, as every route); the plugin's answer goes out
  // as the plugin wrote it, whatever its status: routeOptions below serialize with JSON.stringify, never
  // with these schemas (which would drop or refuse the fields of a plugin's 400 body).
  const schema = (operationId: string, params: Record<string, unknown>) => ({
    operationId,
    summary: 'Plugin webhook (authenticated by the plugin, e.g. a processor signature)',
    params: { type: 'object', properties: { ...params, '*': { type: 'string', maxLength: 500 } } },
    response: {
      200: { description: "The plugin's answer, with the status and body it chose (a refused signature is its 4xx, with its own body)" },
      ...errorsOf([400, 404, 409, 413, 500, 503], {
        400: '`invalid_input`: a malformed channel or plugin id in the path',
        413: '`payload_too_large`: a body over `server.webhookBodyLimit`',
        404: '`unknown_channel`, `unknown_plugin` (no active plugin of that id here), or `payment_not_found`: an event carrying only a processor reference no payment has yet (the processor retries; see operating.md, "Webhook deliveries")',
        409: '`payment_busy`: an event that could answer several operations in flight (`details.reason`: `ambiguous_event`, `refund_in_flight`, `capture_in_flight`); the processor retries',
        500: '`internal_error` (a bug, logged), or `processing_error` from a plugin whose webhook hook failed or gave an answer that cannot be sent; the processor retries',
        503: '`store_unavailable`: the events could not be recorded (or `shutting_down`); the processor retries',
      }),
    },
  });
  const routeOptions = (operationId: string, params: Record<string, unknown>) => ({
    schema: schema(operationId, params),
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
    // A processor's event may be larger than the API's server.bodyLimit.
    bodyLimit: ctx.config.server.webhookBodyLimit,
  });

  app.post<{ Params: { channel: string; plugin: string; '*': string } }>(
    '/plugins/channel/:channel/:plugin/*',
    routeOptions('channelPluginWebhook', { channel: slug, plugin: pluginId }),
    async (request, reply) => {
      const result = await handle(request, request.params.channel, request.params.plugin, request.params['*']);
      return reply.status(result.status).headers(result.headers).send(result.body);
    },
  );
  app.post<{ Params: { plugin: string; '*': string } }>(
    '/plugins/global/:plugin/*',
    routeOptions('globalPluginWebhook', { plugin: pluginId }),
    async (request, reply) => {
      const result = await handle(request, null, request.params.plugin, request.params['*']);
      return reply.status(result.status).headers(result.headers).send(result.body);
    },
  );
}
