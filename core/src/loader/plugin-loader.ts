import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, isAbsolute, join } from 'node:path';
import { resolve as resolveImport } from 'import-meta-resolve';
import type { Logger } from 'pino';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { defaultManagerLogger } from '../manager/default-logger.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import { checkCoreCompatibility, installedManifestPath, packageName } from './core-compatibility.js';
import { validatePluginClass } from './plugin-validation.js';

/** A plugin as a host lists it: a class, or the name of a package exporting one (or a list). */
export type PluginSpec = PluginClass | string;

export interface LoadOptions {
  /** Directory package names resolve from: the host app's, where its node_modules is. */
  baseDir: string;
  /** Where a package that declares no @payhost/core peer range is warned about (default: the manager's default logger, stderr). */
  logger?: Logger;
}

function loadError(source: string, message: string, reason: string, cause?: unknown): PayhostError {
  return new PayhostError(ERROR_CODES.pluginLoad, message, { source, reason }, { cause });
}

/** Whether a value looks like a plugin class (a class with a static string id): for hints only, never to pick one. */
function looksLikePluginClass(value: unknown): boolean {
  return typeof value === 'function' && typeof (value as { id?: unknown }).id === 'string';
}

/**
 * A CommonJS module compiled from `export default X` (TypeScript, Babel) has
 * `exports.default = X` and `exports.__esModule = true`; `import()` gives the
 * whole exports object as the default. That object's `default` is what the
 * author exported as default.
 */
function unwrapCommonJsDefault(candidate: unknown): unknown {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) return candidate;
  const exports = candidate as Record<string, unknown>;
  return exports['__esModule'] === true && exports['default'] !== undefined ? exports['default'] : candidate;
}

/** The plugin classes a module exports: its default export (a class or a list), else `plugins` or `plugin`. */
function exportedClasses(module: Record<string, unknown>, source: string): unknown[] {
  const candidate = unwrapCommonJsDefault(module['default'] ?? module['plugins'] ?? module['plugin']);
  if (candidate === undefined) {
    const names = Object.keys(module);
    const classes = names.filter((name) => looksLikePluginClass(module[name]));
    const found = names.length === 0 ? 'it exports nothing' : `it exports ${names.join(', ')}`;
    const hint = classes.length > 0 ? `; add \`export default ${classes[0]}\` (or \`export const plugins = [${classes.join(', ')}]\`)` : '';
    throw loadError(source, `Package "${source}" exports no plugin: export a plugin class (or a list) as default, or a list as \`plugins\` (${found}${hint})`, 'bad_export');
  }
  const list = Array.isArray(candidate) ? candidate : [candidate];
  if (list.length === 0) throw loadError(source, `Package "${source}" exports an empty plugin list`, 'bad_export');
  return list;
}

/** The message for a package whose entry file is not there: not built, or not shipped. */
function unbuiltMessage(name: string, entry: string): string {
  return `Plugin package "${name}" is installed but its entry point ${entry} does not exist: build the package, and check that "files" in its package.json ships it`;
}

/**
 * The missing file a package without "exports" names as its "main" (default index.js), as Node looks for
 * it (the file, with .js, or a directory's index.js); null when one is there or "exports" decides. Node's
 * own error for it names the host's package.json, not the file to build.
 */
function missingMainEntry(manifestPath: string): string | null {
  let manifest: { main?: unknown; exports?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { main?: unknown; exports?: unknown };
  } catch {
    return null;
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.exports !== undefined) return null;
  const main = join(dirname(manifestPath), typeof manifest.main === 'string' && manifest.main !== '' ? manifest.main : 'index.js');
  return [main, `${main}.js`, join(main, 'index.js')].some((candidate) => existsSync(candidate)) ? null : main;
}

/** A file path or URL rather than a package name: what Node resolves against the base directory without a node_modules lookup. */
function isPathSpecifier(spec: string): boolean {
  return /^(\.{1,2}(\/|\\|$)|\/|file:)/.test(spec) || isAbsolute(spec);
}

async function importPackage(name: string, baseDir: string, logger: () => Logger): Promise<Record<string, unknown>> {
  let url: string;
  try {
    url = resolveImport(name, pathToFileURL(join(baseDir, 'package.json')).href);
  } catch (err) {
    // A resolution can fail for an installed package too (no "exports" entry for import, a "main" that is
    // missing): that is not not_found, whose remedy (install it) would be wrong.
    const manifest = installedManifestPath(packageName(name), baseDir);
    if (manifest !== null) {
      const entry = isPathSpecifier(name) || name !== packageName(name) ? null : missingMainEntry(manifest);
      if (entry !== null) throw loadError(name, unbuiltMessage(name, entry), 'import_failed', err);
      throw loadError(name, `Plugin package "${name}" is installed but cannot be imported (resolved from ${baseDir}): ${(err as Error).message}`, 'import_failed', err);
    }
    throw loadError(
      name,
      `Plugin package "${name}" is not installed (resolved from ${baseDir}: install it there; the payhost command and server resolve plugins from the configuration file's directory, PluginManager.create from pluginBaseDir, default the current directory): ${(err as Error).message}`,
      'not_found',
      err,
    );
  }
  // A path (./plugin.js, ../x/index.js, /abs/path.js, file:...) is resolved without any check that it exists: say so, not_found.
  if (isPathSpecifier(name) && url.startsWith('file:') && !existsSync(fileURLToPath(url))) {
    throw loadError(name, `Plugin module "${name}" does not exist: it resolves (from ${baseDir}) to ${fileURLToPath(url)}. Check the path; a relative one is taken from that directory`, 'not_found');
  }
  // Before importing it: a plugin built for another core may fail to import, with a less useful message.
  if (!isPathSpecifier(name)) checkCoreCompatibility(name, baseDir, logger);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    // The package's own entry file is missing: say so (Node's message names core's loader as the importer).
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && url.startsWith('file:') && !existsSync(fileURLToPath(url))) {
      throw loadError(name, unbuiltMessage(name, fileURLToPath(url)), 'import_failed', err);
    }
    throw loadError(name, `Plugin package "${name}" failed to load: ${(err as Error).message}`, 'import_failed', err);
  }
}

/**
 * Turns the host's plugin list into validated classes, in order. Fails at
 * boot, with a `plugin_load_failed` error naming the package, for a missing
 * package, one built for another @payhost/core (its peer range), a bad
 * export, an invalid plugin or a duplicate id.
 */
export async function loadPlugins(specs: readonly PluginSpec[], options: LoadOptions): Promise<PluginClass[]> {
  const classes: PluginClass[] = [];
  const sources = new Map<string, string>();
  let fallback: Logger | undefined;
  const logger = (): Logger => options.logger ?? (fallback ??= defaultManagerLogger());
  for (const spec of specs) {
    const source = typeof spec === 'string' ? spec : `class ${spec?.name ?? String(spec)}`;
    const candidates = typeof spec === 'string' ? exportedClasses(await importPackage(spec, options.baseDir, logger), spec) : [spec];
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
