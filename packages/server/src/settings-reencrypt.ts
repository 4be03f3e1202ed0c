import { ERROR_CODES, PayhostError, isPayhostError, type ConfigStructure, type PluginSettingsStore } from '@payhost/core';
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
export async function reencryptSaves(ctx: ReencryptContext): Promise<ReencryptReport> {
  const { cipher, store } = ctx;
  if (!cipher) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, 'Nothing re-encrypted: this server has no server.pluginSettingsKey to encrypt with', { reason: SETTINGS_KEY_REASONS.missing });
  }
  const report: ReencryptReport = { reencrypted: [], current: [], skipped: [] };
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
