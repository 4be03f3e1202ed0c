import { PluginManager } from '@payhost/core';
import { json, type CliIo } from '../io.js';
import { loadCommandConfig } from '../logger.js';

/** Lists a channel's active gateways for a currency, as the API would. */
export async function gateways(options: { config: string; channel: string; currency?: string }, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, logger, hookTimeoutMs: config.server.hookTimeoutMs });
  try {
    io.out(json(await manager.listPaymentGateways({ channel: options.channel, currency: options.currency ?? null })));
  } finally {
    await manager.close();
  }
}
