import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { PluginConfigurationUpdate, PluginConfigurationView, PluginSettings } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { errorResponses, pluginId, slug } from '../schemas.js';

const updateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    active: { type: 'boolean' },
    configuration: { type: 'object', additionalProperties: { type: ['string', 'boolean', 'null'] } },
  },
} as const;

const response = { 200: { $ref: 'PluginConfiguration#' }, ...errorResponses };

/** The stored (unmasked) settings of a plugin in a channel, or global; undefined when none were written. */
function storedSettings(ctx: ServerContext, plugin: string, channel: string | null): PluginSettings | undefined {
  const config = ctx.manager.config;
  return channel === null ? config.globalPlugins[plugin] : config.channels.find((c) => c.slug === channel)?.plugins[plugin];
}

/**
 * Applies a change and logs it at info (`plugin configuration changed`): who runs the server must be able
 * to tell when a gateway was switched on or off, or its keys replaced. The line names the fields whose
 * value changed, never a value (an admin screen sends every field back: the unchanged ones are left out).
 */
function update(ctx: ServerContext, log: FastifyBaseLogger, plugin: string, channel: string | null, body: PluginConfigurationUpdate): PluginConfigurationView {
  const before = storedSettings(ctx, plugin, channel);
  const view = ctx.manager.updatePluginConfiguration(plugin, channel, body);
  const after = storedSettings(ctx, plugin, channel);
  const names = new Set([...Object.keys(before?.configuration ?? {}), ...Object.keys(after?.configuration ?? {})]);
  const changedFields = [...names].filter((name) => before?.configuration[name] !== after?.configuration[name]).sort();
  log.info(
    { plugin, channel, active: view.active, wasActive: before?.active ?? null, changedFields, configVersion: ctx.manager.configVersion },
    'plugin configuration changed',
  );
  return view;
}

/**
 * Plugin configuration: reads are masked; a masked secret sent back unchanged
 * keeps the stored one; a change is live for the next request.
 */
export async function adminRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Params: { channel: string; plugin: string } }>(
    '/admin/channels/:channel/plugins/:plugin',
    { schema: { summary: "A plugin's configuration in a channel (masked)", params: { type: 'object', properties: { channel: slug, plugin: pluginId } }, response } },
    async (request) => ctx.manager.getPluginConfiguration(request.params.plugin, request.params.channel),
  );
  app.put<{ Params: { channel: string; plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/channels/:channel/plugins/:plugin',
    {
      schema: { summary: "Change a plugin's configuration in a channel", params: { type: 'object', properties: { channel: slug, plugin: pluginId } }, body: updateBody, response },
    },
    async (request) => update(ctx, request.log, request.params.plugin, request.params.channel, request.body),
  );
  app.get<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "A global plugin's configuration (masked)", params: { type: 'object', properties: { plugin: pluginId } }, response } },
    async (request) => ctx.manager.getPluginConfiguration(request.params.plugin, null),
  );
  app.put<{ Params: { plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "Change a global plugin's configuration", params: { type: 'object', properties: { plugin: pluginId } }, body: updateBody, response } },
    async (request) => update(ctx, request.log, request.params.plugin, null, request.body),
  );
}
