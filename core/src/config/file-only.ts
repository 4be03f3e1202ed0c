import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { ConfigStructure, ConfigValues } from '../plugin/config-structure.js';
import type { PluginSettings } from './types.js';

/** `details.reason` of the invalid_configuration an admin update changing a `fileOnly` field gets. */
export const FILE_ONLY_REASON = 'file_only_field';

/** The fields declared `fileOnly` (the loader refuses a flag that is not a boolean, so truthy is exact). */
export function fileOnlyFields(structure: ConfigStructure): string[] {
  return Object.entries(structure)
    .filter(([, field]) => Boolean(field.fileOnly))
    .map(([name]) => name);
}

/** null, '' and blanks are one value (no setting): sending the empty value back is no change. */
function normalized(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * Refuses an update (`merged`: it applied to `current`) that changes a field declared `fileOnly`: such a
 * field (a directory the plugin creates, a path it writes) is the operator's, set in the configuration
 * file, never through the admin key. Sending the current value back (an admin form round trip) is no change.
 */
export function refuseFileOnlyChange(plugin: PluginClass, current: Readonly<ConfigValues>, merged: Readonly<Record<string, unknown>>, where: Record<string, unknown>): void {
  const changed = fileOnlyFields(plugin.configStructure).filter((name) => normalized(merged[name]) !== normalized(current[name]));
  if (changed.length === 0) return;
  const quoted = changed.map((n) => `"${n}"`).join(', ');
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `${quoted} of plugin "${plugin.id}" can only be set in the configuration file, not through the admin API`,
    { ...where, reason: FILE_ONLY_REASON, fields: changed },
  );
}

/**
 * Settings saved through the admin API with their `fileOnly` fields as the configuration file has them
 * (absent from the file: left out, so the plugin's default applies). A save made before a field was
 * declared so, or a row written into the database directly, cannot set one either.
 */
export function withFileOnlyFromFile(structure: ConfigStructure, saved: PluginSettings, file: PluginSettings | undefined): PluginSettings {
  const names = fileOnlyFields(structure);
  if (names.length === 0) return saved;
  const configuration: ConfigValues = { ...saved.configuration };
  for (const name of names) {
    const value = file?.configuration[name];
    if (value === undefined) delete configuration[name];
    else configuration[name] = value;
  }
  return { ...saved, configuration };
}
