import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, PayhostError, PLUGIN_SCOPE_REASONS, isPayhostError, pluginSettingsIn, secretEndpointChanges, type PluginConfigurationUpdate, type PluginConfigurationView, type PluginSettings, type PreparedPluginChange } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { pluginConfigurationReadSchema, updateOverSaved } from '../refused-saved-change.js';
import { errorsOf, nullMeansAbsent, optionalBody, pluginId, slug } from '../schemas.js';

/** A server code (errors.md): If-Match with a weak ETag, which never matches. */
const PRECONDITION_FAILED = 'precondition_failed';

const updateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    active: { type: 'boolean' },
    configuration: { type: 'object', additionalProperties: { type: ['string', 'boolean', 'null'] } },
  },
} as const;

/** The revision a GET answers (a store that keeps revisions), which a PUT or DELETE may send back as If-Match. */
const ETAG_HEADER = { ETag: { type: 'string', description: 'The revision of the configuration shown, e.g. `"3"` (a store that keeps revisions): send it back as `If-Match`' } } as const;

/** If-Match of a change: the headers schema documents it; ifRevision() reads and checks it. */
const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description: 'The `ETag` a GET of this configuration answered (`"3"`): the change is refused with 412 when another was saved since; `*` or none: no condition',
    },
  },
} as const;

const NOT_FOUND = '`unknown_channel`, or `unknown_plugin`: no such plugin, or not configured at this path (a per-channel plugin on the global path, a global one on a channel path)';
const response = {
  200: { $ref: 'PluginConfiguration#', description: 'The configuration in force, secrets masked; `ETag`: its revision (a store that keeps revisions)', headers: ETAG_HEADER },
  ...errorsOf([400, 401, 404, 500, 503], { 400: '`invalid_input`: a malformed channel or plugin id', 404: NOT_FOUND, 503: '`shutting_down`' }),
};
/** A GET: also says when the latest saved change is not in force (savedChange), its revision then the ETag. */
const readResponse = {
  ...response,
  200: {
    ...pluginConfigurationReadSchema,
    description: 'The configuration in force, secrets masked; `ETag`: its revision (a store that keeps revisions), or that of `savedChange` while it is present',
    headers: ETAG_HEADER,
  },
};
/**
 * A change may name the revision it was made over (If-Match): 412 configuration_changed when another was
 * saved since, precondition_failed for a weak ETag. A plugin refusing its settings is 400, one crashing 502.
 */
const changeResponse = {
  ...response,
  200: { $ref: 'PluginConfiguration#', description: 'The configuration now in force, secrets masked, with its new `ETag`', headers: ETAG_HEADER },
  ...errorsOf([400, 401, 404, 412, 413, 415, 500, 502, 503], {
    400: '`invalid_input` (a malformed body or `If-Match`) or `invalid_configuration` (settings the plugin refuses)',
    404: NOT_FOUND,
    412: '`configuration_changed` (another change was saved since the `If-Match` revision) or `precondition_failed` (a weak ETag, which `If-Match` never matches); nothing changed',
    502: '`plugin_failed`: the plugin crashed on the new settings; nothing changed',
    503: '`store_unavailable` (the change could not be saved; nothing changed) or `shutting_down`',
  }),
};
const withdrawResponse = {
  ...changeResponse,
  200: { $ref: 'PluginConfiguration#', description: "The configuration file's settings, now in force again (secrets masked), with their `ETag`", headers: ETAG_HEADER },
  204: { description: 'A saved change for a plugin or channel the configuration file no longer has was withdrawn', type: 'null' },
};

/**
 * A plugin asked for at the wrong path (a per-channel plugin on the global one, or the reverse) is core's
 * 404 unknown_plugin with `details.reason` saying where it is configured: the message names the path to use.
 */
function checkScope(ctx: ServerContext, plugin: string, channel: string | null): PluginConfigurationView {
  try {
    return ctx.manager.getPluginConfiguration(plugin, channel);
  } catch (err) {
    const reason = isPayhostError(err, ERROR_CODES.unknownPlugin) ? err.details?.['reason'] : undefined;
    if (reason === PLUGIN_SCOPE_REASONS.configuredPerChannel) {
      throw new PayhostError(ERROR_CODES.unknownPlugin, `Plugin "${plugin}" is configured per channel: use /admin/channels/<channel>/plugins/${plugin}`, { plugin, channel, reason });
    }
    if (reason === PLUGIN_SCOPE_REASONS.configuredGlobally) {
      throw new PayhostError(ERROR_CODES.unknownPlugin, `Plugin "${plugin}" is global: use /admin/global/plugins/${plugin}`, { plugin, channel, reason });
    }
    throw err;
  }
}

