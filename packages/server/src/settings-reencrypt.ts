import { ERROR_CODES, PayhostError, isPayhostError, type ConfigStructure, type Logger, type PluginSettingsStore } from '@payhost/core';
import { ENVELOPE_PREFIX, SETTINGS_KEY_REASONS, openSettings, sealSettings, sealedWithCurrentKey, type SettingsCipher } from './settings-cipher.js';

/** One saved change, as a re-encryption reports it. */
export interface ReencryptedChange {
  plugin: string;
  /** null: a global plugin. */
  channel: string | null;
  /** Its revision after (re-encrypted) or as found (the others). */
  revision: number;
}

/** What `PluginSettingsSync.reencrypt` did with each saved change in force. */
export interface ReencryptReport {
  /** Saved again under the current key (secrets that were under an old key, or in plain text). */
  reencrypted: ReencryptedChange[];
  /** Already under the current key: left as they are. */
  current: ReencryptedChange[];
  /** Left as they are, with why: `settings_key_mismatch` (no configured key decrypts it), `not_in_configuration`
   *  (a plugin or channel the file does not have), `changed_meanwhile` (another change was saved since it was read). */
  skipped: Array<ReencryptedChange & { reason: string }>;
  /** Whether the replaced saves (and the old secrets they held) left the database files afterwards. */
  purge: PurgeOutcome;
}

const NOT_REWRITTEN = 'plugin_settings_not_rewritten';

/**
 * The purge after a re-encryption (`purgeReplacedSaves`). `purged: false` does not undo the re-encryption:
 * running it again retries the purge. `reason` is a stable code: `plugin_settings_not_rewritten` (on
 * PostgreSQL, almost always a role that does not own the table; `message` names the role and the owner)
 * or `purge_failed` (any other failure: the server's warn line has the error). Never a secret.
 */
export interface PurgeOutcome {
  purged: boolean;
  reason?: typeof NOT_REWRITTEN | 'purge_failed';
  message?: string;
}

/**
 * Removes the replaced saves from the store's files (`purgeReplacedPluginSettings`); a store without that
 * step keeps no files (the in-memory store), so nothing is left there. A failure is logged and answered.
 */
export async function purgeReplacedSaves(store: PluginSettingsStore, logger: Logger): Promise<PurgeOutcome> {
  try {
    await store.purgeReplacedPluginSettings?.();
    return { purged: true };
  } catch (err) {
    logger.warn({ err }, 're-encrypted, but the replaced saves could not be purged from the database files: fix what err says (a role that does not own plugin_settings cannot rewrite it), then run the re-encryption again');
    // Only the message of the known failure is answered (it names the table, the role and the owner); any
    // other error's text (a driver's, a connection's) stays in the log.
    if (isPayhostError(err) && err.details?.['reason'] === NOT_REWRITTEN) return { purged: false, reason: NOT_REWRITTEN, message: err.message };
    return { purged: false, reason: 'purge_failed', message: 'The replaced saves could not be purged from the database files: see the server log (warn)' };
  }
}

/**
 * `structure`, with every field the save holds encrypted taken as a secret too: a field the plugin no
 * longer declares, or no longer declares secret (a plugin upgrade renamed or retyped it), was saved
 * encrypted and must stay so; resealed by the structure alone, its value would be written back in plain text.
 */
function keepingEncrypted(structure: ConfigStructure, saved: { configuration: Readonly<Record<string, unknown>> }): ConfigStructure {
  const encrypted = Object.entries(saved.configuration).filter(([, value]) => typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX));
  if (encrypted.length === 0) return structure;
  return { ...structure, ...Object.fromEntries(encrypted.map(([field]) => [field, { ...(structure[field] ?? { label: field }), type: 'Secret' as const }])) };
}

/** What a re-encryption needs of the instance running it (PluginSettingsSync). */
export interface ReencryptContext {
  store: PluginSettingsStore;
  cipher: SettingsCipher | null;
  /** The config structure (which fields are secret) of a plugin in a channel; undefined when this file does not have it. */
  structureOf(plugin: string, channel: string | null): ConfigStructure | undefined;
  /** Called for each change saved again: it replaced revision `was` with the same settings. */
  resaved(plugin: string, channel: string | null, was: number, revision: number): void;
}

/**
 * Saves again, under the current key, every saved change in force whose secrets are under an old key
 * (server.pluginSettingsOldKeys) or in plain text (saved before server.pluginSettingsKey was set). The
 * settings do not change, only how their secrets are stored; each save is made over the revision read
 * (ifRevision), so a change saved meanwhile (under its own instance's key) is never overwritten.
 */
export async function reencryptSaves(ctx: ReencryptContext): Promise<Omit<ReencryptReport, 'purge'>> {
  const { cipher, store } = ctx;
  if (!cipher) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, 'Nothing re-encrypted: this server has no server.pluginSettingsKey to encrypt with', { reason: SETTINGS_KEY_REASONS.missing });
  }
  const report: Omit<ReencryptReport, 'purge'> = { reencrypted: [], current: [], skipped: [] };
  for (const saved of await store.listPluginSettings(0)) {
    // A withdrawal holds no settings, so no secret.
    if (saved.settings === null) continue;
    const { plugin, channel, revision } = saved;
    const found = { plugin, channel, revision };
    const structure = ctx.structureOf(plugin, channel);
    if (structure === undefined) {
      report.skipped.push({ ...found, reason: 'not_in_configuration' });
      continue;
    }
    if (sealedWithCurrentKey(saved.settings, structure, cipher, found)) {
      report.current.push(found);
      continue;
    }
    let resealed;
    try {
      resealed = sealSettings(openSettings(saved.settings, cipher, found), keepingEncrypted(structure, saved.settings), cipher, { plugin, channel });
    } catch (err) {
      if (!isPayhostError(err, ERROR_CODES.invalidConfiguration)) throw err;
      report.skipped.push({ ...found, reason: String(err.details?.['reason'] ?? err.code) });
      continue;
    }
    try {
      const next = await store.savePluginSettings({ plugin, channel, settings: resealed, now: new Date(), ifRevision: revision });
      ctx.resaved(plugin, channel, revision, next);
      report.reencrypted.push({ plugin, channel, revision: next });
    } catch (err) {
      if (!isPayhostError(err, ERROR_CODES.configurationChanged)) throw err;
      report.skipped.push({ ...found, reason: 'changed_meanwhile' });
    }
  }
  return report;
}
