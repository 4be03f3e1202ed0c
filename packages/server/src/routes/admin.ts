import type { FastifyInstance } from 'fastify';
import type { PluginConfigurationUpdate } from '@payhost/core';
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
    async (request) => ctx.manager.updatePluginConfiguration(request.params.plugin, request.params.channel, request.body),
  );
  app.get<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "A global plugin's configuration (masked)", params: { type: 'object', properties: { plugin: pluginId } }, response } },
    async (request) => ctx.manager.getPluginConfiguration(request.params.plugin, null),
  );
  app.put<{ Params: { plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "Change a global plugin's configuration", params: { type: 'object', properties: { plugin: pluginId } }, body: updateBody, response } },
    async (request) => ctx.manager.updatePluginConfiguration(request.params.plugin, null, request.body),
  );
}
