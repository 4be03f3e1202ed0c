import { PluginManager } from '@payhost/core';
import { checkCheckoutExposure, checkDevelopmentKeys, checkStoreChoice, PUBLIC_CHECKOUT_WARNING, type ServerConfig } from '@payhost/server';
import { json, type CliIo } from '../io.js';
import { commandLogger, loadCommandConfig } from '../logger.js';
import { withEveryUnsetVariable } from '../unset-variables.js';
import { readSavedChanges, REPORTED_REFUSALS_AT_DEBUG, SAVED_CHANGES_NOT_READ } from '../saved-changes.js';

export interface ConfigCheckOptions {
  config: string;
  /** Also read the changes saved through the admin API from the configured database (see readSavedChanges). */
  saved?: boolean;
}

/** `server.pluginSettingsKey` in the output when the file sets none. */
const SETTINGS_KEY_NOT_SET = 'not set (secrets saved through the admin API are stored in plain text)';

/** Whether server.pluginSettingsKey is set and how many old keys there are: never a key or a part of one. */
function settingsKeyView(cipher: ServerConfig['settingsCipher']): { pluginSettingsKey: string; pluginSettingsOldKeys: number } {
  return { pluginSettingsKey: cipher === null ? SETTINGS_KEY_NOT_SET : 'set', pluginSettingsOldKeys: cipher?.oldKeyCount ?? 0 };
}

function maskKey(key: string): string {
  return key.length > 8 ? `****${key.slice(-4)}` : '****';
}

/**
 * Validates a config file (plugins load, channels and plugin settings check) and prints it with secrets masked.
 * What validation drops with a warning (a misspelt plugin configuration field) is logged on stderr.
 * `saved`: also prints the admin API's saved changes and the settings in force with them (savedChanges);
 * the channels and global plugins printed stay the file's.
 */
export async function configCheck(options: ConfigCheckOptions, io: CliIo): Promise<void> {
  const { config, logger, level } = await loadCommandConfig(options.config, io);
  // With this environment: a file `serve` would refuse is not valid.
  checkStoreChoice(config);
  // The public development keys on a host other machines reach: refused as serve refuses them.
  checkDevelopmentKeys(config);
  // The public checkout on a host other machines reach: refused as serve refuses it, or said when acknowledged.
  if (checkCheckoutExposure(config) === 'acknowledged') logger.warn({ host: config.server.host, checkoutGateways: config.server.checkoutGateways }, PUBLIC_CHECKOUT_WARNING);
  const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, logger }).catch(async (err: unknown) => {
    // serve stops at the first unset variable; a check says every one at once.
    throw await withEveryUnsetVariable(err, config, process.env);
  });
  try {
    const plugins = manager.config.channels.map((channel) => ({
      channel: channel.slug,
      currencies: channel.currencies,
      defaultGateways: channel.defaultGateways,
      plugins: config.plugins.length === 0 ? [] : pluginViews(manager, channel.slug),
    }));
    const globalPlugins = globalPluginViews(manager);
    // After the file's views: applying the saved changes changes what the manager answers.
    // The saves it cannot apply are in the output: not also error lines with stack traces on stderr.
    const savedChanges = options.saved === true ? await readSavedChanges(config, manager, commandLogger(level, io, REPORTED_REFUSALS_AT_DEBUG)) : SAVED_CHANGES_NOT_READ;
    io.out(
      json({
        valid: true,
        // Whether admin API saves will be encrypted: said, never the key nor any part of it.
        server: { ...config.server, ...settingsKeyView(config.settingsCipher) },
        store: config.databaseUrl ? 'postgres (DATABASE_URL)' : `pglite (${config.server.dataDir})`,
        auth: { adminApiKey: maskKey(config.auth.adminApiKey), paymentApiKey: maskKey(config.auth.paymentApiKey) },
        channels: plugins,
        // Global plugins' settings hold secrets too (an audit service's token): shown masked, like the channels'.
        globalPlugins,
        savedChanges,
      }),
    );
  } finally {
    await manager.close();
  }
}

function pluginViews(manager: PluginManager, channel: string) {
  const ids = new Set<string>();
  for (const gateway of manager.channel(channel).gateways.keys()) ids.add(gateway);
  for (const id of Object.keys(manager.config.channels.find((c) => c.slug === channel)?.plugins ?? {})) ids.add(id);
  return [...ids].map((id) => {
    const view = manager.getPluginConfiguration(id, channel);
    return { id: view.id, active: view.active, configuration: view.configuration };
  });
}

function globalPluginViews(manager: PluginManager) {
  return Object.keys(manager.config.globalPlugins ?? {}).map((id) => {
    const view = manager.getPluginConfiguration(id, null);
    return { id: view.id, active: view.active, configuration: view.configuration };
  });
}
