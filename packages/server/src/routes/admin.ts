import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, PayhostError, isPayhostError, pluginSettingsIn, type PluginConfigurationUpdate, type PluginConfigurationView, type PluginSettings, type PreparedPluginChange } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { errorResponses, optionalBody, pluginId, slug } from '../schemas.js';

const updateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    active: { type: 'boolean' },
    configuration: { type: 'object', additionalProperties: { type: ['string', 'boolean', 'null'] } },
  },
} as const;

const response = { 200: { $ref: 'PluginConfiguration#' }, ...errorResponses };
/** A change may name the revision it was made over (If-Match): 412 configuration_changed when another was saved since. */
const changeResponse = { ...response, 412: { $ref: 'Error#' } };
const withdrawResponse = {
  ...changeResponse,
  204: { description: 'A saved change for a plugin or channel the configuration file no longer has was withdrawn', type: 'null' },
};

/**
 * Checks a change, saves it for the other instances (when the store keeps plugin settings), then puts it
 * in force, and logs it at info (`plugin configuration changed`): who runs the server must be able to
 * tell when a gateway was switched on or off, or its keys replaced. The line names the fields whose value
 * changed, never a value (an admin screen sends every field back: the unchanged ones are left out).
 */
/**
 * The revision an If-Match names (`"3"`, or `W/"3"`), undefined without one (or `*`: any revision). Only the
 * ETags GET answers are taken: anything else is invalid_input, not a condition silently ignored.
 */
function ifRevision(ctx: ServerContext, request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new PayhostError(ERROR_CODES.invalidInput, 'If-Match must be an ETag the GET of this configuration answered, e.g. "3"');
  if (!ctx.settingsSync) throw new PayhostError(ERROR_CODES.invalidInput, "If-Match is not supported: this server's store keeps no plugin configuration revisions");
  return Number(match[1]);
}

/** The revision of the configuration this instance serves, as an ETag (a store that keeps revisions only). */
function setRevision(ctx: ServerContext, reply: FastifyReply, revision: number | undefined): void {
  if (ctx.settingsSync && revision !== undefined) void reply.header('etag', `"${revision}"`);
}

function read(ctx: ServerContext, reply: FastifyReply, plugin: string, channel: string | null): PluginConfigurationView {
  const view = ctx.manager.getPluginConfiguration(plugin, channel);
  setRevision(ctx, reply, ctx.settingsSync?.servedRevisionOf(plugin, channel));
  return view;
}

async function change(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, plugin: string, channel: string | null, body: PluginConfigurationUpdate | null): Promise<PluginConfigurationView> {
  const log = request.log;
  const expected = ifRevision(ctx, request);
  let before: PluginSettings | undefined;
  let after: PluginSettings | undefined;
  // Run where nothing else changes the manager (in the sync's queue, after the saves it read): `before`
  // is what the change replaces, and once committed its settings are the ones in force.
  const prepare = (): PreparedPluginChange => {
    before = pluginSettingsIn(ctx.manager.config, plugin, channel);
    const prepared = body
      ? ctx.manager.preparePluginConfiguration(plugin, channel, body)
      : ctx.manager.preparePluginSettings(plugin, channel, pluginSettingsIn(ctx.fileConfig, plugin, channel));
    after = prepared.settings;
    return prepared;
  };
  const sync = ctx.settingsSync;
  let view: PluginConfigurationView;
  if (sync) {
    const saved = await sync.change(plugin, channel, prepare, { withdrawn: body === null, ...(expected === undefined ? {} : { ifRevision: expected }) });
    view = saved.view;
    setRevision(ctx, reply, saved.revision);
    // A DELETE with no saved change in force: answered as one, but nothing was saved, rebuilt or changed.
    if (!saved.changed) return view;
  } else {
    view = prepare().commit();
  }
  const names = new Set([...Object.keys(before?.configuration ?? {}), ...Object.keys(after?.configuration ?? {})]);
  const changedFields = [...names].filter((name) => before?.configuration[name] !== after?.configuration[name]).sort();
  log.info(
    { plugin, channel, active: view.active, wasActive: before?.active ?? null, changedFields, withdrawn: body === null, saved: sync !== null, configVersion: ctx.manager.configVersion },
    'plugin configuration changed',
  );
  return view;
}

