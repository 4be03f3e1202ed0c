import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';

/**
 * `details.reason` of the invalid_configuration an update gets when its `configuration` names fields the
 * plugin does not declare (a misspelt `suported_currencies`): refused, nothing saved.
 */
export const UNKNOWN_FIELDS_REASON = 'unknown_fields';

/** Levenshtein distance, stopping early: only whether two names are within `limit` edits matters. */
function withinEdits(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...row) > limit) return false;
    previous = row;
  }
  return previous[b.length]! <= limit;
}

/** The declared field an unknown name most likely meant (case aside, or within two edits), if one is close. */
function closestField(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => withinEdits(lower, k.toLowerCase(), 2));
}

/**
 * Refuses an update (admin API, `updatePluginConfiguration`) whose `configuration` has fields the plugin's
 * configStructure does not declare: saved, the update would change nothing (validation drops them) yet make
 * a new revision, and the admin would believe the misspelt field set. The message lists them, with a close
 * declared name when there is one, and the plugin's fields. Settings written as they are (the configuration
 * file, `setPluginSettings`, a change another instance saved) keep dropping unknown fields with a warning,
 * so a file written for a newer plugin version still loads.
 */
export function refuseUnknownFields(plugin: PluginClass, update: Readonly<Record<string, unknown>>, where: Record<string, unknown>): void {
  const known = Object.keys(plugin.configStructure);
  const unknown = Object.keys(update).filter((name) => !Object.hasOwn(plugin.configStructure, name));
  if (unknown.length === 0) return;
  const described = unknown
    .map((name) => {
      const close = closestField(name, known);
      return close === undefined ? `"${name}"` : `"${name}" (did you mean "${close}"?)`;
    })
    .join(', ');
  const plural = unknown.length === 1 ? 'field' : 'fields';
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `Unknown configuration ${plural} ${described} of plugin "${plugin.id}": its fields are ${known.map((k) => `"${k}"`).join(', ') || 'none'} (nothing saved)`,
    { ...where, reason: UNKNOWN_FIELDS_REASON, fields: unknown },
  );
}
