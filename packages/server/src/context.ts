import type { HostConfig, LedgerStore, PluginManager } from '@payhost/core';
import type { ServerConfig } from './config.js';
import type { PluginSettingsSync } from './plugin-settings-sync.js';

/** What the routes need: built once at start-up by `createServer`. */
export interface ServerContext {
  manager: PluginManager;
  store: LedgerStore;
  /** "pglite", "postgres" or "memory": reported by /health. */
  storeKind: string;
  config: ServerConfig;
  /** The plugin configuration of the file, validated: what withdrawing an admin change returns to. */
  fileConfig: HostConfig;
  /** Shares admin changes of plugin configuration through the store; null when the store keeps none. */
  settingsSync: PluginSettingsSync | null;
}
