import { validatePluginSettings } from '../config/plugin-settings.js';
import type { HostConfig, PluginSettings } from '../config/types.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { ChannelRuntime } from './channel-runtime.js';
import { pluginSettingsIn } from './configuration-update.js';
import { unknownChannel } from './gateway-resolution.js';

// Finding a plugin by id for a configuration call, and the settings it runs with.

/**
 * `details.reason` of the unknown_plugin a configuration call gets for a plugin asked for at the other
 * scope: there is no such plugin where it was asked for, and where it is configured is stable to branch on.
 */
export const PLUGIN_SCOPE_REASONS = {
  /** A per-channel plugin asked for without a channel (globally). */
  configuredPerChannel: 'configured_per_channel',
  /** A global plugin asked for in a channel. */
  configuredGlobally: 'configured_globally',
} as const;

/**
 * The class of the plugin a configuration call names, checked against where it
 * is asked: a known plugin, a known channel, and per channel only if the plugin
 * is configured per channel. A plugin at the other scope is unknown_plugin (no
 * such plugin there), with `details.reason` saying where it is configured.
 */
export function configurablePlugin(registry: ReadonlyMap<string, PluginClass>, channels: ReadonlyMap<string, ChannelRuntime>, pluginId: string, channel: string | null): PluginClass {
  const cls = registry.get(pluginId);
  if (!cls) throw new PayhostError(ERROR_CODES.unknownPlugin, `Unknown plugin "${pluginId}"`, { plugin: pluginId });
  if (channel !== null && !channels.has(channel)) throw unknownChannel(channel);
  if (cls.configurationPerChannel && channel === null) {
    throw new PayhostError(ERROR_CODES.unknownPlugin, `Plugin "${pluginId}" is configured per channel: name a channel`, {
      plugin: pluginId,
      channel: null,
      reason: PLUGIN_SCOPE_REASONS.configuredPerChannel,
    });
  }
  if (!cls.configurationPerChannel && channel !== null) {
    throw new PayhostError(ERROR_CODES.unknownPlugin, `Plugin "${pluginId}" is global: it has no per-channel configuration (channel "${channel}")`, {
      plugin: pluginId,
      channel,
      reason: PLUGIN_SCOPE_REASONS.configuredGlobally,
    });
  }
  return cls;
}

/** A plugin's settings in `config`, or its defaults when the configuration has none for it there. */
export function storedSettings(config: HostConfig, cls: PluginClass, channel: string | null): PluginSettings {
  return pluginSettingsIn(config, cls.id, channel) ?? validatePluginSettings(cls, undefined, { plugin: cls.id, channel }, () => undefined);
}
