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
  /** Saves one plugin's settings in a channel (or global), replacing its previous save; answers the new revision. */
  savePluginSettings(save: { plugin: string; channel: string | null; settings: PluginSettings | null; now: Date }): Promise<number>;
}

/** The store's saved-settings side, when it has one. */
export function pluginSettingsStore(store: object): PluginSettingsStore | null {
  const candidate = store as Partial<PluginSettingsStore>;
  return typeof candidate.listPluginSettings === 'function' && typeof candidate.savePluginSettings === 'function' ? (candidate as PluginSettingsStore) : null;
}
