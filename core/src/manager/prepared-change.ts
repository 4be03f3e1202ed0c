import { isDeepStrictEqual } from 'node:util';
import type { PluginSettings } from '../config/types.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { pluginSettingsIn, withSettings, type PluginConfigurationView } from './configuration-update.js';
import type { CloseGate } from './close-gate.js';
import { storedSettings } from './plugin-lookup.js';
import type { Retirements } from './retirements.js';
import { buildChannelOver, buildRuntime, disposeContainer, disposeRuntime, withChannel, type BuildContext, type ChannelBuild, type Runtime } from './runtime-builder.js';

/**
 * A plugin configuration change checked and built (its plugins instantiated, so every check a swap makes
 * has run) but not in force: a host that saves changes prepares one, saves `settings`, then commits it, or
 * discards it when the save failed. Until commit() the manager serves the configuration it had.
 */
export interface PreparedPluginChange {
  readonly plugin: string;
  readonly channel: string | null;
  /** The validated settings the change puts in force, unmasked (what a host saves). */
  readonly settings: PluginSettings;
  /** What getPluginConfiguration answers once the change is committed (masked). */
  readonly view: PluginConfigurationView;
  /**
   * The settings are those in force when it was prepared (the plugin's defaults when none were written): the
   * change would change nothing. A host that keeps revisions may discard it instead of saving a new one.
   */
  readonly unchanged: boolean;
  /**
   * Swaps the change in (the configuration version increases by one) and answers `view`. When the manager's
   * configuration changed since prepare (another change committed), the next version is rebuilt from the
   * current configuration with this plugin's settings, so that change is kept; should that rebuild be
   * refused, commit throws and nothing changes. When the change in between was to this same plugin and
   * scope, committing would silently undo it (these settings were merged over the older ones): commit
   * throws `configuration_changed` instead and nothing changes (prepare again over the settings in force).
   * Throws `invalid_input` once committed or discarded, and
   * `shutting_down` once the manager's close() was called (which discards it), as the manager's own calls are.
   */
  commit(): PluginConfigurationView;
  /** Closes the instances the change built; nothing was in force. A no-op once committed or discarded. */
  discard(): Promise<void>;
}

/** The manager's current version, as the changes read and replace it. */
export interface RuntimeHolder {
  current(): Runtime;
  swap(next: Runtime): void;
}

/** A prepared next version: a whole runtime (a global plugin changed) or one rebuilt channel. */
type NextVersion = { runtime: Runtime } | { channel: ChannelBuild };

/** Prepares plugin configuration changes over a manager's runtime, and swaps them in on commit. */
export class PluginChanges {
  /** Discards of the changes prepared and not yet committed or discarded. */
  private readonly open = new Set<() => Promise<void>>();
  /** Instances of discarded or stale builds still closing: the manager's close waits for them. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly ctx: BuildContext,
    private readonly retirements: Retirements,
    private readonly holder: RuntimeHolder,
    /** The manager's close state: a commit once close() was called is refused as the manager's calls are. */
    private readonly gate: CloseGate,
  ) {}

  /** Builds the next version with `settings` (validated) for the plugin; throws, building nothing that stays, when refused. */
  prepare(cls: PluginClass, channel: string | null, settings: PluginSettings, view: PluginConfigurationView): PreparedPluginChange {
    let base = this.holder.current();
    const preparedOver = pluginSettingsIn(base.config, cls.id, channel);
    const unchanged = isDeepStrictEqual(settings, storedSettings(base.config, cls, channel));
    let next: NextVersion | null = this.build(base, cls.id, channel, settings);
    const discard = (): Promise<void> => {
      const built = next;
      next = null;
      this.open.delete(discard);
      return built ? this.dispose(built) : Promise.resolve();
    };
    this.open.add(discard);
    const commit = (): PluginConfigurationView => {
      this.gate.refuse('commit');
      if (!next) throw new PayhostError(ERROR_CODES.invalidInput, `This change of plugin "${cls.id}" was already committed or discarded`, { plugin: cls.id, channel });
      let built = next;
      next = null;
      this.open.delete(discard);
      const current = this.holder.current();
      if (current !== base) {
        // Another change came in between: its version is the one to build on, or that change would be lost.
        void this.dispose(built);
        // A change of this very plugin and scope cannot be built on: these settings would replace it.
        if (!isDeepStrictEqual(pluginSettingsIn(current.config, cls.id, channel), preparedOver)) {
          throw new PayhostError(
            ERROR_CODES.configurationChanged,
            `The settings of plugin "${cls.id}" changed since this change was prepared: prepare it again over them`,
            { plugin: cls.id, channel },
          );
        }
        base = current;
        built = this.build(base, cls.id, channel, settings);
      }
      this.swap(base, built);
      return view;
    };
    return { plugin: cls.id, channel, settings, view, unchanged, commit, discard };
  }

  /** Discards every change prepared and not committed, and resolves once all they built is closed (the manager is closing). */
  async discardAll(): Promise<void> {
    for (const discard of [...this.open]) void discard();
    await Promise.all([...this.closing]);
  }

  private build(base: Runtime, pluginId: string, channel: string | null, settings: PluginSettings): NextVersion {
    const config = withSettings(base.config, pluginId, channel, settings);
    if (channel === null) return { runtime: buildRuntime(this.ctx, config, base.version + 1) };
    return { channel: buildChannelOver(this.ctx, base, config, channel) };
  }

  /** Swaps `next` in over `base` (the current version); the instances it replaces are retired. */
  private swap(base: Runtime, next: NextVersion): void {
    if ('runtime' in next) {
      this.holder.swap(next.runtime);
      this.retirements.retireRuntime(base);
    } else {
      this.holder.swap(withChannel(base, next.channel));
      this.retirements.retireChannel(base, next.channel.slug);
    }
  }

  /** Closes a version never swapped in: nothing runs on its instances, so they close now. */
  private dispose(next: NextVersion): Promise<void> {
    // A global change built a whole runtime (a new root); a channel change only a scope of the current root.
    const closing = 'runtime' in next ? disposeRuntime(next.runtime, this.ctx.logger) : disposeContainer(next.channel.scope, this.ctx.logger);
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
    return closing;
  }
}