/**
 * DELETE: withdraws the admin changes of a plugin (the file's settings apply again); with none saved in
 * force, it answers the configuration and its ETag as a withdrawal does, and saves nothing. A saved change for a
 * plugin or channel the file no longer has cannot be applied, so there is no configuration to answer with:
 * it is withdrawn all the same (204), which ends the error it logs at every start; without one, the
 * unknown plugin or channel is a 404 as on the other routes.
 */
async function withdraw(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, plugin: string, channel: string | null): Promise<PluginConfigurationView | FastifyReply> {
  try {
    return await change(ctx, request, reply, plugin, channel, null);
  } catch (err) {
    const unknown = isPayhostError(err, ERROR_CODES.unknownChannel) || isPayhostError(err, ERROR_CODES.unknownPlugin);
    if (!unknown || !ctx.settingsSync || !(await ctx.settingsSync.withdrawUnknown(plugin, channel))) throw err;
    return reply.status(204).send();
  }
}

/**
 * Plugin configuration: reads are masked; a masked secret sent back unchanged
 * keeps the stored one; a change is live for the next request once it is saved.
 */
const changeList = {
  type: 'array',
  items: { type: 'object', required: ['plugin', 'channel', 'revision'], properties: { plugin: { type: 'string' }, channel: { type: ['string', 'null'] }, revision: { type: 'integer' } } },
} as const;
const reencryptResponse = {
  200: {
    type: 'object',
    required: ['reencrypted', 'current', 'skipped'],
    properties: {
      reencrypted: changeList,
      current: changeList,
      skipped: { type: 'array', items: { ...changeList.items, required: [...changeList.items.required, 'reason'], properties: { ...changeList.items.properties, reason: { type: 'string' } } } },
    },
  },
  ...errorResponses,
} as const;

export async function adminRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post(
    '/admin/plugin-settings/reencrypt',
    {
      schema: {
        summary: 'Save every saved plugin configuration change again under server.pluginSettingsKey (after a key change)',
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: reencryptResponse,
      },
      preValidation: optionalBody,
    },
    async () => {
      if (!ctx.settingsSync) throw new PayhostError(ERROR_CODES.invalidInput, "Nothing to re-encrypt: this server's store keeps no plugin configuration changes");
      return ctx.settingsSync.reencrypt();
    },
  );
  app.get<{ Params: { channel: string; plugin: string } }>(
    '/admin/channels/:channel/plugins/:plugin',
    { schema: { summary: "A plugin's configuration in a channel (masked)", params: { type: 'object', properties: { channel: slug, plugin: pluginId } }, response } },
    async (request, reply) => read(ctx, reply, request.params.plugin, request.params.channel),
  );
  app.put<{ Params: { channel: string; plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/channels/:channel/plugins/:plugin',
    {
      schema: {
        summary: "Change a plugin's configuration in a channel",
        params: { type: 'object', properties: { channel: slug, plugin: pluginId } },
        body: updateBody,
        response: changeResponse,
      },
    },
    async (request, reply) => change(ctx, request, reply, request.params.plugin, request.params.channel, request.body),
  );
  app.delete<{ Params: { channel: string; plugin: string } }>(
    '/admin/channels/:channel/plugins/:plugin',
    {
      schema: {
        summary: "Withdraw the admin API's changes to a plugin in a channel: the configuration file's settings apply again",
        params: { type: 'object', properties: { channel: slug, plugin: pluginId } },
        response: withdrawResponse,
      },
    },
    async (request, reply) => withdraw(ctx, request, reply, request.params.plugin, request.params.channel),
  );
  app.get<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "A global plugin's configuration (masked)", params: { type: 'object', properties: { plugin: pluginId } }, response } },
    async (request, reply) => read(ctx, reply, request.params.plugin, null),
  );
  app.put<{ Params: { plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/global/plugins/:plugin',
    { schema: { summary: "Change a global plugin's configuration", params: { type: 'object', properties: { plugin: pluginId } }, body: updateBody, response: changeResponse } },
    async (request, reply) => change(ctx, request, reply, request.params.plugin, null, request.body),
  );
  app.delete<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    {
      schema: {
        summary: "Withdraw the admin API's changes to a global plugin: the configuration file's settings apply again",
        params: { type: 'object', properties: { plugin: pluginId } },
        response: withdrawResponse,
      },
    },
    async (request, reply) => withdraw(ctx, request, reply, request.params.plugin, null),
  );
}