/**
 * The revision an If-Match names (`"3"`), undefined without one (or `*`: any revision). Only the ETags GET
 * answers are taken: anything else is invalid_input, not a condition silently ignored. A weak tag (`W/"3"`)
 * is 412: If-Match compares strongly (RFC 9110, 13.1.1), so a weak tag matches no revision.
 */
function ifRevision(ctx: ServerContext, request: FastifyRequest, plugin: string, channel: string | null): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new PayhostError(ERROR_CODES.invalidInput, 'If-Match must be an ETag the GET of this configuration answered, e.g. "3"');
  if (match[1]) {
    throw new PayhostError(PRECONDITION_FAILED, `If-Match compares ETags strongly: the weak ${header.trim()} matches no revision; send the ETag as the GET answered it ("${match[2]}")`, { plugin, channel });
  }
  if (!ctx.settingsSync) throw new PayhostError(ERROR_CODES.invalidInput, "If-Match is not supported: this server's store keeps no plugin configuration revisions");
  return Number(match[2]);
}

/** The revision of the configuration this instance serves, as an ETag (a store that keeps revisions only). */
function setRevision(ctx: ServerContext, reply: FastifyReply, revision: number | undefined): void {
  if (ctx.settingsSync && revision !== undefined) void reply.header('etag', `"${revision}"`);
}

function read(ctx: ServerContext, reply: FastifyReply, plugin: string, channel: string | null): PluginConfigurationView & { savedChange?: object } {
  const view = checkScope(ctx, plugin, channel);
  setRevision(ctx, reply, ctx.settingsSync?.readRevisionOf(plugin, channel));
  const savedChange = ctx.settingsSync?.savedChangeOf(plugin, channel);
  return savedChange ? { ...view, savedChange } : view;
}

/**
 * Checks a change, saves it for the other instances (when the store keeps plugin settings), then puts it
 * in force, and logs it at info (`plugin configuration changed`): who runs the server must be able to
 * tell when a gateway was switched on or off, or its keys replaced. The line names the fields whose value
 * changed, never a value (an admin screen sends every field back: the unchanged ones are left out). A change
 * of a `receivesSecrets` field (where the secrets are sent) is also logged at warn, with its new host only.
 */
async function change(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, plugin: string, channel: string | null, body: PluginConfigurationUpdate | null): Promise<PluginConfigurationView> {
  const log = request.log;
  const expected = ifRevision(ctx, request, plugin, channel);
  // The plugin's scope never changes: checked once, before anything is queued.
  checkScope(ctx, plugin, channel);
  let before: PluginSettings | undefined;
  let after: PluginSettings | undefined;
  // Run where nothing else changes the manager (in the sync's queue, after the saves it read): `before`
  // is what the change replaces, and once committed its settings are the ones in force. `base`: the latest
  // save when this version refuses it (not in force): the update is made over it, and the result checked whole.
  const prepare = (base?: PluginSettings): PreparedPluginChange => {
    before = pluginSettingsIn(ctx.manager.config, plugin, channel);
    const prepared = !body
      ? ctx.manager.preparePluginSettings(plugin, channel, pluginSettingsIn(ctx.fileConfig, plugin, channel))
      : base
        ? ctx.manager.preparePluginSettings(plugin, channel, updateOverSaved(ctx.manager.getPluginConfiguration(plugin, channel), base, body, { plugin, channel }))
        : ctx.manager.preparePluginConfiguration(plugin, channel, body);
    after = prepared.settings;
    return prepared;
  };
  const sync = ctx.settingsSync;
  let view: PluginConfigurationView;
  if (sync) {
    const saved = await sync.change(plugin, channel, prepare, { withdrawn: body === null, ...(expected === undefined ? {} : { ifRevision: expected }) });
    view = saved.view;
    setRevision(ctx, reply, saved.revision);
    // A DELETE with no saved change in force, or a PUT changing nothing: answered, but nothing was saved, rebuilt or changed.
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
  // Where the plugin sends its secrets moved (an update had to send them again; a withdrawal puts the file's back): said louder, host only.
  for (const moved of secretEndpointChanges(view.configStructure, before?.configuration, after?.configuration)) {
    log.warn({ plugin, channel, field: moved.field, host: moved.host, withdrawn: body === null }, 'plugin endpoint changed: its secrets are sent to the new host');
  }
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
    description:
      'What was saved again under the current key, what already was, what was left as it was (with why), and whether the replaced saves then left the database files (`purge`)',
    type: 'object',
    required: ['reencrypted', 'current', 'skipped', 'purge'],
    properties: {
      reencrypted: changeList,
      current: changeList,
      skipped: { type: 'array', items: { ...changeList.items, required: [...changeList.items.required, 'reason'], properties: { ...changeList.items.properties, reason: { type: 'string' } } } },
      purge: {
        description:
          '`purged: false`: the re-encryption stands, but the replaced rows (the old secrets) are still in the table\'s files; `reason` `plugin_settings_not_rewritten` (PostgreSQL: the role does not own `plugin_settings`, `message` names both) or `purge_failed` (see the server log). Run it again once fixed.',
        type: 'object',
        required: ['purged'],
        properties: { purged: { type: 'boolean' }, reason: { type: 'string', enum: ['plugin_settings_not_rewritten', 'purge_failed'] }, message: { type: 'string' } },
      },
    },
  },
  ...errorsOf([400, 401, 413, 415, 500, 503], {
    400: '`invalid_input` (a body that is not `{}`, or a store that keeps no changes) or `invalid_configuration` (no `server.pluginSettingsKey`)',
  }),
};

