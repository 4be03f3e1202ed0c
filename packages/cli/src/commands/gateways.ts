import { PluginManager } from '@payhost/core';
import { loadServerConfig } from '@payhost/server';
import { json, type CliIo } from '../io.js';

/** Lists a channel's active gateways for a currency, as the API would. */
export async function gateways(options: { config: string; channel: string; currency?: string }, io: CliIo): Promise<void> {
  const config = await loadServerConfig(options.config);
  const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, hookTimeoutMs: config.server.hookTimeoutMs });
  try {
    io.out(json(await manager.listPaymentGateways({ channel: options.channel, currency: options.currency ?? null })));
  } finally {
    await manager.close();
  }
}
