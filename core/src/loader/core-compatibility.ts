import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import type { Logger } from 'pino';
import { ERROR_CODES, PayhostError } from '../errors/index.js';

interface Manifest {
  name?: unknown;
  version?: unknown;
  peerDependencies?: Record<string, unknown>;
}

const CORE = '@payhost/core';

let coreVersion: string | undefined;

/** This copy of @payhost/core's version, from its package.json (src/loader and dist/loader are both two levels down). */
function hostCoreVersion(): string {
  if (coreVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Manifest;
    coreVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return coreVersion;
}

/** The package name of a bare specifier: `acme`, `@acme/pay`, from `acme/sub` or `@acme/pay/sub`. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The package.json Node's lookup from `baseDir` finds first for package `name` (node_modules/<name>/package.json), or null. */
export function installedManifestPath(name: string, baseDir: string): string | null {
  // createRequire takes an absolute path only: a relative baseDir is taken from the current directory, as an import is.
  const lookup = createRequire(join(resolve(baseDir), 'package.json')).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    const path = join(dir, name, 'package.json');
    if (existsSync(path)) return path;
  }
  return null;
}

function readManifest(path: string): Manifest | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Manifest) : null;
  } catch {
    return null; // An unreadable package.json is Node's to report when it imports the package.
  }
}

/**
 * A plugin package built for another @payhost/core loads without a word from a package manager that
 * ignores peer dependencies (npm --legacy-peer-deps or --force, pnpm, yarn): its peer range is checked
 * against this core's version before it is imported. A package that declares no range cannot be
 * checked: it loads, with a warning.
 */
export function checkCoreCompatibility(spec: string, baseDir: string, logger: () => Logger): void {
  const hostVersion = hostCoreVersion();
  const name = packageName(spec);
  const path = installedManifestPath(name, baseDir);
  const manifest = path === null ? null : readManifest(path);
  if (manifest === null) return;
  const range = manifest.peerDependencies?.[CORE];
  const version = typeof manifest.version === 'string' ? ` ${manifest.version}` : '';
  if (typeof range !== 'string' || validRange(range) === null) {
    const declared = typeof range === 'string' ? `declares @payhost/core ${JSON.stringify(range)} in its peerDependencies, which is not a version range` : 'does not declare @payhost/core in its peerDependencies';
    logger().warn(
      { plugin: spec, package: name, hostCoreVersion: hostVersion },
      `Plugin package "${name}"${version} ${declared}: payhost cannot check that it was built for this host's @payhost/core ${hostVersion}. ` +
        `It loads; ask its authors to declare "peerDependencies": { "@payhost/core": "^${hostVersion}" } (see the plugin guide)`,
    );
    return;
  }
  if (satisfies(hostVersion, range, { includePrerelease: true })) return;
  throw new PayhostError(
    ERROR_CODES.pluginLoad,
    `Plugin package "${name}"${version} is built for @payhost/core ${range} (its peerDependencies), but this host has @payhost/core ${hostVersion}: ` +
      `install a version of the plugin whose peerDependencies accept @payhost/core ${hostVersion}, or upgrade the host to a @payhost/core in ${range}. ` +
      'A package manager that does not enforce peer dependencies (npm --legacy-peer-deps or --force, pnpm, yarn) installs it without an error',
    { source: spec, reason: 'incompatible_core', requiredRange: range, hostVersion },
  );
}