export async function adminRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post(
    '/admin/plugin-settings/reencrypt',
    {
      schema: {
        operationId: 'reencryptPluginSettings',
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
    { schema: { operationId: 'getChannelPluginConfiguration', summary: "A plugin's configuration in a channel (masked)", params: { type: 'object', properties: { channel: slug, plugin: pluginId } }, response: readResponse } },
    async (request, reply) => read(ctx, reply, request.params.plugin, request.params.channel),
  );
  app.put<{ Params: { channel: string; plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/channels/:channel/plugins/:plugin',
    {
      schema: {
        operationId: 'updateChannelPluginConfiguration',
        summary: "Change a plugin's configuration in a channel",
        params: { type: 'object', properties: { channel: slug, plugin: pluginId } },
        headers: ifMatchHeaders,
        body: updateBody,
        response: changeResponse,
      },
      preValidation: nullMeansAbsent(updateBody),
    },
    async (request, reply) => change(ctx, request, reply, request.params.plugin, request.params.channel, request.body),
  );
  app.delete<{ Params: { channel: string; plugin: string } }>(
    '/admin/channels/:channel/plugins/:plugin',
    {
      schema: {
        operationId: 'withdrawChannelPluginConfiguration',
        summary: "Withdraw the admin API's changes to a plugin in a channel: the configuration file's settings apply again",
        params: { type: 'object', properties: { channel: slug, plugin: pluginId } },
        headers: ifMatchHeaders,
        response: withdrawResponse,
      },
    },
    async (request, reply) => withdraw(ctx, request, reply, request.params.plugin, request.params.channel),
  );
  app.get<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    { schema: { operationId: 'getGlobalPluginConfiguration', summary: "A global plugin's configuration (masked)", params: { type: 'object', properties: { plugin: pluginId } }, response: readResponse } },
    async (request, reply) => read(ctx, reply, request.params.plugin, null),
  );
  app.put<{ Params: { plugin: string }; Body: PluginConfigurationUpdate }>(
    '/admin/global/plugins/:plugin',
    {
      schema: {
        operationId: 'updateGlobalPluginConfiguration',
        summary: "Change a global plugin's configuration",
        params: { type: 'object', properties: { plugin: pluginId } },
        headers: ifMatchHeaders,
        body: updateBody,
        response: changeResponse,
      },
      preValidation: nullMeansAbsent(updateBody),
    },
    async (request, reply) => change(ctx, request, reply, request.params.plugin, null, request.body),
  );
  app.delete<{ Params: { plugin: string } }>(
    '/admin/global/plugins/:plugin',
    {
      schema: {
        operationId: 'withdrawGlobalPluginConfiguration',
        summary: "Withdraw the admin API's changes to a global plugin: the configuration file's settings apply again",
        params: { type: 'object', properties: { plugin: pluginId } },
        headers: ifMatchHeaders,
        response: withdrawResponse,
      },
    },
    async (request, reply) => withdraw(ctx, request, reply, request.params.plugin, null),
  );
}
