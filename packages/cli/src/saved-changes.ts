import { ERROR_CODES, isPayhostError, type ConfigValues, type Logger, type PluginManager, type PluginSettingsStore, type SavedPluginSettings } from '@payhost/core';
import { openSettings, type ServerConfig } from '@payhost/server';
import { applySavedPluginSettings } from './ledger-session.js';
import type { LogHooks } from './logger.js';
import { openSavedSettingsSource } from './saved-settings-store.js';

/**
 * A saved change of one plugin in one channel (null: a global plugin), as `config check --saved` prints it.
 * Not in force: `reason` is a stable code to match on (refusalReason), `message` says what to change.
 */
export type SavedChangeView = { channel: string | null; plugin: string; revision: number; savedAt: string } & (
  | { inForce: true; active: boolean; configuration: ConfigValues }
  | { inForce: false; reason: string; message: string }
);

/** The `reason` of a save whose secrets this configuration cannot decrypt for want of the right key (server/settings-cipher.ts). */
const KEY_REASONS: readonly string[] = ['settings_key_missing', 'settings_key_mismatch'];

/** `savedChanges` in `config check`'s output: whether the database was read, one line saying what is in force, and the changes. */
export interface SavedChangesView {
  read: boolean;
  summary: string;
  changes?: SavedChangeView[];
}

/** Without --saved: the file alone is printed, and the output says what it leaves out. */
export const SAVED_CHANGES_NOT_READ: SavedChangesView = {
  read: false,
  summary:
    "Not read: changes saved through the admin API (PUT /admin/channels/<channel>/plugins/<plugin>) are in force over this file's plugin settings " +
    'on every instance; add --saved to read them from the database',
};

/**
 * Reads the changes saved through the admin API from the configured store (without migrating it) and
 * applies them over the file's settings on `manager`, as the server does at start-up: then each change
 * is printed with the settings in force for its plugin (masked as the file's are), or why this file
 * and environment cannot apply it. Withdrawn changes are not listed: the file's settings are in force.
 * `logger`: the sync's (REPORTED_REFUSALS_AT_DEBUG keeps what the output reports off the error level).
 */
export async function readSavedChanges(config: ServerConfig, manager: PluginManager, logger: Logger): Promise<SavedChangesView> {
  const source = await openSavedSettingsSource(config);
  if (source.store === null) return { read: true, summary: `No plugin configuration change is saved: ${source.none}. The file's settings are in force`, changes: [] };
  const latest = new Map<string, SavedPluginSettings>();
  try {
    await applySavedPluginSettings(manager, recordingReader(source.store, latest), config, logger).catch((err: unknown) => {
      // A save whose secrets this configuration cannot decrypt stops serve; here it is listed (inForce false, with
      // why), beside the others, which the sync applied before it threw: what an operator changing keys needs to see.
      if (!isPayhostError(err, ERROR_CODES.invalidConfiguration) || !String(err.details?.['reason'] ?? '').startsWith('settings_')) throw err;
    });
  } finally {
    await source.store.close();
  }
  const live = [...latest.values()].filter((saved) => saved.settings !== null).sort((a, b) => a.revision - b.revision);
  const changes: SavedChangeView[] = [];
  for (const saved of live) changes.push(await changeView(manager, saved, config.settingsCipher));
  return { read: true, summary: summary(changes), changes };
}

/**
 * The store as the sync sees it, keeping the latest save of each plugin and channel it read; a save
 * is refused, so nothing this command does can write to the database.
 */
function recordingReader(store: PluginSettingsStore, latest: Map<string, SavedPluginSettings>): PluginSettingsStore {
  return {
    async listPluginSettings(afterRevision) {
      const saves = await store.listPluginSettings(afterRevision);
      for (const saved of saves) {
        const key = JSON.stringify([saved.plugin, saved.channel]);
        if ((latest.get(key)?.revision ?? 0) < saved.revision) latest.set(key, saved);
      }
      return saves;
    },
    savePluginSettings: () => Promise.reject(new Error('payhost config check only reads saved plugin settings')),
  };
}

