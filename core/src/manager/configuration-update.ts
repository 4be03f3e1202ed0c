import type { HostConfig, PluginSettings } from '../config/types.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';

/** What `updatePluginConfiguration` takes: a new active flag and changed fields (the others are kept). */
export interface PluginConfigurationUpdate {
  active?: boolean | string;
  configuration?: Record<string, unknown>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An update and its `configuration` are objects: a string would otherwise be merged as its characters. */
export function checkUpdateShape(update: unknown, where: Record<string, unknown>): asserts update is PluginConfigurationUpdate {
  if (!isPlainObject(update)) throw new PayhostError(ERROR_CODES.invalidConfiguration, 'A plugin configuration update must be an object', where);
  if (update['configuration'] !== undefined && !isPlainObject(update['configuration'])) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `"configuration" of plugin "${String(where['plugin'])}" must be an object`, where);
  }
}

/** The host configuration with one plugin's settings (a channel's, or global) replaced. */
export function withSettings(config: HostConfig, pluginId: string, channel: string | null, settings: PluginSettings): HostConfig {
  if (channel === null) return { ...config, globalPlugins: { ...config.globalPlugins, [pluginId]: settings } };
  return {
    ...config,
    channels: config.channels.map((c) => (c.slug === channel ? { ...c, plugins: { ...c.plugins, [pluginId]: settings } } : c)),
  };
}
