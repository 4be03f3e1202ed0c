import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { validatePluginClass } from '../loader/plugin-validation.js';
import type { PluginClass } from '../plugin/base-plugin.js';

/**
 * The plugin classes by id, each checked as `PluginManager.create()` checks a
 * loaded package's (a 'boolean' field type, a "true" default), for classes
 * given directly too. Package names, which only create() loads, and two
 * classes sharing an id are refused.
 */
export function pluginRegistry(classes: readonly PluginClass[]): Map<string, PluginClass> {
  const packageNames = classes.filter((entry): entry is PluginClass & string => typeof entry === 'string');
  if (packageNames.length > 0) {
    const names = packageNames.map((name) => `"${name}"`).join(', ');
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Invalid plugins: the plugins list holds package names (${names}), which only PluginManager.create loads; new PluginManager() takes plugin classes`, {
      plugins: [...packageNames],
    });
  }
  const registry = new Map<string, PluginClass>();
  for (const cls of classes) {
    validatePluginClass(cls, `class ${(cls as { name?: string } | null)?.name ?? String(cls)}`);
    if (registry.has(cls.id)) throw new PayhostError(ERROR_CODES.pluginLoad, `Two plugins share the id "${cls.id}"`, { plugin: cls.id, reason: 'duplicate_id' });
    registry.set(cls.id, cls);
  }
  return registry;
}