async function changeView(manager: PluginManager, saved: SavedPluginSettings, cipher: ServerConfig['settingsCipher']): Promise<SavedChangeView> {
  const where = { channel: saved.channel, plugin: saved.plugin, revision: saved.revision, savedAt: saved.savedAt.toISOString() };
  const refused = await refusal(manager, saved, cipher);
  if (refused !== null) return { ...where, inForce: false, ...refused };
  const view = manager.getPluginConfiguration(saved.plugin, saved.channel);
  return { ...where, inForce: true, active: view.active, configuration: view.configuration };
}

/**
 * Why the sync could not apply a save, or null when it did. The sync applies a save with
 * setPluginSettings, a prepare then a commit: preparing the same settings again, and discarding them,
 * fails the same way (a channel or plugin the file lacks, settings this version refuses, a variable
 * this environment lacks). A payhost error's message names fields, never values.
 */
async function refusal(manager: PluginManager, saved: SavedPluginSettings, cipher: ServerConfig['settingsCipher']): Promise<{ reason: string; message: string } | null> {
  try {
    // A plugin or channel the file lacks first (the sync does not decrypt its save), then the save as the sync
    // applied it: its secrets decrypted (server.pluginSettingsKey), not as stored.
    manager.getPluginConfiguration(saved.plugin, saved.channel);
    const place = { plugin: saved.plugin, channel: saved.channel, revision: saved.revision };
    const settings = saved.settings === null ? undefined : openSettings(saved.settings, cipher, place);
    await manager.preparePluginSettings(saved.plugin, saved.channel, settings).discard();
    return null;
  } catch (err) {
    if (!isPayhostError(err)) return { reason: 'internal_error', message: 'it cannot be applied with this file: its error is logged on stderr' };
    return { reason: refusalReason(err.code, err.details?.['reason']), message: err.message };
  }
}

/**
 * The most specific stable code: a secret it cannot decrypt is `invalid_configuration` with `details.reason`
 * settings_key_missing, settings_key_mismatch or settings_value_unreadable (what the operator acts on); any
 * other refusal is its error code (unknown_channel, unknown_plugin, invalid_configuration, ...).
 */
function refusalReason(code: string, detail: unknown): string {
  return code === ERROR_CODES.invalidConfiguration && typeof detail === 'string' && detail.startsWith('settings_') ? detail : code;
}

/**
 * For the sync's logger in `config check --saved`: the error line (with its stack) it writes for a save it
 * cannot decrypt or apply is what the printed result reports (inForce false, reason, message), so it is
 * logged at debug instead (seen with server.logLevel debug). Any other line is left as it is.
 */
export const REPORTED_REFUSALS_AT_DEBUG: LogHooks = {
  logMethod(args, method, level) {
    const [fields] = args as unknown[];
    const reported = level >= 50 && typeof fields === 'object' && fields !== null && typeof (fields as { revision?: unknown }).revision === 'number' && isPayhostError((fields as { err?: unknown }).err);
    if (reported) this.debug(...args);
    else method.apply(this, args);
  },
};

function summary(changes: readonly SavedChangeView[]): string {
  if (changes.length === 0) return "No plugin configuration change is saved in the database: the file's settings are in force";
  const refused = changes.filter((change) => !change.inForce).length;
  const inForce = changes.length - refused;
  const plural = (n: number) => (n === 1 ? 'change' : 'changes');
  let line =
    `${inForce} plugin configuration ${plural(inForce)} saved through the admin API ${inForce === 1 ? 'is' : 'are'} in force over this file ` +
    "(in changes, each with the settings in force, secrets masked); the file's settings apply to every other plugin";
  if (refused > 0) {
    line +=
      `. ${refused} saved ${plural(refused)} cannot be applied with this file and environment (inForce false, with the reason): ` +
      'withdraw it with DELETE /admin/channels/<channel>/plugins/<plugin> (or /admin/global/plugins/<plugin>)';
    if (changes.some((change) => !change.inForce && KEY_REASONS.includes(change.reason))) {
      line +=
        ', or, for settings_key_missing / settings_key_mismatch, configure the key its secrets were saved with: ' +
        'server.pluginSettingsKey, or server.pluginSettingsOldKeys for a key replaced since';
    }
  }
  return line;
}
