import type { ConfigValues } from '../plugin/config-structure.js';

/** A plugin's settings in one scope (a channel, or global), as the host stores them. */
export interface PluginSettings {
  active: boolean;
  /** Validated values; strings may still hold `${ENV}` references. */
  configuration: ConfigValues;
}

export interface ChannelConfig {
  slug: string;
  name: string;
  /** ISO 4217 codes this channel sells in. */
  currencies: string[];
  /** Currency -> plugin id of the channel's default gateway for it (the seeds' "processor"). */
  defaultGateways: Record<string, string>;
  /** Per-channel plugins' settings; a registered plugin left out gets its defaults. */
  plugins: Record<string, PluginSettings>;
}

/** The whole validated host configuration. */
export interface HostConfig {
  channels: ChannelConfig[];
  globalPlugins: Record<string, PluginSettings>;
}

/** What a host may write: the same shape, with everything optional that has a default. */
export interface PluginSettingsInput {
  active?: boolean | string;
  configuration?: Record<string, unknown>;
}

export interface ChannelConfigInput {
  slug: string;
  name?: string;
  currencies: string[];
  defaultGateways?: Record<string, string>;
  plugins?: Record<string, PluginSettingsInput>;
}

export interface HostConfigInput {
  channels: ChannelConfigInput[];
  globalPlugins?: Record<string, PluginSettingsInput>;
  /** An editor's JSON-schema hint; ignored. */
  $schema?: string;
}

/** Receives one line per dropped or ignored field. */
export type ConfigWarn = (message: string, details: Record<string, unknown>) => void;
