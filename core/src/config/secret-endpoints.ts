import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { ConfigStructure, ConfigValue, ConfigValues } from '../plugin/config-structure.js';

/** `details.reason` of the invalid_configuration an update refused by the rule below gets. */
export const SECRET_ENDPOINT_REASONS = {
  /** A field that receives the secrets changed, and a stored secret would have followed it without being sent again. */
  secretsNotReentered: 'secrets_not_reentered',
} as const;

/** null, '' and blanks all mean "the processor's own address"; plugins trim what they read. */
function normalized(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value.trim() : value;
}

/** The fields declared `receivesSecrets` (the loader refuses a value that is not a boolean, so truthy is exact). */
export function secretReceivingFields(structure: ConfigStructure): string[] {
  return Object.entries(structure)
    .filter(([, field]) => Boolean(field.receivesSecrets))
    .map(([name]) => name);
}

/**
 * Refuses an update that changes where a plugin sends its secrets (a field declared `receivesSecrets`)
 * while keeping a stored secret: whoever holds the admin key could otherwise point `api_base_url` at
 * their own server and receive the processor key with the next request. Every stored secret must be
 * sent again, in clear, in the same update. `merged` is the update applied to `current`; `keptSecrets`
 * the secret fields whose stored value it keeps (mergeConfiguration says which).
 */
export function refuseSecretsRedirect(
  plugin: PluginClass,
  current: Readonly<ConfigValues>,
  merged: Readonly<Record<string, unknown>>,
  keptSecrets: readonly string[],
  where: Record<string, unknown>,
): void {
  if (keptSecrets.length === 0) return;
  const moved = secretReceivingFields(plugin.configStructure).filter((name) => normalized(merged[name]) !== normalized(current[name]));
  if (moved.length === 0) return;
  const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `Changing ${quoted(moved)} of plugin "${plugin.id}" changes where its secrets are sent: send ${quoted(keptSecrets)} again, in clear, in the same update (a masked or left-out secret does not follow a new address)`,
    { ...where, reason: SECRET_ENDPOINT_REASONS.secretsNotReentered, fields: moved, secretFields: [...keptSecrets] },
  );
}

/** One change of a `receivesSecrets` field, for the log: the new host only (no path, no credentials); null: the processor's default. */
export interface SecretEndpointChange {
  field: string;
  host: string | null;
}

/** The host of an endpoint value: a URL's host (with port), or a bare host name; '(not a URL)' otherwise. */
export function endpointHost(value: ConfigValue | undefined): string | null {
  const text = normalized(value);
  if (text === '' || typeof text !== 'string') return null;
  for (const candidate of [text, `https://${text}`]) {
    try {
      const host = new URL(candidate).host;
      if (host !== '') return host;
    } catch {
      // Tried next as a bare host.
    }
  }
  return '(not a URL)';
}

/** The `receivesSecrets` fields whose value differs between two configurations, with their new host. */
export function secretEndpointChanges(
  structure: ConfigStructure,
  before: Readonly<ConfigValues> | undefined,
  after: Readonly<ConfigValues> | undefined,
): SecretEndpointChange[] {
  return secretReceivingFields(structure)
    .filter((name) => normalized(before?.[name]) !== normalized(after?.[name]))
    .map((name) => ({ field: name, host: endpointHost(after?.[name]) }));
}
