import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginSettings } from './types.js';

/**
 * A plugin's settings as a change through the admin API saved them, so that
 * every instance on one database applies the change (and a restart keeps it).
 */
export interface SavedPluginSettings {
  plugin: string;
  /** null: a global plugin. */
  channel: string | null;
  /** null: the change was withdrawn, and the configuration file's settings apply again. */
  settings: PluginSettings | null;
  /** Increases with every save on the database: instances apply saves in this order. */
  revision: number;
  savedAt: Date;
}

/** What a store implements to keep saved plugin settings (the memory, PGlite and PostgreSQL stores do). */
export interface PluginSettingsStore {
  /**
   * The latest save of each plugin and channel whose revision is above `afterRevision`, by revision.
   * Saves become visible in revision order: a reader that has seen revision N never later finds a new
   * save with a revision of N or less.
   */
  listPluginSettings(afterRevision: number): Promise<SavedPluginSettings[]>;
  /**
   * Saves one plugin's settings in a channel (or global), replacing its previous save; answers the new revision.
   * With `ifRevision`, only when the latest save of that plugin and channel has that revision (0: none yet):
   * otherwise nothing is saved and it throws `configuration_changed` (PayhostError, `details.revision` the
   * latest). The check and the save are one step across every process on the database: an instance makes
   * a change over the save it read, and a change saved in between is never overwritten unseen.
   */
  savePluginSettings(save: PluginSettingsSave): Promise<number>;
  /**
   * Optional: removes the saves that were replaced (and the secrets they held) from the store's files, as far
   * as the store can (the SQL stores: the table rewritten; PGlite: its write-ahead log too). Run after
   * secrets were saved again under a new key.
   */
  purgeReplacedPluginSettings?(): Promise<void>;
}

/** One save of `PluginSettingsStore.savePluginSettings`. */
export interface PluginSettingsSave {
  plugin: string;
  /** null: a global plugin. */
  channel: string | null;
  /** null: withdraw the change (the configuration file's settings apply again). */
  settings: PluginSettings | null;
  now: Date;
  /** Save only over this revision of the plugin and channel's latest save (0: none); see savePluginSettings. */
  ifRevision?: number;
}

/** The refusal of a save made over a revision that is no longer the latest (`ifRevision`). */
export function savedSinceError(save: Pick<PluginSettingsSave, 'plugin' | 'channel'>, ifRevision: number, latest: number): PayhostError {
  return new PayhostError(
    ERROR_CODES.configurationChanged,
    `Plugin settings of ${save.plugin} (${save.channel === null ? 'global' : `channel "${save.channel}"`}) not saved: made over revision ${ifRevision}, but the latest save is revision ${latest}`,
    { plugin: save.plugin, channel: save.channel, revision: latest },
  );
}

/** The store's saved-settings side, when it has one. */
export function pluginSettingsStore(store: object): PluginSettingsStore | null {
  const candidate = store as Partial<PluginSettingsStore>;
  return typeof candidate.listPluginSettings === 'function' && typeof candidate.savePluginSettings === 'function' ? (candidate as PluginSettingsStore) : null;
}
