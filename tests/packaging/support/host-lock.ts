/**
 * A package-lock.json for a host app outside the repository, so `npm ci
 * --offline` can install packed tarballs from the npm cache alone.
 *
 * A plain `npm install --offline ./x.tgz` resolves every version range afresh
 * from the cached registry documents, picks versions newer than the ones in
 * the cache and fails (ENOTCACHED). Instead, the host app's third-party
 * packages are pinned to exactly what the repository's package-lock.json
 * resolved (and `npm ci` put in the cache), at the same places in the tree:
 * a workspace's nested `core/node_modules/x` moves to
 * `node_modules/@payhost/core/node_modules/x`, the rest stays hoisted.
 */

type LockEntry = {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
};

export interface LockedTarball {
  name: string;
  version: string;
  /** Path of the tarball relative to the host app, e.g. "../pack/payhost-core-0.1.0.tgz". */
  file: string;
  integrity: string;
  /** The packed package.json. */
  manifest: {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    optionalDependencies?: Record<string, string>;
    engines?: Record<string, string>;
    license?: string;
    bin?: unknown;
  };
  /** Its folder in the repository (workspace location), or null for a package from elsewhere. */
  workspace: string | null;
}

export interface HostLockInput {
  /** The repository's package-lock.json. */
  repoLock: { packages: Record<string, LockEntry> };
  /** Workspace locations by package name (to map nested paths). */
  workspaces: ReadonlyMap<string, string>;
  tarballs: readonly LockedTarball[];
  /** Registry dependencies of the host app (e.g. @types/node as a dev dependency), resolved as the repository resolved them. */
  devDependencies: readonly string[];
  /** The registry base URL, ending in "/". */
  registry: string;
  appName: string;
}

export interface HostLock {
  packageJson: Record<string, unknown>;
  lock: Record<string, unknown>;
}

function parentOf(location: string): string | null {
  if (location === '') return null;
  const nested = location.lastIndexOf('/node_modules/');
  if (nested >= 0) return location.slice(0, nested);
  return ''; // "node_modules/x" or a workspace folder: the root is next
}

function tarballUrl(registry: string, name: string, version: string): string {
  const base = name.startsWith('@') ? name.split('/')[1] : name;
  return `${registry}${name}/-/${base}-${version}.tgz`;
}

function edgesOf(entry: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }): Array<{ name: string; optional: boolean }> {
  const edges: Array<{ name: string; optional: boolean }> = [];
  for (const name of Object.keys(entry.dependencies ?? {})) edges.push({ name, optional: false });
  for (const name of Object.keys(entry.optionalDependencies ?? {})) edges.push({ name, optional: true });
  for (const name of Object.keys(entry.peerDependencies ?? {})) {
    edges.push({ name, optional: entry.peerDependenciesMeta?.[name]?.optional === true });
  }
  return edges;
}

export function buildHostLock(input: HostLockInput): HostLock {
  const old = input.repoLock.packages;
  const packed = new Map(input.tarballs.map((t) => [t.name, t]));
  const workspaceFolders = [...input.workspaces.entries()].map(([name, folder]) => ({ name, folder }));
  const entries = new Map<string, LockEntry>();
  const devOnly = new Set<string>();

  /** Where an old-tree location lives in the host app's tree. */
  const relocate = (location: string): string => {
    for (const { name, folder } of workspaceFolders) {
      if (location.startsWith(`${folder}/`)) return `node_modules/${name}/${location.slice(folder.length + 1)}`;
    }
    return location;
  };

  /** Node's lookup in the old tree: `<from>/node_modules/<name>`, then each parent's, up to the root. */
  const resolveIn = (from: string, name: string): string | null => {
    for (let at: string | null = from; at !== null; at = parentOf(at)) {
      const candidate = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      if (old[candidate]) return candidate;
    }
    return null;
  };

  const visit = (from: string, edges: Array<{ name: string; optional: boolean }>, dev: boolean, who: string): void => {
    for (const edge of edges) {
      if (packed.has(edge.name)) continue; // provided by a tarball at the root
      const found = resolveIn(from, edge.name);
      if (!found) {
        if (edge.optional) continue;
        throw new Error(`${who} needs ${edge.name}, which the repository's package-lock.json does not resolve`);
      }
      const entry = old[found] as LockEntry;
      if (entry.link) throw new Error(`${who} needs the workspace package ${edge.name}: pack it too`);
      const target = relocate(found);
      const seen = entries.has(target);
      if (seen) {
        if (!dev) devOnly.delete(target);
        continue;
      }
      const { dev: _d, devOptional: _do, peer: _p, optional, ...rest } = entry;
      const copy: LockEntry = { ...rest, resolved: rest.resolved ?? tarballUrl(input.registry, edge.name, String(entry.version)) };
      if (optional) copy.optional = true;
      entries.set(target, copy);
      if (dev) devOnly.add(target);
      visit(found, edgesOf(entry), dev, `${edge.name}@${entry.version}`);
    }
  };

  const dependencies: Record<string, string> = {};
  for (const tarball of input.tarballs) {
    dependencies[tarball.name] = `file:${tarball.file}`;
    const m = tarball.manifest;
    const entry: LockEntry = { version: tarball.version, resolved: `file:${tarball.file}`, integrity: tarball.integrity };
    for (const key of ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'] as const) {
      if (m[key] !== undefined) (entry as Record<string, unknown>)[key] = m[key];
    }
    entries.set(`node_modules/${tarball.name}`, entry);
  }
  for (const tarball of input.tarballs) {
    // Nested dependencies of a workspace were locked under its folder; others resolve from the root.
    visit(tarball.workspace ?? '', edgesOf(tarball.manifest), false, tarball.name);
  }
  const devDependencies: Record<string, string> = {};
  for (const name of input.devDependencies) {
    const found = resolveIn('', name);
    const version = found ? old[found]?.version : undefined;
    if (!found || !version) throw new Error(`The repository's package-lock.json does not resolve ${name}`);
    devDependencies[name] = `^${version}`;
    visit('', [{ name, optional: false }], true, 'the host app');
  }
  for (const location of devOnly) (entries.get(location) as LockEntry).dev = true;

  const packageJson = { name: input.appName, version: '1.0.0', private: true, type: 'module', dependencies, devDependencies };
  const sorted = Object.fromEntries([...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const lock = {
    name: input.appName,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: input.appName, version: '1.0.0', dependencies, devDependencies }, ...sorted },
  };
  return { packageJson, lock };
}
