import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { minorUnits } from '../money/currency.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { placeError } from './place.js';
import { validatePluginSettings } from './plugin-settings.js';
import type { ChannelConfig, ConfigWarn, HostConfig, HostConfigInput, PluginSettings, PluginSettingsInput } from './types.js';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/i;

// Strict objects: a misspelt key ("plugin", "activ", "globalPlugin") is an
// error naming it, not a section silently dropped (nothing starts half-configured).
const settingsInput = z.strictObject({ active: z.unknown().optional(), configuration: z.unknown().optional() });

const hostConfigInput = z.strictObject({
  channels: z.array(
    z.strictObject({
      slug: z.string().regex(SLUG, 'a channel slug is letters, digits, "-" and "_"'),
      name: z.string().optional(),
      currencies: z.array(z.string()).min(1, 'a channel needs at least one currency'),
      defaultGateways: z.record(z.string(), z.string()).optional(),
      plugins: z.record(z.string(), settingsInput).optional(),
    }),
  ),
  globalPlugins: z.record(z.string(), settingsInput).optional(),
  /** An editor's JSON-schema hint in a configuration file; ignored. */
  $schema: z.string().optional(),
});

function configError(message: string, details: Record<string, unknown> = {}): PayhostError {
  return new PayhostError(ERROR_CODES.invalidConfiguration, message, details);
}

/** The first schema issue as an error; an unknown key is named, with where it is. */
function schemaError(issue: z.core.$ZodIssue | undefined): PayhostError {
  const path = issue?.path.join('.') ?? '';
  const where = path === '' ? 'the top level' : `"${path}"`;
  if (issue?.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return configError(`Invalid configuration at ${where}: unknown key ${keys}`, { path, key: issue.keys[0] });
  }
  return configError(`Invalid configuration at ${where}: ${issue?.message ?? 'invalid'}`, { path });
}

/** Reads a JSON configuration file (a host config object). */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw configError(`Cannot read configuration file ${path}: ${(err as Error).message}`, { path });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw configError(`Configuration file ${path} is not valid JSON: ${(err as Error).message}`, { path });
  }
}

/** `placeOf`: where an entry of the list is written ("channels.0.currencies.1", "channels.0.defaultGateways.XAU"). */
function normalizeCurrencies(list: string[], where: { channel: string }, placeOf: (index: number) => string): string[] {
  const out: string[] = [];
  for (const [index, code] of list.entries()) {
    const upper = code.trim().toUpperCase();
    try {
      minorUnits(upper);
    } catch (err) {
      // Core's own words: an ISO code without minor units (XAU) is said to be one, not "not ISO 4217".
      throw placeError(placeOf(index), where.channel, (err as Error).message, { ...where, currency: code });
    }
    if (!out.includes(upper)) out.push(upper);
  }
  return out;
}

/** `path`: where the id is written ("channels.1.plugins.acme.gateway", "channels.0.defaultGateways.USD"). */
function pluginOrError(registry: ReadonlyMap<string, PluginClass>, id: string, where: { channel: string | null }, path: string): PluginClass {
  const plugin = registry.get(id);
  if (plugin) return plugin;
  const ids = [...registry.keys()];
  throw placeError(path, where.channel, `plugin "${id}" is configured but not registered (registered plugin ids: ${ids.length > 0 ? ids.join(', ') : 'none'})`, {
    ...where,
    plugin: id,
  });
}

/**
 * Validates a host configuration against the registered plugins. Pure: returns
 * a new HostConfig or throws `invalid_configuration`; nothing is half-applied.
 */
export function validateHostConfig(input: unknown, registry: ReadonlyMap<string, PluginClass>, warn: ConfigWarn): HostConfig {
  if (typeof input === 'string') {
    throw configError(
      `Invalid configuration at the top level: expected the configuration object, got the string ${JSON.stringify(input)}; a configuration file's path is read by PluginManager.create`,
      { path: '' },
    );
  }
  const parsed = hostConfigInput.safeParse(input);
  if (!parsed.success) throw schemaError(parsed.error.issues[0]);
  const data = parsed.data as HostConfigInput;
  const seen = new Set<string>();
  const channels: ChannelConfig[] = data.channels.map((channel, index) => {
    if (seen.has(channel.slug)) throw configError(`Channel "${channel.slug}" is declared twice`, { channel: channel.slug });
    seen.add(channel.slug);
    return validateChannel(channel, index, registry, warn);
  });
  const globalPlugins: Record<string, PluginSettings> = {};
  for (const [id, settings] of Object.entries(data.globalPlugins ?? {})) {
    const where = { plugin: id, channel: null };
    const plugin = pluginOrError(registry, id, where, `globalPlugins.${id}`);
    if (plugin.configurationPerChannel) {
      throw configError(`Plugin "${id}" is configured per channel; it cannot be configured globally`, where);
    }
    globalPlugins[id] = validatePluginSettings(plugin, settings as PluginSettingsInput, where, warn);
  }
  return { channels, globalPlugins };
}

function validateChannel(
  channel: HostConfigInput['channels'][number],
  index: number,
  registry: ReadonlyMap<string, PluginClass>,
  warn: ConfigWarn,
): ChannelConfig {
  const where = { channel: channel.slug };
  const at = `channels.${index}`;
  const currencies = normalizeCurrencies(channel.currencies, where, (i) => `${at}.currencies.${i}`);
  const plugins: Record<string, PluginSettings> = {};
  for (const [id, settings] of Object.entries(channel.plugins ?? {})) {
    const plugin = pluginOrError(registry, id, where, `${at}.plugins.${id}`);
    if (!plugin.configurationPerChannel) {
      throw configError(`Plugin "${id}" is global; it cannot be configured in channel "${channel.slug}"`, { ...where, plugin: id });
    }
    plugins[id] = validatePluginSettings(plugin, settings, { ...where, plugin: id }, warn);
  }
  const defaultGateways: Record<string, string> = {};
  const keyOf = new Map<string, string>();
  for (const [code, gateway] of Object.entries(channel.defaultGateways ?? {})) {
    const [currency] = normalizeCurrencies([code], where, () => `${at}.defaultGateways.${code}`) as [string];
    // "USD" and "usd" are one currency: which gateway was meant cannot be told, so neither is taken.
    const earlier = keyOf.get(currency);
    if (earlier !== undefined) {
      throw configError(`Default gateways "${earlier}" and "${code}" of channel "${channel.slug}" are both for ${currency}: give one`, {
        ...where,
        currency,
        keys: [earlier, code],
      });
    }
    keyOf.set(currency, code);
    if (!currencies.includes(currency)) {
      throw configError(`Default gateway given for ${currency}, which channel "${channel.slug}" does not sell in`, { ...where, currency });
    }
    pluginOrError(registry, gateway, where, `${at}.defaultGateways.${code}`);
    defaultGateways[currency] = gateway;
  }
  return { slug: channel.slug, name: channel.name ?? channel.slug, currencies, defaultGateways, plugins };
}
