import type { Logger } from 'pino';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { validatePluginClass } from '../loader/plugin-validation.js';
import { BasePlugin, type PluginClass } from '../plugin/base-plugin.js';

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

/**
 * Validation checks a plugin class's shape, so one built against another copy
 * of @payhost/core (a plugin installed by symlink, `npm install ../plugin`,
 * resolves the core of its own node_modules) loads and runs. But its
 * BasePlugin and PayhostError are not the host's: a host's `instanceof`
 * checks fail on them. Said once per manager, with the fix.
 */
export function warnAboutForeignPlugins(classes: readonly PluginClass[], logger: Logger): void {
  for (const cls of classes) {
    if (cls.prototype instanceof BasePlugin) continue;
    logger.warn(
      { plugin: cls.id, class: cls.name },
      `Plugin "${cls.id}" (class ${cls.name || '(anonymous)'}) does not extend this host's BasePlugin: it was built against another copy of @payhost/core ` +
        '(e.g. a plugin installed by symlink, which resolves the core in its own node_modules). It runs, but its BasePlugin and PayhostError are not ' +
        "the host's (instanceof fails on them). Install the plugin from its packed tarball (npm pack, then npm install <tarball>) or run npm dedupe, " +
        'so that one copy of @payhost/core is installed',
    );
  }
}
