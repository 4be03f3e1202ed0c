import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { resolve as resolveImport } from 'import-meta-resolve';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { validatePluginClass } from './plugin-validation.js';

/** A plugin as a host lists it: a class, or the name of a package exporting one (or a list). */
export type PluginSpec = PluginClass | string;

export interface LoadOptions {
  /** Directory package names resolve from: the host app's, where its node_modules is. */
  baseDir: string;
}

function loadError(source: string, message: string, reason: string, cause?: unknown): PayhostError {
  return new PayhostError(ERROR_CODES.pluginLoad, message, { source, reason }, { cause });
}

/** The plugin classes a module exports: its default export (a class or a list), else `plugins` or `plugin`. */
function exportedClasses(module: Record<string, unknown>, source: string): unknown[] {
  const candidate = module['default'] ?? module['plugins'] ?? module['plugin'];
  if (candidate === undefined) {
    throw loadError(source, `Package "${source}" exports no plugin: export a plugin class (or a list) as default`, 'bad_export');
  }
  const list = Array.isArray(candidate) ? candidate : [candidate];
  if (list.length === 0) throw loadError(source, `Package "${source}" exports an empty plugin list`, 'bad_export');
  return list;
}

/**
 * Whether a package directory named `name` exists where Node would look for
 * it from `baseDir`. A resolution can fail for an installed package too (no
 * "exports" entry for import, a "main" that is missing): that is not
 * not_found, whose remedy (install it) would be wrong.
 */
function isInstalled(name: string, baseDir: string): boolean {
  const lookup = createRequire(join(baseDir, 'package.json')).resolve.paths(name) ?? [];
  return lookup.some((dir) => existsSync(join(dir, name, 'package.json')));
}

async function importPackage(name: string, baseDir: string): Promise<Record<string, unknown>> {
  let url: string;
  try {
    url = resolveImport(name, pathToFileURL(join(baseDir, 'package.json')).href);
  } catch (err) {
    if (isInstalled(name, baseDir)) {
      throw loadError(name, `Plugin package "${name}" is installed but cannot be imported (resolved from ${baseDir}): ${(err as Error).message}`, 'import_failed', err);
    }
    throw loadError(name, `Plugin package "${name}" is not installed (resolved from ${baseDir}): ${(err as Error).message}`, 'not_found', err);
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw loadError(name, `Plugin package "${name}" failed to load: ${(err as Error).message}`, 'import_failed', err);
  }
}

/**
 * Turns the host's plugin list into validated classes, in order. Fails at
 * boot, with a `plugin_load_failed` error naming the package, for a missing
 * package, a bad export, an invalid plugin or a duplicate id.
 */
export async function loadPlugins(specs: readonly PluginSpec[], options: LoadOptions): Promise<PluginClass[]> {
  const classes: PluginClass[] = [];
  const sources = new Map<string, string>();
  for (const spec of specs) {
    const source = typeof spec === 'string' ? spec : `class ${spec?.name ?? String(spec)}`;
    const candidates = typeof spec === 'string' ? exportedClasses(await importPackage(spec, options.baseDir), spec) : [spec];
    for (const candidate of candidates) {
      const cls = validatePluginClass(candidate, source);
      const previous = sources.get(cls.id);
      if (previous !== undefined) {
        throw loadError(source, `Plugin id "${cls.id}" from ${source} is already used by ${previous}`, 'duplicate_id');
      }
      sources.set(cls.id, source);
      classes.push(cls);
    }
  }
  return classes;
}
