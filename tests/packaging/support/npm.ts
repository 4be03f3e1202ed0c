import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The repository's TypeScript compiler (a host app would install its own). */
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * The environment for child npm/node processes: npm's own `npm_*` variables
 * (set when mocha runs under `npm test`: workspace, prefix, lifecycle...) are
 * dropped so a child npm sees only its own directory, except the cache and
 * registry settings.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toLowerCase().startsWith('npm_') && !keep.has(key.toLowerCase())) continue;
    if (key === 'NODE_OPTIONS') continue; // mocha's `--import tsx` must not leak into the host app
    env[key] = value;
  }
  return { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', ...extra };
}

/** Runs a command; rejects with its output when it exits non-zero. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { cwd: options.cwd, env: options.env ?? childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 240_000 },
      (err, stdout, stderr) => {
        if (err) {
          const quoted = [command, ...args].join(' ');
          reject(new Error(`${quoted} (in ${options.cwd}) failed: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** npm's CLI, run by the node that runs the tests. */
export function npm(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, options);
}

export interface WorkspacePackage {
  name: string;
  /** Folder relative to the root, e.g. "plugins/dummy". */
  location: string;
  manifest: PackageManifest;
}

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  license?: string;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  files?: string[];
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  publishConfig?: Record<string, unknown>;
  keywords?: string[];
  repository?: unknown;
  description?: string;
}

/** Every workspace package, from the root package.json's workspace globs (one level: "plugins/*"). */
export async function workspacePackages(): Promise<WorkspacePackage[]> {
  const { readdir } = await import('node:fs/promises');
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const out: WorkspacePackage[] = [];
  for (const pattern of root.workspaces) {
    const folders = pattern.endsWith('/*')
      ? (await readdir(join(ROOT, pattern.slice(0, -2)), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => `${pattern.slice(0, -2)}/${d.name}`)
      : [pattern];
    for (const location of folders.sort()) {
      let manifest: PackageManifest;
      try {
        manifest = JSON.parse(await readFile(join(ROOT, location, 'package.json'), 'utf8')) as PackageManifest;
      } catch {
        continue; // a folder without a package.json is not a package
      }
      out.push({ name: manifest.name, location, manifest });
    }
  }
  return out;
}

/** One entry of `npm pack --json`. */
export interface PackResult {
  name: string;
  version: string;
  filename: string;
  integrity: string;
  files: Array<{ path: string; size: number; mode: number }>;
}

export function parsePackJson(stdout: string): PackResult[] {
  // npm may print lifecycle output before the JSON array.
  const start = stdout.indexOf('[');
  return JSON.parse(stdout.slice(start)) as PackResult[];
}
