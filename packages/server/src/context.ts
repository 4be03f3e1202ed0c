import type { LedgerStore, PluginManager } from '@payhost/core';
import type { ServerConfig } from './config.js';

/** What the routes need: built once at start-up by `createServer`. */
export interface ServerContext {
  manager: PluginManager;
  store: LedgerStore;
  /** "pglite", "postgres" or "memory": reported by /health. */
  storeKind: string;
  config: ServerConfig;
}
