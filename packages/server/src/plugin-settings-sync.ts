import {
  ERROR_CODES,
  PayhostError,
  isPayhostError,
  pluginSettingsIn,
  pluginSettingsStore,
  type ConfigStructure,
  type HostConfig,
  type Logger,
  type PluginConfigurationView,
  type PluginManager,
  type PluginSettings,
  type PluginSettingsStore,
  type PreparedPluginChange,
  type SavedPluginSettings,
} from '@payhost/core';
import { sealSettings, type SettingsCipher } from './settings-cipher.js';
import { purgeReplacedSaves, reencryptSaves, type ReencryptReport } from './settings-reencrypt.js';
import { changedSince, notReadable, notReencrypted, notSaved } from './plugin-settings-refusals.js';
import { savedChangeView, type SavedChangeView } from './refused-saved-change.js';
import { settingsOfSave } from './saved-settings-open.js';

/**
 * Plugin configuration changed through the admin API, shared by every instance on one database.
 *
 * A change is checked on the instance that took it (by building the plugins), saved in the store, and
 * only then put in force there; the other instances apply it at their next poll, and a restart applies
 * every save over the configuration file. Withdrawing a change (settings null) brings the file's settings back.
 *
 * Every change goes through one queue per instance: a poll that read an older save cannot apply it over
 * a newer change this instance is making, and each plugin and channel keeps the revision it last
 * applied, so a save is never applied over a later one.
 *
 * With a cipher (server.pluginSettingsKey), the secret fields of a change are saved encrypted, and every
 * encrypted value read is decrypted before it applies. A save this instance cannot decrypt (no key, another
 * key) is never applied in part: start-up (`load`) fails, and a running instance keeps its configuration
 * for that plugin and refuses changes of it other than a withdrawal, until a save it can read replaces it.
 */
/** A change's save the store refused: another instance saved a change of the plugin since this one read its saves. */
const SAVED_IN_BETWEEN = Symbol('saved in between');
/** Tries of a change without If-Match while other instances keep saving changes of the same plugin. */
const MAX_CHANGE_ATTEMPTS = 5;

export class PluginSettingsSync {
  /** Per plugin and channel: the revision of its latest save this instance has read. */
  private readonly applied = new Map<string, number>();
  /** Per plugin and channel: the revision of the save whose settings are in force here (behind `applied` while that one cannot be). */
  private readonly served = new Map<string, number>();
  /** Per plugin and channel: whether its latest save is a change in force (not withdrawn). */
  private readonly live = new Map<string, boolean>();
  /** Per plugin and channel: its latest save, decrypted, which this version refuses (while it is the latest): what a PUT is made over. */
  private readonly refused = new Map<string, { revision: number; settings: PluginSettings; error: PayhostError }>();
  /** Per plugin and channel: why its latest save cannot be decrypted here (while it is the latest). */
  private readonly unreadable = new Map<string, PayhostError>();
  /** Per plugin and channel: its latest save, in force, holds secrets in plain text or under an old key: a PUT changing nothing still saves it again (encrypted). */
  private readonly resealable = new Map<string, boolean>();
  private lastRevision = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** Logged once per outage, not on every poll. */
  private pollFailing = false;
  /** During `load`, which throws a save it cannot decrypt (the instance does not start) instead of logging it. */
  private loading = false;

  constructor(
    private readonly manager: PluginManager,
    private readonly store: PluginSettingsStore,
    /** The configuration file's plugin settings: what a withdrawn change returns to. */
    private readonly baseline: HostConfig,
    private readonly logger: Logger,
    private readonly cipher: SettingsCipher | null = null,
  ) {}

  /**
   * The saved changes over the file's settings, once (start-up, and CLI commands that use the server's
   * store). Throws the first save it cannot decrypt: running on the file's settings for that plugin instead
   * of the saved ones (a gateway an admin switched off, keys an admin replaced) is not safe to take payments with.
   */
  async load(): Promise<void> {
    this.loading = true;
    try {
      await this.poll();
    } finally {
      this.loading = false;
    }
    const [first] = this.unreadable.values();
    if (first) throw first;
  }

