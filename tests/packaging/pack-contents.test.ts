/**
 * Release readiness: what `npm pack` would publish for every workspace
 * package, and the manifest fields a consumer relies on (exports, types,
 * engines, peer dependencies, versions kept in step by lerna).
 */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { importProblems } from './support/imports.js';
import { ROOT, npm, parsePackJson, run, workspacePackages, type PackResult, type WorkspacePackage } from './support/npm.js';

/**
 * Packages allowed to have no README yet (their npm page would be empty);
 * every other package must ship one. A README, once written, is always shipped.
 */
const README_PENDING = new Set<string>([]);

/** Paths an export map, `main`, `types` or `bin` points at. */
function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targetsOf);
  return [];
}

function normalize(path: string): string {
  return path.replace(/^\.\//, '');
}

/**
 * What a package may ship: compiled output with its types and their maps, the TypeScript sources the maps
 * point at (stack traces and "go to definition" land on them), README, LICENSE, package.json; public/ for the
 * server, bin/ for the CLI; docs/*.md for a package whose README links to its own docs/ (a package that
 * lists "docs" in its files).
 */
function allowed(pkg: WorkspacePackage, path: string): boolean {
  if (path === 'package.json' || path === 'README.md' || /^LICEN[CS]E(\.md|\.txt)?$/.test(path)) return true;
  if (/^dist\/.+\.(js|d\.ts)(\.map)?$/.test(path)) return true;
  if (/^src\/.+\.ts$/.test(path) && !/\.test\.ts$/.test(path)) return true;
  if (pkg.name === '@payhost/server' && /^public\/checkout\/[\w.-]+\.(html|js|css)$/.test(path)) return true;
  if (pkg.name === '@payhost/cli' && path === 'bin/payhost.js') return true;
  if (/^docs\/.+\.md$/.test(path) && (pkg.manifest.files ?? []).includes('docs')) return true;
  return false;
}

/**
 * The relative links of a Markdown file (inline `[text](target)`), without their #anchor; web addresses,
 * mailto: and same-page anchors left out.
 */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const match of markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1] as string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(decodeURIComponent(target.replace(/#.*$/, '')));
  }
  return links;
}

const FORBIDDEN = [/(^|\/)tests?\//, /(^|\/)fixtures?\//, /tsconfig/, /\.tsbuildinfo$/, /\.test\.(ts|js)$/, /(^|\/)\.[^/]+$/, /\.tgz$/];

describe('packaging: npm pack contents and manifests of every workspace package', function () {
  this.timeout(120_000);
  let packages: WorkspacePackage[] = [];
  const packed = new Map<string, PackResult>();
  let lerna: { version: string; packages: string[]; npmClient?: string; [key: string]: unknown };
  let rootManifest: { workspaces: string[]; engines: Record<string, string>; license: string };

  before(async () => {
    packages = await workspacePackages();
    lerna = JSON.parse(await readFile(join(ROOT, 'lerna.json'), 'utf8'));
    rootManifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const { stdout } = await npm(['pack', '--dry-run', '--json', ...packages.flatMap((p) => ['-w', p.name])], { cwd: ROOT });
    for (const result of parsePackJson(stdout)) packed.set(result.name, result);
  });

  it('packs every workspace package (none private), at the lerna version', () => {
    expect(packages.map((p) => p.name).sort()).to.deep.equal([...packed.keys()].sort());
    expect(packages.length).to.equal(9);
    for (const pkg of packages) {
      expect(pkg.manifest.private, pkg.name).to.not.equal(true);
      expect(pkg.manifest.version, `${pkg.name} version (lerna fixed mode)`).to.equal(lerna.version);
    }
  });

  it('ships only compiled output, types, README, LICENSE and package.json (public/ for the server, docs/*.md where files lists docs)', () => {
    for (const pkg of packages) {
      const files = (packed.get(pkg.name) as PackResult).files.map((f) => f.path);
      const stray = files.filter((f) => !allowed(pkg, f) || FORBIDDEN.some((re) => re.test(f)));
      expect(stray, `${pkg.name} would publish`).to.deep.equal([]);
      expect(files.filter((f) => f.endsWith('.js') && f.startsWith('dist/')).length, `${pkg.name} ships its build`).to.be.greaterThan(0);
      // Every file of the checkout page (its modules import each other: one left out breaks the page).
      if (pkg.name === '@payhost/server') expect(files).to.include.members(readdirSync(join(ROOT, pkg.location, 'public', 'checkout')).map((name) => `public/checkout/${name}`));
      if (existsSync(join(ROOT, pkg.location, 'README.md'))) expect(files, `${pkg.name} ships its README`).to.include('README.md');
      else expect(README_PENDING.has(pkg.name), `${pkg.name} has no README.md`).to.equal(true);
    }
  });

  // In-package links only: a link leaving the package (../../docs/... into the repository's docs) cannot
  // be shipped by it, and is left to the repository's own doc checks.
  it('every relative link of a shipped Markdown file (README, docs/) that stays in the package names a shipped file', async () => {
    const problems: string[] = [];
    for (const pkg of packages) {
      const files = new Set((packed.get(pkg.name) as PackResult).files.map((f) => f.path));
      for (const file of files) {
        if (!file.endsWith('.md')) continue;
        for (const link of relativeLinks(await readFile(join(ROOT, pkg.location, file), 'utf8'))) {
          const target = posix.normalize(posix.join(posix.dirname(file), link));
          if (target.startsWith('../')) continue;
          if (!files.has(target)) problems.push(`${pkg.name}: ${file} links to ${link}, which it does not ship`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('every shipped module has its declaration file, and comes from a source file (no stale build output)', () => {
    for (const pkg of packages) {
      const files = new Set((packed.get(pkg.name) as PackResult).files.map((f) => f.path));
      for (const file of files) {
        if (!/^dist\/.+\.js$/.test(file)) continue;
        expect(files.has(file.replace(/\.js$/, '.d.ts')), `${pkg.name}: ${file} has no .d.ts`).to.equal(true);
        const source = join(ROOT, pkg.location, file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
        expect(existsSync(source), `${pkg.name}: ${file} has no source (stale build output: npm run clean && npm run build)`).to.equal(true);
      }
    }
  });

  it('every sourceMappingURL comment names a shipped map, whose sources are shipped too', async () => {
    const problems: string[] = [];
    for (const pkg of packages) {
      const files = new Set((packed.get(pkg.name) as PackResult).files.map((f) => f.path));
      for (const file of files) {
        if (!/^dist\/.+\.(js|d\.ts)$/.test(file)) continue;
        const text = await readFile(join(ROOT, pkg.location, file), 'utf8');
        const comment = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text);
        if (!comment) continue;
        const map = posix.join(posix.dirname(file), comment[1] as string);
        if (!files.has(map)) {
          problems.push(`${pkg.name}: ${file} points at ${map}, which is not shipped`);
          continue;
        }
        const { sources, sourceRoot } = JSON.parse(await readFile(join(ROOT, pkg.location, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
        for (const source of sources) {
          const shipped = posix.join(posix.dirname(map), sourceRoot ?? '', source);
          if (!files.has(shipped)) problems.push(`${pkg.name}: ${map} maps to ${shipped}, which is not shipped`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('exports, main, types and bin point at shipped files; types come first in every export condition', () => {
    for (const pkg of packages) {
      const m = pkg.manifest;
      const files = new Set((packed.get(pkg.name) as PackResult).files.map((f) => f.path));
      expect(m.type, pkg.name).to.equal('module');
      expect(m.exports, `${pkg.name} has an export map`).to.be.an('object');
      const exportsMap = m.exports as Record<string, unknown>;
      expect(exportsMap, pkg.name).to.have.property('.');
      expect(exportsMap, pkg.name).to.have.property('./package.json', './package.json');
      for (const [subpath, conditions] of Object.entries(exportsMap)) {
        if (typeof conditions === 'object' && conditions !== null) {
          expect(Object.keys(conditions)[0], `${pkg.name} exports["${subpath}"]: "types" must be the first condition`).to.equal('types');
          const types = (conditions as Record<string, string>)['types'] as string;
          expect(types, `${pkg.name} exports["${subpath}"].types`).to.match(/\.d\.ts$/);
        }
      }
      const targets = [...targetsOf(m.exports), ...targetsOf(m.main), ...targetsOf(m.types), ...targetsOf(m.bin)].map(normalize);
      for (const target of targets) expect(files.has(target), `${pkg.name} points at ${target}, which it does not ship`).to.equal(true);
      expect(normalize(m.types ?? ''), `${pkg.name} types`).to.equal(normalize(((exportsMap['.'] as Record<string, string>)['types']) ?? ''));
    }
  });

  it('shipped modules import only shipped files and declared packages', async () => {
    const problems: string[] = [];
    for (const pkg of packages) {
      const files = (packed.get(pkg.name) as PackResult).files.map((f) => f.path);
      problems.push(...(await importProblems(join(ROOT, pkg.location), ROOT, files)));
    }
    expect(problems).to.deep.equal([]);
  });

  it('the CLI ships its bin with a node shebang, outside dist/ so npm links it before a checkout is built', async () => {
    const cli = packages.find((p) => p.name === '@payhost/cli') as WorkspacePackage;
    expect(cli.manifest.bin).to.deep.equal({ payhost: './bin/payhost.js' });
    for (const file of ['bin/payhost.js', 'dist/bin.js']) {
      const text = await readFile(join(ROOT, cli.location, file), 'utf8');
      expect(text.startsWith('#!/usr/bin/env node\n'), file).to.equal(true);
    }
    expect((await stat(join(ROOT, cli.location, 'bin', 'payhost.js'))).mode & 0o111, 'bin/payhost.js is executable').to.not.equal(0);
    // What npm ci linked in this checkout: the command runs.
    const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'payhost'), ['--help'], { cwd: ROOT });
    expect(stdout).to.include('Usage: payhost');
  });

  it('engines, license, publishConfig, keywords and description are set', () => {
    expect(rootManifest.engines['node']).to.equal('>=20.19');
    expect(rootManifest.license).to.equal('MIT');
    expect(existsSync(join(ROOT, 'LICENSE')), 'root LICENSE').to.equal(true);
    for (const pkg of packages) {
      const m = pkg.manifest;
      expect(m.engines?.['node'], `${pkg.name} engines.node`).to.equal(rootManifest.engines['node']);
      expect(m.license, `${pkg.name} license`).to.equal('MIT');
      expect(m.publishConfig?.['access'], `${pkg.name} publishConfig.access (scoped packages are private on npm by default)`).to.equal('public');
      expect(m.keywords, `${pkg.name} keywords`).to.be.an('array').that.includes('payhost');
      expect(m.description, `${pkg.name} description`).to.be.a('string').with.length.greaterThan(10);
      expect(m.files, `${pkg.name} files`).to.include('dist');
    }
  });

  it('every package ships the root LICENSE (npm cannot take it from a parent directory)', async () => {
    const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
    for (const pkg of packages) {
      expect((packed.get(pkg.name) as PackResult).files.map((f) => f.path), `${pkg.name} ships a LICENSE`).to.include('LICENSE');
      expect(await readFile(join(ROOT, pkg.location, 'LICENSE'), 'utf8'), `${pkg.name}/LICENSE is the root LICENSE`).to.equal(license);
    }
  });

  it('plugins and stores peer-depend on @payhost/core; @payhost ranges match the lerna version', () => {
    const caret = `^${lerna.version}`;
    for (const pkg of packages) {
      const m = pkg.manifest;
      const needsPeer = pkg.location.startsWith('plugins/') || pkg.name === '@payhost/store-postgres' || pkg.name === '@payhost/testkit';
      if (needsPeer) {
        expect(m.peerDependencies?.['@payhost/core'], `${pkg.name} peerDependencies["@payhost/core"]`).to.equal(caret);
        expect(m.dependencies?.['@payhost/core'], `${pkg.name} must not bring its own @payhost/core`).to.equal(undefined);
      }
      for (const field of ['dependencies', 'peerDependencies', 'devDependencies'] as const) {
        for (const [name, range] of Object.entries(m[field] ?? {})) {
          if (name.startsWith('@payhost/')) expect(range, `${pkg.name} ${field}["${name}"]`).to.equal(caret);
        }
      }
      if (pkg.name !== '@payhost/core') {
        const all = { ...m.dependencies, ...m.peerDependencies };
        expect(all, `${pkg.name} depends on @payhost/core`).to.have.property('@payhost/core');
      }
    }
  });

  it('lerna.json: fixed versioning over the npm workspaces, valid keys, and lerna lists every package', async () => {
    expect(lerna.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(lerna.npmClient).to.equal('npm');
    expect(lerna.packages).to.deep.equal(rootManifest.workspaces);
    const schema = JSON.parse(await readFile(join(ROOT, 'node_modules', 'lerna', 'schemas', 'lerna-schema.json'), 'utf8')) as {
      properties: Record<string, unknown> & { command: { properties: Record<string, { properties: Record<string, unknown> }> } };
    };
    for (const key of Object.keys(lerna)) expect(schema.properties, `lerna.json key ${key}`).to.have.property(key);
    for (const [command, options] of Object.entries((lerna['command'] ?? {}) as Record<string, Record<string, unknown>>)) {
      expect(schema.properties.command.properties, `lerna.json command.${command}`).to.have.property(command);
      for (const key of Object.keys(options)) expect(schema.properties.command.properties[command]?.properties, `lerna.json command.${command}.${key}`).to.have.property(key);
    }
    const { stdout } = await npm(['exec', '--no', '--', 'lerna', 'list', '--json', '--loglevel', 'silent'], { cwd: ROOT });
    const listed = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ name: string; version: string; private: boolean }>;
    expect(listed.map((p) => p.name).sort()).to.deep.equal(packages.map((p) => p.name).sort());
    for (const p of listed) expect(p.version, p.name).to.equal(lerna.version);
  });
});
