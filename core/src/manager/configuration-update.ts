import { refuseNewEnvReferences } from '../config/env.js';
import { maskConfiguration, mergeConfiguration } from '../config/masking.js';
import type { HostConfig, PluginSettings, PluginSettingsInput } from '../config/types.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { ConfigStructure, ConfigValues } from '../plugin/config-structure.js';

/** What `updatePluginConfiguration` takes: a new active flag and changed fields (the others are kept). */
export interface PluginConfigurationUpdate {
  active?: boolean | string;
  configuration?: Record<string, unknown>;
}

export interface PluginConfigurationView {
  id: string;
  name: string;
  description: string;
  channel: string | null;
  active: boolean;
  configStructure: ConfigStructure;
  /** Masked: Password fields empty, secrets reduced to their last four characters. */
  configuration: ConfigValues;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The keys plugin settings (and an update of them) may have; as the configuration file's schema allows. */
const SETTINGS_KEYS: ReadonlySet<string> = new Set(['active', 'configuration']);

/**
 * An update (or settings) is `{ active?, configuration? }` and nothing else, checked before anything is
 * merged or built: a misspelt key (`activ`, `config`) would otherwise change nothing, silently; a string
 * `configuration` would be merged as its characters. `active` is a boolean or a string (`"true"`, `"false"`:
 * validatePluginSettings reads which); a key given as undefined counts as left out.
 */
export function checkUpdateShape(update: unknown, where: Record<string, unknown>): asserts update is PluginConfigurationUpdate {
  const plugin = String(where['plugin']);
  if (!isPlainObject(update)) throw new PayhostError(ERROR_CODES.invalidConfiguration, `Settings of plugin "${plugin}" must be an object`, where);
  for (const key of Object.keys(update)) {
    if (!SETTINGS_KEYS.has(key)) {
      throw new PayhostError(ERROR_CODES.invalidConfiguration, `Unknown key "${key}" in the settings of plugin "${plugin}": only "active" and "configuration" are`, { ...where, key });
    }
  }
  const active = update['active'];
  if (active !== undefined && typeof active !== 'boolean' && typeof active !== 'string') {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `"active" of plugin "${plugin}" must be a boolean`, { ...where, key: 'active' });
  }
  if (update['configuration'] !== undefined && !isPlainObject(update['configuration'])) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `"configuration" of plugin "${plugin}" must be an object`, { ...where, key: 'configuration' });
  }
}

/**
 * The settings an admin update asks for, not yet validated: the current ones with the update merged in
 * (a masked secret sent back unchanged keeps the stored one; a new `${VAR}` reference is refused, and so is
 * a new address for the secrets that keeps a stored one: mergeConfiguration).
 */
export function mergeUpdate(cls: PluginClass, channel: string | null, current: PluginSettings, update: PluginConfigurationUpdate): PluginSettingsInput {
  const where = { plugin: cls.id, channel };
  checkUpdateShape(update, where);
  refuseNewEnvReferences(update.configuration ?? {}, current.configuration, where);
  return { active: update.active ?? current.active, configuration: mergeConfiguration(cls, current.configuration, update.configuration ?? {}, where) };
}

/** What a read of a plugin's configuration answers for `settings` (masked). */
export function configurationView(cls: PluginClass, channel: string | null, settings: PluginSettings): PluginConfigurationView {
  return {
    id: cls.id,
    name: cls.pluginName ?? cls.id,
    description: cls.description,
    channel,
    active: settings.active,
    configStructure: cls.configStructure,
    configuration: maskConfiguration(cls, settings.configuration),
  };
}

/** One plugin's settings in a host configuration (a channel's, or global); undefined when none were written. */
export function pluginSettingsIn(config: HostConfig, pluginId: string, channel: string | null): PluginSettings | undefined {
  return channel === null ? config.globalPlugins[pluginId] : config.channels.find((c) => c.slug === channel)?.plugins[pluginId];
}

/** The host configuration with one plugin's settings (a channel's, or global) replaced. */
export function withSettings(config: HostConfig, pluginId: string, channel: string | null, settings: PluginSettings): HostConfig {
  if (channel === null) return { ...config, globalPlugins: { ...config.globalPlugins, [pluginId]: settings } };
  return {
    ...config,
    channels: config.channels.map((c) => (c.slug === channel ? { ...c, plugins: { ...c.plugins, [pluginId]: settings } } : c)),
  };
}