  /** Applies other instances' changes every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.poll().then(
        () => {
          if (this.pollFailing) this.logger.info('plugin configuration changes are read from the database again');
          this.pollFailing = false;
        },
        (err: unknown) => {
          if (!this.pollFailing) this.logger.warn({ err }, 'cannot read plugin configuration changes from the database: this instance keeps its current configuration until it can');
          this.pollFailing = true;
        },
      );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops polling; resolves once a poll or change in progress has ended (before the manager and store close). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queue;
  }

  /**
   * Makes a change on this instance and saves it for the others. The saves other instances made since
   * the last poll are applied first, so the change is made over them: settings are saved whole, and a
   * change made over older ones would take back another admin's change. Then `prepare` checks the change
   * and builds it without putting it in force (it throws, changing nothing, when the change is refused);
   * its settings are saved, or, for a withdrawn change (the file's settings prepared), that the file's
   * settings apply; only then is it committed, and the committed view answered. When the save fails, the
   * prepared change is discarded (it was never in force here) and a `store_unavailable` error is thrown.
   * A change whose settings are those in force (`prepared.unchanged`, this instance serving the latest save)
   * is discarded and answered as it is, saving nothing (`changed` false), as a withdrawal with nothing to withdraw.
   * When the latest save is one this version refuses (savedChangeOf), `prepare` gets its decrypted settings: an
   * update is made over them (its `active`, its secrets), not over the file's in force, and checked as a whole.
   */
  change(
    plugin: string,
    channel: string | null,
    prepare: (base: PluginSettings | undefined) => PreparedPluginChange,
    options: { withdrawn?: boolean; ifRevision?: number } = {},
  ): Promise<{ view: PluginConfigurationView; revision: number; changed: boolean }> {
    return this.serialized(async () => {
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.changeOnce(plugin, channel, prepare, options);
        if (outcome !== SAVED_IN_BETWEEN) return outcome;
        // Another instance saved a change of this plugin between our read and our save: nothing of ours was
        // saved or put in force. Without If-Match, make the change again over that one (read at the next try).
        if (options.ifRevision !== undefined || attempt === MAX_CHANGE_ATTEMPTS) {
          const latest = this.revisionOf(plugin, channel);
          await this.readSavesFor(plugin, channel);
          throw changedSince(plugin, channel, options.ifRevision ?? latest, this.revisionOf(plugin, channel));
        }
      }
    });
  }

  /** One try of `change` (in the queue): SAVED_IN_BETWEEN when the store refused the save as made over an older revision. */
  private async changeOnce(
    plugin: string,
    channel: string | null,
    prepare: (base: PluginSettings | undefined) => PreparedPluginChange,
    options: { withdrawn?: boolean; ifRevision?: number },
  ): Promise<{ view: PluginConfigurationView; revision: number; changed: boolean } | typeof SAVED_IN_BETWEEN> {
    await this.readSavesFor(plugin, channel);
    const latest = this.revisionOf(plugin, channel);
    if (options.ifRevision !== undefined && options.ifRevision !== latest) throw changedSince(plugin, channel, options.ifRevision, latest);
    const withdrawn = options.withdrawn === true;
    // Nothing saved in force: the file's settings already apply, and there is nothing to withdraw.
    if (withdrawn && this.live.get(key(plugin, channel)) !== true) return { view: this.manager.getPluginConfiguration(plugin, channel), revision: latest, changed: false };
    // A change made over settings this instance could not read would save them back wrong; a withdrawal needs none.
    const unreadable = this.unreadable.get(key(plugin, channel));
    if (unreadable && !withdrawn) throw notReadable(unreadable);
    const prepared = prepare(withdrawn ? undefined : this.refused.get(key(plugin, channel))?.settings);
    // A change to the settings this instance serves as the latest save (or the file's, none saved): nothing to
    // save. A new revision would change nothing, yet make every form read before it stale (412). Unless that
    // save's secrets are not as a save now stores them (operating.md: a PUT encrypts a save made before the key).
    if (!withdrawn && prepared.unchanged && this.servedRevisionOf(plugin, channel) === latest && this.resealable.get(key(plugin, channel)) !== true) {
      void prepared.discard();
      return { view: this.manager.getPluginConfiguration(plugin, channel), revision: latest, changed: false };
    }
    let settings: PluginSettings | null = null;
    try {
      if (!withdrawn) settings = sealSettings(prepared.settings, prepared.view.configStructure, this.cipher, { plugin, channel });
    } catch (err) {
      // Closing what it built is not waited for (a plugin's close may take up to hookTimeoutMs); manager.close() waits.
      void prepared.discard();
      throw err;
    }
    let revision: number;
    try {
      // Over the save this change was made over: a save another instance made since is never overwritten unseen.
      revision = await this.store.savePluginSettings({ plugin, channel, settings, now: new Date(), ifRevision: latest });
    } catch (err) {
      void prepared.discard();
      if (isPayhostError(err, ERROR_CODES.configurationChanged)) return SAVED_IN_BETWEEN;
      this.logger.warn({ plugin, channel, err, configVersion: this.manager.configVersion }, 'plugin configuration change not saved in the database: not applied');
      throw notSaved(err, plugin, channel);
    }
    this.recordSave(plugin, channel, revision, !withdrawn);
    this.served.set(key(plugin, channel), revision);
    // The queue ran nothing since prepare, so this is the version it was built over (no rebuild).
    return { view: prepared.commit(), revision, changed: true };
  }

  /**
   * The revision of the latest save of a plugin in a channel this instance has read (0: never saved): the
   * admin API's ETag, which a change may name (If-Match) to be refused when another was saved since.
   */
  revisionOf(plugin: string, channel: string | null): number {
    return this.applied.get(key(plugin, channel)) ?? 0;
  }

  /**
   * The revision of the saved change whose settings this instance serves for a plugin in a channel (0: the
   * file's, never changed). Behind `revisionOf` while the latest save cannot be decrypted here, so a form read
   * here and sent with it as If-Match (readRevisionOf) is refused (412) on every instance instead of saving the
   * older settings it showed over the latest save.
   */
  servedRevisionOf(plugin: string, channel: string | null): number {
    return this.served.get(key(plugin, channel)) ?? 0;
  }

  /**
   * The ETag a GET answers: the revision served, or, when the latest save is one this version refuses, that
   * save's revision. A form read then is sent with it (If-Match) and made over that save (change), so it can
   * mend or withdraw it; with the served one it would be refused (412) whatever it sent.
   */
  readRevisionOf(plugin: string, channel: string | null): number {
    return this.refused.has(key(plugin, channel)) ? this.revisionOf(plugin, channel) : this.servedRevisionOf(plugin, channel);
  }

  /**
   * The latest save of a plugin in a channel when it is not in force because this version refuses its settings
   * (an older version saved them: a bound since tightened), with the plugin's error and its settings, secrets
   * masked (the form an admin screen sends back); null otherwise. The error names the field and the bound; a
   * value it quotes is of a field the plugin checks, never a secret.
   */
  savedChangeOf(plugin: string, channel: string | null): SavedChangeView | null {
    const refused = this.refused.get(key(plugin, channel));
    return refused ? savedChangeView(this.manager.getPluginConfiguration(plugin, channel), refused) : null;
  }

  /**
   * Withdraws a saved change for a plugin or channel this instance does not have (the file dropped it):
   * it cannot be applied, so nothing changes here, but the saved change goes, and with it the error every
   * start logged. False when there is no such change in force.
   */
  withdrawUnknown(plugin: string, channel: string | null): Promise<boolean> {
    return this.serialized(async () => {
      await this.readSavesFor(plugin, channel);
      if (this.live.get(key(plugin, channel)) !== true) return false;
      const revision = await this.store.savePluginSettings({ plugin, channel, settings: null, now: new Date() }).catch((err: unknown) => {
        throw notSaved(err, plugin, channel);
      });
      this.recordSave(plugin, channel, revision, false);
      this.logger.info({ plugin, channel, revision }, 'saved plugin configuration change withdrawn (for a plugin or channel the configuration file does not have)');
      return true;
    });
  }

  /**
   * Saves again, under server.pluginSettingsKey, every saved change in force whose secrets are under one of
   * server.pluginSettingsOldKeys or in plain text (settings-reencrypt.ts): after a key change, once this has
   * run, no instance needs the old keys. The other instances read the new revisions as any save (the same
   * settings: nothing is rebuilt).
   */
  reencrypt(): Promise<ReencryptReport> {
    return this.serialized(async () => {
      await this.readSaves().catch(notReencrypted);
      const report = await reencryptSaves({
        store: this.store,
        cipher: this.cipher,
        structureOf: (plugin, channel) => this.structureOf(plugin, channel),
        resaved: (plugin, channel, was, revision) => {
          const refused = this.refused.get(key(plugin, channel));
          if ((this.applied.get(key(plugin, channel)) ?? 0) === was) this.recordSave(plugin, channel, revision, true);
          // The same settings, saved again: still refused here, and a form now reads the new revision.
          if (refused?.revision === was) this.refused.set(key(plugin, channel), { ...refused, revision });
          if (this.served.get(key(plugin, channel)) === was) this.served.set(key(plugin, channel), revision);
          this.logger.info({ plugin, channel, revision }, 'saved plugin configuration change re-encrypted under server.pluginSettingsKey');
        },
      }).catch(notReencrypted);
      // The rows replaced keep the old secrets on disk until the table is rewritten (operating.md). The
      // re-encryption stands either way: a failure is logged and answered, and the next run tries again.
      return { ...report, purge: await purgeReplacedSaves(this.store, this.logger) };
    });
  }

  private poll(): Promise<void> {
    return this.serialized(() => this.readSaves());
  }

  /** readSaves before a change of `plugin`: a store failure is that change's ("not changed"). */
  private async readSavesFor(plugin: string, channel: string | null): Promise<void> {
    await this.readSaves().catch((err: unknown) => {
      throw notSaved(err, plugin, channel);
    });
  }

  /** A save this instance made or read: the revision it applied, and whether a change is in force (not withdrawn). */
  private recordSave(plugin: string, channel: string | null, revision: number, live: boolean): void {
    this.applied.set(key(plugin, channel), revision);
    this.live.set(key(plugin, channel), live);
    this.unreadable.delete(key(plugin, channel));
    this.resealable.delete(key(plugin, channel));
    this.refused.delete(key(plugin, channel));
  }

  /** Applies the saves made since the last read (run in the queue only). */
  private async readSaves(): Promise<void> {
    for (const saved of await this.store.listPluginSettings(this.lastRevision)) {
      this.apply(saved);
      this.lastRevision = Math.max(this.lastRevision, saved.revision);
    }
  }

  private apply(saved: SavedPluginSettings): void {
    const { plugin, channel, revision } = saved;
    if ((this.applied.get(key(plugin, channel)) ?? 0) >= revision) return;
    this.recordSave(plugin, channel, revision, saved.settings !== null);
    const where = { plugin, channel, revision, savedAt: saved.savedAt.toISOString() };
    let target: PluginSettings | undefined;
    let open = false;
    try {
      let resealable: boolean;
      ({ target, open, resealable } = settingsOfSave(saved, { structure: this.structureOf(plugin, channel), file: this.fileSettings(plugin, channel), cipher: this.cipher, logger: this.logger, where }));
      if (resealable) this.resealable.set(key(plugin, channel), true);
    } catch (err) {
      // Nothing of it applies (not even its non-secret fields); the error names the field and the reason, never a value.
      this.unreadable.set(key(plugin, channel), err as PayhostError);
      if (!this.loading) this.logger.error({ ...where, err }, 'a saved plugin configuration change cannot be decrypted: this instance keeps its configuration for that plugin');
      return;
    }
    try {
      if (sameSettings(this.current(plugin, channel), target)) {
        this.served.set(key(plugin, channel), revision);
        return;
      }
      this.manager.setPluginSettings(plugin, channel, target);
      this.served.set(key(plugin, channel), revision);
    } catch (err) {
      // A plugin or channel the file no longer has, or settings this version refuses: the rest still applies.
      // Settings refused are kept (decrypted, in memory only): GET says so, and a PUT is made over them.
      if (open && target && isPayhostError(err)) this.refused.set(key(plugin, channel), { revision, settings: target, error: err });
      this.logger.error({ ...where, err }, 'a saved plugin configuration change cannot be applied: this instance keeps its configuration for that plugin');
      return;
    }
    this.logger.info({ ...where, active: this.current(plugin, channel)?.active ?? null, withdrawn: saved.settings === null, configVersion: this.manager.configVersion }, 'plugin configuration change applied from the database');
  }

  /** The plugin's configStructure in the running configuration (in this channel, or global for null); undefined when it has no such plugin. */
  private structureOf(plugin: string, channel: string | null): ConfigStructure | undefined {
    try {
      return this.manager.getPluginConfiguration(plugin, channel).configStructure;
    } catch {
      return undefined;
    }
  }

  /** The settings in force (unmasked); undefined when none were written (the plugin's defaults). */
  private current(plugin: string, channel: string | null): PluginSettings | undefined {
    return pluginSettingsIn(this.manager.config, plugin, channel);
  }

  private fileSettings(plugin: string, channel: string | null): PluginSettings | undefined {
    return pluginSettingsIn(this.baseline, plugin, channel);
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function key(plugin: string, channel: string | null): string {
  return JSON.stringify([plugin, channel]);
}

function sameSettings(a: PluginSettings | undefined, b: PluginSettings | undefined): boolean {
  if (!a || !b) return a === b;
  const keys = new Set([...Object.keys(a.configuration), ...Object.keys(b.configuration)]);
  return a.active === b.active && [...keys].every((name) => a.configuration[name] === b.configuration[name]);
}

/**
 * The sync for a store that keeps saved settings, its saved changes applied; null for a store that
 * keeps none (a third-party store): admin changes then stay on the instance that took them.
 */
export async function loadPluginSettingsSync(
  manager: PluginManager,
  store: object,
  baseline: HostConfig,
  logger: Logger,
  /** `cipher`: ServerConfig.settingsCipher (server.pluginSettingsKey). */
  options: { cipher?: SettingsCipher | null } = {},
): Promise<PluginSettingsSync | null> {
  const saved = pluginSettingsStore(store);
  if (!saved) return null;
  const sync = new PluginSettingsSync(manager, saved, baseline, logger, options.cipher ?? null);
  await sync.load();
  return sync;
}
