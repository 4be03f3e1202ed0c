import {
  ERROR_CODES,
  PayhostError,
  createLogger,
  isPayhostError,
  loadPlugins,
  unsetEnvReferences,
  validatePluginSettings,
  type HostConfigInput,
  type PluginClass,
  type PluginSettingsInput,
} from '@payhost/core';
import type { ServerConfig } from '@payhost/server';

/** `details.reason` of `config check`'s refusal listing every unset variable the plugins' settings reference. */
export const UNSET_VARIABLES_REASON = 'unset_variables';

/** One unset `${NAME}` of the file's plugin settings, where it is written. */
export interface UnsetVariable {
  variable: string;
  path: string;
  plugin: string;
  channel: string | null;
  field: string;
}

/**
 * The unset references of the settings as the plugin takes them (validatePluginSettings: its declared fields,
 * with defaults): a field it does not declare is dropped with a warning and an Output field ignored, never
 * resolved, so a `${NAME}` there stops nothing. Settings it refuses, or a plugin not loaded, add none (the
 * check fails on those first).
 */
function inSettings(settings: PluginSettingsInput | undefined, cls: PluginClass | undefined, at: string, channel: string | null, env: NodeJS.ProcessEnv): UnsetVariable[] {
  if (cls === undefined) return [];
  let configuration;
  try {
    ({ configuration } = validatePluginSettings(cls, settings, { plugin: cls.id, channel }, () => undefined));
  } catch {
    return [];
  }
  return unsetEnvReferences(configuration, env).map(({ field, variable }) => ({ variable, path: `${at}.configuration.${field}`, plugin: cls.id, channel, field }));
}

/** Every unset variable (with no fallback) the file's plugin settings reference in fields their plugins (`classes`) read, in file order. */
export function unsetVariables(host: HostConfigInput, env: NodeJS.ProcessEnv, classes: readonly PluginClass[]): UnsetVariable[] {
  const byId = new Map(classes.map((cls) => [cls.id, cls]));
  const found: UnsetVariable[] = [];
  for (const [index, channel] of host.channels.entries()) {
    for (const [id, settings] of Object.entries(channel.plugins ?? {})) found.push(...inSettings(settings, byId.get(id), `channels.${index}.plugins.${id}`, channel.slug, env));
  }
  for (const [id, settings] of Object.entries(host.globalPlugins ?? {})) found.push(...inSettings(settings, byId.get(id), `globalPlugins.${id}`, null, env));
  return found;
}

/**
 * `config check`'s answer to the plugins' first unset variable (`serve` stops there too): every unset one
 * at once, each with where it is written, so one run says all that is missing in this environment.
 * Only the fields the plugins read count: the plugins are loaded once more for their declared fields (cached
 * imports; what loading warns about was logged the first time). Any other error passes as it is.
 */
export async function withEveryUnsetVariable(err: unknown, config: Pick<ServerConfig, 'host' | 'plugins' | 'baseDir'>, env: NodeJS.ProcessEnv): Promise<unknown> {
  if (!isPayhostError(err, ERROR_CODES.invalidConfiguration) || typeof err.details?.['variable'] !== 'string') return err;
  const silent = createLogger({ level: 'silent' });
  const classes = await loadPlugins(config.plugins, { baseDir: config.baseDir, logger: silent }).catch((): PluginClass[] => []);
  const all = unsetVariables(config.host, env, classes);
  if (all.length === 0) return err;
  const listed = all.map((u) => `${u.variable} (${u.path}${u.channel === null ? '' : `, channel "${u.channel}"`})`).join(', ');
  const count = all.length === 1 ? 'an environment variable' : `${all.length} environment variables`;
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `The plugins' settings reference ${count} not set here (serve would refuse to start): ${listed}. Set them, or write \${NAME:-fallback}`,
    { reason: UNSET_VARIABLES_REASON, variables: all },
    { cause: err },
  );
}
