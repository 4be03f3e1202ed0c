import type { PluginClass } from '../plugin/base-plugin.js';
import type { ConfigValue, ConfigValues } from '../plugin/config-structure.js';

const MASK_PREFIX = '****';

/** A bare `${NAME}` (or `${NAME:-}`) reference names a variable and holds no secret: shown as is. */
const BARE_ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}$/;

/** Masks one value for display: Password -> "", Secret -> "****" + last 4 characters. */
export function maskValue(type: string, value: ConfigValue): ConfigValue {
  if (value === null || value === '') return value;
  if (typeof value === 'string' && BARE_ENV_REFERENCE.test(value)) return value;
  if (type === 'Password') return '';
  if (type === 'Secret' || type === 'SecretMultiline') {
    const text = String(value);
    return MASK_PREFIX + (text.length > 8 ? text.slice(-4) : '');
  }
  return value;
}

/** Every read of configuration for display goes through here. */
export function maskConfiguration(plugin: PluginClass, values: Readonly<ConfigValues>): ConfigValues {
  const out: ConfigValues = {};
  for (const [name, value] of Object.entries(values)) {
    const field = plugin.configStructure[name];
    out[name] = field ? maskValue(field.type, value) : value;
  }
  return out;
}

/**
 * Applies an update to stored values. A secret sent back exactly as it was
 * displayed (its mask), or an empty Password, keeps the stored secret instead
 * of overwriting it (Saleor's masked round-trip bug). Stored Output values
 * are left out (validation puts the plugin's back): only an Output field the
 * caller sent is theirs, and warned about as read-only.
 */
export function mergeConfiguration(
  plugin: PluginClass,
  current: Readonly<ConfigValues>,
  update: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(current)) if (plugin.configStructure[name]?.type !== 'Output') merged[name] = value;
  for (const [name, value] of Object.entries(update)) {
    const field = plugin.configStructure[name];
    if (field && isUnchangedMask(field.type, current[name] ?? null, value)) continue;
    merged[name] = value;
  }
  return merged;
}

function isUnchangedMask(type: string, stored: ConfigValue, sent: unknown): boolean {
  if (type === 'Password') return sent === '';
  if (type === 'Secret' || type === 'SecretMultiline') return stored !== null && stored !== '' && sent === maskValue(type, stored);
  return false;
}
