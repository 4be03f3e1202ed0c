import type { ConfigStructure, Logger, PluginSettings } from '@payhost/core';

/** `reason` of the warning about a saved change holding fields its plugin does not declare (any more). */
export const UNDECLARED_FIELDS_REASON = 'undeclared_fields';

/**
 * A saved change (the admin API's, in the database) without the fields its plugin does not declare, saying
 * so once per save: one warning naming the plugin, the channel, the revision and the fields, never a value
 * (they may be secrets an older version of the plugin declared). Such a field was saved by an older plugin
 * version (renamed or retired since): no plugin reads it, so it is dropped and start-up goes on; refusing
 * would stop every instance on an upgrade that retires a field. Answers the settings unchanged
 * (the same object) when every field is declared.
 */
export function withoutUndeclaredFields(
  settings: PluginSettings,
  structure: ConfigStructure,
  where: { plugin: string; channel: string | null; revision: number; savedAt: string },
  logger: Logger,
): PluginSettings {
  const fields = Object.keys(settings.configuration).filter((name) => !Object.hasOwn(structure, name));
  if (fields.length === 0) return settings;
  const scope = where.channel === null ? 'global' : `channel "${where.channel}"`;
  logger.warn(
    { ...where, fields, reason: UNDECLARED_FIELDS_REASON },
    `saved plugin configuration change of "${where.plugin}" (${scope}, revision ${where.revision}) holds ${fields.length === 1 ? 'a field' : 'fields'} ` +
      `the plugin does not declare: ${fields.map((f) => `"${f}"`).join(', ')}; ignored (saved by an older version of the plugin?). ` +
      'Save the plugin\'s settings again (PUT) to store them without, or withdraw the change (DELETE)',
  );
  const configuration = Object.fromEntries(Object.entries(settings.configuration).filter(([name]) => !fields.includes(name)));
  return { active: settings.active, configuration };
}
