import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { resolveEnvReferences } from '../config/env.js';
import { readBooleanFields, validatePluginSettings } from '../config/plugin-settings.js';
import type { ChannelConfig, HostConfig, PluginSettings } from '../config/types.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { BasePlugin, PluginClass } from '../plugin/base-plugin.js';
import { ChannelRuntime, type GatewayEntry } from './channel-runtime.js';
import { gatewayEntry } from './gateway-declaration.js';
import { frozenCopy } from './frozen-data.js';
import { GatewayListings } from './gateway-listings.js';
import { HookPipeline, type HookWatchdog, type PluginEntry } from './hook-pipeline.js';
import { closePlugin, constructorError } from './plugin-lifecycle.js';
import { warnAboutForeignPlugins } from './plugin-registry.js';
import { configurationSecrets } from './secret-scrub.js';

export interface BuildContext {
  registry: readonly PluginClass[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
  watchdog: HookWatchdog;
}

/** One configuration version: the awilix root, the global plugins and every channel's runtime. */
export interface Runtime {
  version: number;
  config: HostConfig;
  root: AwilixContainer;
  globals: PluginInstance[];
  globalPipeline: HookPipeline;
  channels: Map<string, ChannelRuntime>;
  scopes: Map<string, AwilixContainer>;
  /** listPaymentGateways answers of this version, filled on first use. */
  listings: GatewayListings;
}

interface PluginInstance extends PluginEntry {
  cls: PluginClass;
  active: boolean;
}

const noWarnings = (): void => undefined;

/**
 * Disposes a container: its cached plugin instances are closed (their
 * registrations' disposer). closePlugin logs every failure, so this never
 * rejects; the catch only keeps a broken awilix from crashing the process.
 */
export function disposeContainer(container: AwilixContainer, logger: Logger): Promise<void> {
  return container.dispose().catch((err: unknown) => logger.error({ err }, 'Disposing plugin instances failed'));
}

/** Registers a plugin's factory: the instance is closed when its container (channel scope or root) is disposed. */
function pluginResolver(ctx: BuildContext, create: () => PluginInstance) {
  return asFunction(create).disposer((plugin) => closePlugin(plugin, ctx.watchdog.timeoutMs, ctx.logger));
}

function settingsFor(cls: PluginClass, stored: PluginSettings | undefined): PluginSettings {
  return stored ?? validatePluginSettings(cls, undefined, { plugin: cls.id }, noWarnings);
}

/**
 * `at`: where the plugin's settings are written in the file (`channels.1.plugins.acme`, `globalPlugins.audit`), so an
 * unset or malformed `${NAME}`, or the plugin refusing its configuration, names its plugin and channel as the file's other errors do.
 */
function instantiate(ctx: BuildContext, cls: PluginClass, channel: string | null, settings: PluginSettings, at: string): PluginInstance {
  const where = { plugin: cls.id, channel };
  const place = { path: at, channel };
  const resolved = resolveEnvReferences(settings.configuration, ctx.env, where, place);
  const configuration = Object.freeze(readBooleanFields(cls, settings.configuration, resolved, where, place));
  let instance: BasePlugin;
  try {
    instance = new cls({ channel, active: settings.active, configuration, logger: ctx.logger.child(where) });
  } catch (err) {
    throw constructorError(cls, place, err, configurationSecrets(cls, configuration), ctx.logger);
  }
  return { id: cls.id, cls, instance, active: settings.active };
}

/** A channel's runtime and its scope; a failed build closes the instances it made before it throws. */
/** `at`: the channel's place in the file (`channels.1`). */
function buildChannel(ctx: BuildContext, root: AwilixContainer, globals: PluginInstance[], channel: ChannelConfig, at: string): [ChannelRuntime, AwilixContainer] {
  const scope = root.createScope();
  try {
    return [buildChannelIn(ctx, scope, globals, channel, at), scope];
  } catch (err) {
    void disposeContainer(scope, ctx.logger);
    throw err;
  }
}

function buildChannelIn(ctx: BuildContext, scope: AwilixContainer, globals: PluginInstance[], channel: ChannelConfig, at: string): ChannelRuntime {
  const perChannel = ctx.registry.filter((cls) => cls.configurationPerChannel);
  scope.register({ channel: asValue(channel) });
  for (const cls of perChannel) {
    const settings = settingsFor(cls, channel.plugins[cls.id]);
    scope.register(`plugin:${cls.id}`, pluginResolver(ctx, () => instantiate(ctx, cls, channel.slug, settings, `${at}.plugins.${cls.id}`)).scoped());
  }
  const own = perChannel.map((cls) => scope.resolve<PluginInstance>(`plugin:${cls.id}`));
  // A channel's plugin list is its own plugins, then the global ones (Saleor's order).
  const ordered = [...own, ...globals];
  const pipeline = new HookPipeline(channel.slug, ordered.filter((p) => p.active), ctx.watchdog, ctx.logger);
  const gateways = new Map<string, GatewayEntry>();
  const byCurrency = new Map<string, GatewayEntry[]>();
  for (const plugin of ordered) {
    const entry = gatewayEntry(plugin, channel.slug, ctx.logger);
    if (!entry) continue;
    gateways.set(entry.id, entry);
    if (!entry.active) continue;
    if (!entry.config.supportedCurrencies.some((c) => channel.currencies.includes(c))) {
      ctx.logger.warn(
        { channel: channel.slug, gateway: entry.id, currencies: entry.config.supportedCurrencies, channelCurrencies: channel.currencies },
        `Active gateway "${entry.id}" in channel "${channel.slug}" takes none of its currencies (${channel.currencies.join(', ')}): it is listed and routed to for no payment`,
      );
    }
    for (const currency of entry.config.supportedCurrencies) {
      if (!channel.currencies.includes(currency)) continue;
      const list = byCurrency.get(currency) ?? [];
      if (list.includes(entry)) continue; // a currency declared twice
      list.push(entry);
      byCurrency.set(currency, list);
    }
  }
  for (const [currency, gatewayId] of Object.entries(channel.defaultGateways)) {
    if (!gateways.has(gatewayId)) {
      throw new PayhostError(ERROR_CODES.invalidConfiguration, `Default gateway "${gatewayId}" for ${currency} in channel "${channel.slug}" is not a payment gateway`, {
        channel: channel.slug,
        currency,
        plugin: gatewayId,
      });
    }
  }
  return new ChannelRuntime(channel, pipeline, gateways, byCurrency, routes(ctx.logger, channel, gateways, byCurrency));
}

/**
 * Where each currency's unnamed payments go. A default gateway is a
 * preference, not a requirement: one that is inactive (an admin may turn it
 * off at any time) or does not take the currency is passed over for the
 * first active gateway that does, in declared order (a plugin reordering the
 * listing does not change it), with a warning, rather than failing every
 * payment in that currency.
 */
function routes(
  logger: Logger,
  channel: ChannelConfig,
  gateways: ReadonlyMap<string, GatewayEntry>,
  byCurrency: ReadonlyMap<string, readonly GatewayEntry[]>,
): Map<string, GatewayEntry> {
  const out = new Map<string, GatewayEntry>();
  for (const currency of channel.currencies) {
    const candidates = byCurrency.get(currency) ?? [];
    const preferred = channel.defaultGateways[currency];
    const chosen = candidates.find((g) => g.id === preferred) ?? candidates[0];
    if (chosen) out.set(currency, chosen);
    if (preferred === undefined || chosen?.id === preferred) continue;
    const why = gateways.get(preferred)?.active ? `does not take ${currency}` : 'is not active';
    const instead = chosen ? `payments in ${currency} naming no gateway go to "${chosen.id}"` : `no active gateway takes ${currency}`;
    logger.warn(
      { channel: channel.slug, currency, gateway: preferred, routedTo: chosen?.id ?? null },
      `Default gateway "${preferred}" for ${currency} in channel "${channel.slug}" ${why}; ${instead}`,
    );
  }
  return out;
}

function buildGlobals(ctx: BuildContext, root: AwilixContainer, config: HostConfig): PluginInstance[] {
  const globalClasses = ctx.registry.filter((cls) => !cls.configurationPerChannel);
  for (const cls of globalClasses) {
    const settings = settingsFor(cls, config.globalPlugins[cls.id]);
    root.register(`plugin:${cls.id}`, pluginResolver(ctx, () => instantiate(ctx, cls, null, settings, `globalPlugins.${cls.id}`)).singleton());
  }
  return globalClasses.map((cls) => root.resolve<PluginInstance>(`plugin:${cls.id}`));
}

/**
 * The configuration a runtime keeps, deeply frozen: `manager.config` and the
 * container's `config` hand it out, and a caller or plugin changing it in place
 * would change what the manager reports without a rebuild (changes go through
 * updatePluginConfiguration).
 */
function frozenConfig(config: HostConfig): HostConfig {
  return frozenCopy(config) as HostConfig;
}

/**
 * Builds a whole runtime. Throws before anything is swapped in, so a bad
 * config changes nothing (the instances it made are closed).
 */
export function buildRuntime(ctx: BuildContext, given: HostConfig, version: number): Runtime {
  const config = frozenConfig(given);
  const root = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
  root.register({ config: asValue(config), logger: asValue(ctx.logger), registry: asValue(ctx.registry) });
  const scopes = new Map<string, AwilixContainer>();
  // Version 1 is the manager's first build: said once per manager, not on every change.
  if (version === 1) warnAboutForeignPlugins(ctx.registry, ctx.logger);
  try {
    const globals = buildGlobals(ctx, root, config);
    const channels = new Map<string, ChannelRuntime>();
    for (const [index, channel] of config.channels.entries()) {
      const [runtime, scope] = buildChannel(ctx, root, globals, channel, `channels.${index}`);
      channels.set(channel.slug, runtime);
      scopes.set(channel.slug, scope);
    }
    const globalPipeline = new HookPipeline(null, globals.filter((p) => p.active), ctx.watchdog, ctx.logger);
    return { version, config, root, globals, globalPipeline, channels, scopes, listings: GatewayListings.forChannels(config.channels, ctx.registry.length) };
  } catch (err) {
    for (const container of [...scopes.values(), root]) void disposeContainer(container, ctx.logger);
    throw err;
  }
}

/** All the instances of a runtime that was never swapped in (nothing runs on them): closed now. */
export async function disposeRuntime(runtime: Runtime, logger: Logger): Promise<void> {
  await Promise.all([...runtime.scopes.values(), runtime.root].map((container) => disposeContainer(container, logger)));
}

/** One channel rebuilt over a runtime, not part of any version yet: withChannel swaps it in. */
export interface ChannelBuild {
  config: HostConfig;
  slug: string;
  channel: ChannelRuntime;
  /** Holds the channel's new per-channel instances (a scope of the runtime's root). */
  scope: AwilixContainer;
}

/**
 * Builds one channel of the next version (its plugin changed), over `previous`'s
 * global plugins, without changing `previous`: disposing the scope undoes it.
 */
export function buildChannelOver(ctx: BuildContext, previous: Runtime, given: HostConfig, slug: string): ChannelBuild {
  const config = frozenConfig(given);
  const index = config.channels.findIndex((c) => c.slug === slug);
  const channel = config.channels[index];
  if (!channel) throw new PayhostError(ERROR_CODES.unknownChannel, `Unknown channel "${slug}"`, { channel: slug });
  const [runtime, scope] = buildChannel(ctx, previous.root, previous.globals, channel, `channels.${index}`);
  return { config, slug, channel: runtime, scope };
}

/** The next version: `previous` with the rebuilt channel; the other channels are shared with it. */
export function withChannel(previous: Runtime, build: ChannelBuild): Runtime {
  previous.root.register({ config: asValue(build.config) });
  const channels = new Map(previous.channels);
  channels.set(build.slug, build.channel);
  const scopes = new Map(previous.scopes);
  scopes.set(build.slug, build.scope);
  return { ...previous, version: previous.version + 1, config: build.config, channels, scopes, listings: previous.listings.withoutChannel(build.slug) };
}
