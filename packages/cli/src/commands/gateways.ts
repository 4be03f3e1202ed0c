import { PayhostError, PluginManager, isPayhostError } from '@payhost/core';
import { json, type CliIo } from '../io.js';
import { loadCommandConfig } from '../logger.js';

/**
 * Lists a channel's active gateways for a currency, as the API would. Only that channel's plugins (and the
 * global ones, which run in every channel) are built: another channel's `${NAME}` need not be set for it.
 * An unknown channel is still unknown_channel.
 */
export async function gateways(options: { config: string; channel: string; currency?: string }, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  const index = config.host.channels.findIndex((c) => c.slug === options.channel);
  const host = { ...config.host, channels: config.host.channels.filter((_, i) => i === index) };
  const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: host, logger, hookTimeoutMs: config.server.hookTimeoutMs }).catch(
    (err: unknown) => {
      throw atFileIndex(err, index);
    },
  );
  try {
    io.out(json(await manager.listPaymentGateways({ channel: options.channel, currency: options.currency ?? null })));
  } finally {
    await manager.close();
  }
}

/**
 * An error at `channels.0` (the channel itself, e.g. an unknown key) or `channels.0.…` of the one-channel
 * configuration, said at the channel's place in the file (`channels.<index>…`), in its details and its message.
 */
function atFileIndex(err: unknown, index: number): unknown {
  const path = isPayhostError(err) ? err.details?.['path'] : undefined;
  if (index <= 0 || !isPayhostError(err) || typeof path !== 'string' || !/^channels\.0(\.|$)/.test(path)) return err;
  const inFile = `channels.${index}${path.slice('channels.0'.length)}`;
  return new PayhostError(err.code, err.message.replace(`"${path}"`, `"${inFile}"`), { ...err.details, path: inFile }, { cause: err });
}
