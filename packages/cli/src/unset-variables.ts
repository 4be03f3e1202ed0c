import { ERROR_CODES, PayhostError, isPayhostError, unsetEnvReferences, type HostConfigInput, type PluginSettingsInput } from '@payhost/core';

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

function inSettings(settings: PluginSettingsInput | undefined, at: string, plugin: string, channel: string | null, env: NodeJS.ProcessEnv): UnsetVariable[] {
  const configuration = settings?.configuration;
  if (typeof configuration !== 'object' || configuration === null) return [];
  return unsetEnvReferences(configuration as Record<string, never>, env).map(({ field, variable }) => ({ variable, path: `${at}.configuration.${field}`, plugin, channel, field }));
}

/** Every unset variable (with no fallback) the file's plugin settings reference, in file order. */
export function unsetVariables(host: HostConfigInput, env: NodeJS.ProcessEnv): UnsetVariable[] {
  const found: UnsetVariable[] = [];
  for (const [index, channel] of host.channels.entries()) {
    for (const [id, settings] of Object.entries(channel.plugins ?? {})) found.push(...inSettings(settings, `channels.${index}.plugins.${id}`, id, channel.slug, env));
  }
  for (const [id, settings] of Object.entries(host.globalPlugins ?? {})) found.push(...inSettings(settings, `globalPlugins.${id}`, id, null, env));
  return found;
}

/**
 * `config check`'s answer to the plugins' first unset variable (`serve` stops there too): every unset one
 * at once, each with where it is written, so one run says all that is missing in this environment.
 * Any other error passes as it is.
 */
export function withEveryUnsetVariable(err: unknown, host: HostConfigInput, env: NodeJS.ProcessEnv): unknown {
  if (!isPayhostError(err, ERROR_CODES.invalidConfiguration) || typeof err.details?.['variable'] !== 'string') return err;
  const all = unsetVariables(host, env);
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
