import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { isSecretField, type ConfigValue, type ConfigValues } from '../plugin/config-structure.js';
import { hasEnvReference } from './env.js';
import { refuseFileOnlyChange } from './file-only.js';
import { refuseSecretsRedirect } from './secret-endpoints.js';
import { refuseUnknownFields } from './unknown-fields.js';

/** What every displayed Secret/SecretMultiline value starts with (maskValue). */
export const MASK_PREFIX = '****';

/**
 * `details.reason` of the invalid_configuration an update gets when a secret field holds a masked value
 * that is not the mask of the stored secret (a form read before the secret changed, sent back whole).
 */
export const STALE_MASK_REASON = 'stale_mask';

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
 * (`where` goes into its details); so is one that names a field the plugin does not declare (unknown_fields:
 * see refuseUnknownFields), one that changes a `fileOnly` field (file_only_field), and one whose secret field
 * holds a masked value other than the stored secret's mask (stale_mask: see refuseStaleMasks). A refused
 * update changes nothing: the caller saves only what this returns.
 */
export function mergeConfiguration(
  plugin: PluginClass,
  current: Readonly<ConfigValues>,
  update: Readonly<Record<string, unknown>>,
  where: Record<string, unknown> = { plugin: plugin.id },
): Record<string, unknown> {
  refuseUnknownFields(plugin, update, where);
  refuseStaleMasks(plugin, current, update, where);
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

/**
 * Refuses an update whose Secret/SecretMultiline field holds what looks like a mask (starts with
 * MASK_PREFIX, leading blanks aside: plugins trim what they read) but is neither the mask of the stored
 * secret nor the stored value itself. Such a value comes from a form read before the secret changed (another
 * admin saved a new one) and sent back whole: saved, it would replace the secret with the mask text, and
 * a read-back would show `****`, hiding it. Limits, on purpose:
 * - A secret of 8 characters or fewer is masked `****` alone: a stale `****` sent while the stored secret
 *   is also that short has the current mask and keeps the stored secret (the two cannot be told apart).
 * - A secret sent in clear that itself starts with `****` is refused unless it is the stored value: no
 *   processor issues such keys (sk_, whsec_, rzp_ keys, PEM blocks); one that did could be set in the
 *   configuration file, which this merge does not read.
 */
function refuseStaleMasks(plugin: PluginClass, current: Readonly<ConfigValues>, update: Readonly<Record<string, unknown>>, where: Record<string, unknown>): void {
  const stale: { name: string; mask: ConfigValue }[] = [];
  for (const [name, sent] of Object.entries(update)) {
    const field = plugin.configStructure[name];
    if (!field || (field.type !== 'Secret' && field.type !== 'SecretMultiline')) continue;
    if (typeof sent !== 'string' || !sent.trimStart().startsWith(MASK_PREFIX)) continue;
    const stored = current[name] ?? null;
    if (sent === stored || isUnchangedMask(field.type, stored, sent)) continue;
    stale.push({ name, mask: stored === null || stored === '' ? null : maskValue(field.type, stored) });
  }
  if (stale.length === 0) return;
  const described = stale
    .map(({ name, mask }) => `"${name}" holds a masked value that is not the stored secret's mask (${mask === null ? 'none is stored' : String(mask)}; the stored one changed since the form was read)`)
    .join('; ');
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `${described}: send the secret in clear to replace it, or reload the form (GET) and send it back unchanged; use If-Match to be told of changes made since you read (plugin "${plugin.id}", nothing saved)`,
    { ...where, reason: STALE_MASK_REASON, fields: stale.map(({ name }) => name) },
  );
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
