import { MemoryLedgerStore, PaymentService, PluginManager, type LedgerStore, type Logger } from '@payhost/core';
import { loadPluginSettingsSync, openStore, type ServerConfig } from '@payhost/server';
import { embeddedDatabaseExists } from './embedded-database.js';

/**
 * Puts the plugin configuration the server runs with in force on `manager`: the file's, with the admin
 * API's saved changes in `store` over it (a store that keeps none changes nothing). The one way every
 * command applies saved changes, as `payhost serve` does at start-up; `store` is only read.
 */
export async function applySavedPluginSettings(manager: PluginManager, store: object, config: ServerConfig, logger: Logger): Promise<void> {
  // The server's key (server.pluginSettingsKey) decrypts the secret fields of saved changes, as in `serve`.
  await loadPluginSettingsSync(manager, store, manager.config, logger, { cipher: config.settingsCipher });
}

/**
 * True when the configuration's ledger is an embedded database that does not exist yet: opening it makes a
 * new one, at this version, which no other version runs on. Any database that exists is opened as it is
 * (not migrated): a database an older payhost still runs on is refused (schema_outdated), not upgraded
 * under it; `payhost ledger migrate` and `payhost serve` upgrade it.
 */
function startsEmbeddedDatabase(config: ServerConfig): boolean {
  return !config.databaseUrl && !embeddedDatabaseExists(config.server.dataDir);
}

/**
 * Runs `fn` with a payment service on the server's own store (DATABASE_URL
 * with server.databaseSchema, else the data directory; not migrated, see startsEmbeddedDatabase), so what a command
 * writes is what `payhost serve` shows, with the plugin configuration it runs
 * (applySavedPluginSettings); `memory`: an in-memory ledger that
 * keeps nothing. Plugins and store are closed afterwards, whatever happens.
 * `logger`: the command's logger (loadCommandConfig).
 */
export async function withPaymentService<T>(config: ServerConfig, options: { memory?: boolean; logger: Logger }, fn: (payments: PaymentService) => Promise<T>): Promise<T> {
  const { logger } = options;
  const store: LedgerStore = options.memory ? new MemoryLedgerStore() : (await openStore(config, { migrate: startsEmbeddedDatabase(config) })).store;
  let manager: PluginManager;
  try {
    manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, logger, hookTimeoutMs: config.server.hookTimeoutMs });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    if (!options.memory) await applySavedPluginSettings(manager, store, config, logger);
  } catch (error) {
    await manager.close();
    await store.close();
    throw error;
  }
  try {
    return await fn(new PaymentService({ manager, store, logger }));
  } finally {
    await manager.close();
    await store.close();
  }
}
