import { builtinModules } from 'node:module';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

const BUILTINS = new Set(builtinModules);

/** Module specifiers of a .js or .d.ts file: static imports/exports, `import('...')` and `import x = require('...')`. */
export function specifiersOf(source: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1] as string);
  return [...found];
}

export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/** Every file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/**
 * Problems with an installed package's module graph: a relative import that
 * leaves the package or names a file that was not shipped, a bare import of a
 * package it does not declare (dependencies, peerDependencies,
 * optionalDependencies), or an absolute path of the repository it was built in.
 * `only`: the files to look at (paths relative to the package), e.g. what npm
 * would pack; default: every file of the installed package.
 */
export async function importProblems(packageDir: string, repoRoot: string, only?: readonly string[]): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const problems: string[] = [];
  const files = only ? only.map((path) => join(packageDir, path)) : await filesUnder(packageDir);
  for (const file of files) {
    const segments = relative(packageDir, file).split(sep);
    if (segments.includes('node_modules')) continue; // its own dependencies
    if (segments[0] === 'public') continue; // browser assets, imported by URL
    if (!/\.(m?js|d\.ts)$/.test(file)) continue;
    const where = `${manifest.name}/${relative(packageDir, file)}`;
    const source = await readFile(file, 'utf8');
    if (source.includes(repoRoot)) problems.push(`${where} contains the repository path ${repoRoot}`);
    for (const specifier of specifiersOf(source)) {
      if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(packageDir + sep)) problems.push(`${where} imports ${specifier}, outside the package`);
        else if (!existsSync(file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target)) problems.push(`${where} imports ${specifier}, which is not in the package`);
        continue;
      }
      if (specifier.startsWith('/') || /^[a-z]+:/i.test(specifier)) {
        problems.push(`${where} imports the absolute specifier ${specifier}`);
        continue;
      }
      if (!declared.has(packageNameOf(specifier))) problems.push(`${where} imports ${specifier}, which ${manifest.name} does not declare as a dependency`);
    }
  }
  return problems;
}
