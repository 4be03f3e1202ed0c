import type { PluginClass } from '../plugin/base-plugin.js';
import { isSecretField, type ConfigValue, type ConfigValues } from '../plugin/config-structure.js';
import { hasEnvReference } from './env.js';
import { refuseFileOnlyChange } from './file-only.js';
import { refuseSecretsRedirect } from './secret-endpoints.js';

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
 * caller sent is theirs, and warned about as read-only. An update that changes
 * a `receivesSecrets` field (where the secrets are sent) while keeping a stored
 * secret is refused: invalid_configuration, `details.reason` secrets_not_reentered
 * (`where` goes into its details); so is one that changes a `fileOnly` field (file_only_field).
 */
export function mergeConfiguration(
  plugin: PluginClass,
  current: Readonly<ConfigValues>,
  update: Readonly<Record<string, unknown>>,
  where: Record<string, unknown> = { plugin: plugin.id },
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(current)) if (plugin.configStructure[name]?.type !== 'Output') merged[name] = value;
  for (const [name, value] of Object.entries(update)) {
    const field = plugin.configStructure[name];
    if (field && isUnchangedMask(field.type, current[name] ?? null, value)) continue;
    merged[name] = value;
  }
  const keptSecrets = Object.entries(plugin.configStructure)
    .filter(([name, field]) => isSecretField(field) && keepsStoredSecret(field.type, current[name] ?? null, update[name]))
    .map(([name]) => name);
  refuseSecretsRedirect(plugin, current, merged, keptSecrets, where);
  refuseFileOnlyChange(plugin, current, merged, where);
  return merged;
}

function isUnchangedMask(type: string, stored: ConfigValue, sent: unknown): boolean {
  if (type === 'Password') return sent === '';
  if (type === 'Secret' || type === 'SecretMultiline') return stored !== null && stored !== '' && sent === maskValue(type, stored);
  return false;
}

/**
 * Whether the update keeps a stored secret rather than sending it: left out, its mask (or "" for a
 * Password) sent back, or the stored `${NAME}` reference sent back (a read shows it: knowing it proves
 * nothing). A secret stored empty has nothing to keep.
 */
function keepsStoredSecret(type: string, stored: ConfigValue, sent: unknown): boolean {
  if (stored === null || stored === '') return false;
  if (sent === undefined || isUnchangedMask(type, stored, sent)) return true;
  return typeof stored === 'string' && sent === stored && hasEnvReference(stored);
}
