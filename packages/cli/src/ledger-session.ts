import { MemoryLedgerStore, PaymentService, PluginManager, type LedgerStore, type Logger } from '@payhost/core';
import { loadPluginSettingsSync, openStore, type ServerConfig } from '@payhost/server';

/**
 * Runs `fn` with a payment service on the server's own store (DATABASE_URL
 * with server.databaseSchema, else the data directory), so what a command
 * writes is what `payhost serve` shows, with the plugin configuration it runs
 * (the admin API's saved changes over the file's); `memory`: an in-memory ledger that
 * keeps nothing. Plugins and store are closed afterwards, whatever happens.
 * `logger`: the command's logger (loadCommandConfig).
 */
export async function withPaymentService<T>(config: ServerConfig, options: { memory?: boolean; logger: Logger }, fn: (payments: PaymentService) => Promise<T>): Promise<T> {
  const { logger } = options;
  const store: LedgerStore = options.memory ? new MemoryLedgerStore() : (await openStore(config)).store;
  let manager: PluginManager;
  try {
    manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, logger, hookTimeoutMs: config.server.hookTimeoutMs });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    // The plugin configuration the server runs with: the file's, with the admin API's saved changes over it.
    if (!options.memory) await loadPluginSettingsSync(manager, store, manager.config, logger);
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
