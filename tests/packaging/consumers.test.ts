/**
 * Every workspace package, packed with `npm pack` and installed (offline, from
 * the npm cache, pinned by the repository's package-lock.json) into a fresh app
 * under os.tmpdir(), as different consumers use it:
 *
 * - a CommonJS host: `require()` of every entry point in every export map
 *   (require(esm), Node >= 20.19, the engines floor) gives the same exports
 *   as `import`;
 * - a strict TypeScript host without skipLibCheck: the published declarations
 *   type-check together with the type packages they import (e.g. `pg`'s);
 * - a debugger or `node --enable-source-maps`: no shipped source map points
 *   at a source file that is not shipped.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { buildHostLock, type LockedTarball } from './support/host-lock.js';
import { filesUnder } from './support/imports.js';
import { ROOT, TSC, childEnv, npm, parsePackJson, run, workspacePackages, type WorkspacePackage } from './support/npm.js';

/** The subpaths of an export map that are modules ("./package.json" is not). */
function entryPoints(pkg: WorkspacePackage): string[] {
  const exportsMap = (pkg.manifest.exports ?? {}) as Record<string, unknown>;
  return Object.keys(exportsMap)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));
}

/**
 * Run by node in the app: each specifier through `require()` (CommonJS) and
 * through `import()`, reporting the export names or the error.
 */
const CJS_PROBE = `'use strict';
const specifiers = JSON.parse(process.argv[2]);
(async () => {
  const report = {};
  for (const specifier of specifiers) {
    const entry = {};
    try {
      entry.required = Object.keys(require(specifier)).filter((k) => k !== '__esModule' && k !== 'module.exports').sort();
    } catch (err) {
      entry.requireError = String(err && err.code) + ': ' + String(err && err.message).split('\\n')[0];
    }
    entry.imported = Object.keys(await import(specifier)).filter((k) => k !== 'module.exports').sort();
    report[specifier] = entry;
  }
  process.stdout.write(JSON.stringify(report));
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** A strict NodeNext host that does not skip the published declarations. */
const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['src'],
};

const STRICT_STORE = `import { createPostgresStore, type PoolOptions, type PostgresStoreOptions } from '@payhost/store-postgres';
import type { LedgerStore } from '@payhost/core';

const pool: PoolOptions = { max: 2, idleTimeoutMillis: 1_000 };
const options: PostgresStoreOptions = { connectionString: 'postgres://localhost/shop', pool, migrate: false };
export async function open(): Promise<LedgerStore> {
  return createPostgresStore(options);
}
`;

describe('packaging: the packed packages in CommonJS, strict TypeScript and debugging consumers', function () {
  this.timeout(600_000);
  let tmp = '';
  let app = '';
  let packages: WorkspacePackage[] = [];
  const env = childEnv();

  before(async function () {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-consumers-'));
    app = join(tmp, 'consumer');
    const pack = join(tmp, 'pack');
    await mkdir(pack);
    await mkdir(join(app, 'src'), { recursive: true });

    packages = await workspacePackages();
    for (const pkg of packages) {
      if (!existsSync(join(ROOT, pkg.location, 'dist', 'index.js'))) throw new Error(`${pkg.name} is not built: run npm run build first`);
    }
    const tarballs = parsePackJson((await npm(['pack', '--json', '--pack-destination', pack, ...packages.flatMap((p) => ['-w', p.name])], { cwd: ROOT })).stdout);
    const locked: LockedTarball[] = tarballs.map((t) => {
      const ws = packages.find((p) => p.name === t.name) as WorkspacePackage;
      return { name: t.name, version: t.version, file: `../pack/${t.filename}`, integrity: t.integrity, manifest: ws.manifest, workspace: ws.location };
    });
    const registry = (await npm(['config', 'get', 'registry'], { cwd: tmp })).stdout.trim().replace(/\/?$/, '/');
    const { packageJson, lock } = buildHostLock({
      repoLock: JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')),
      workspaces: new Map(packages.map((p) => [p.name, p.location])),
      tarballs: locked,
      // The host type-checks with the repository's tsc; only @types/node is its own.
      devDependencies: ['@types/node'],
      registry,
      appName: 'payhost-consumer',
    });
    // A CommonJS package: no "type": "module".
    const { type: _type, ...commonjs } = packageJson;
    await writeFile(join(app, 'package.json'), JSON.stringify(commonjs, null, 2));
    await writeFile(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await npm(['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, env });
  });

  after(async function () {
    if (tmp && !process.env['PAYHOST_KEEP_PACKAGING_TMP']) await rm(tmp, { recursive: true, force: true });
  });

  it('a CommonJS host can require() every entry point of every package, with the exports import() gives', async () => {
    const specifiers = packages.flatMap(entryPoints);
    expect(specifiers).to.include.members(['@payhost/core', '@payhost/plugin-dummy', '@payhost/plugin-dummy/browser', '@payhost/store-postgres', '@payhost/testkit/conformance']);
    await writeFile(join(app, 'probe.cjs'), CJS_PROBE);
    const { stdout } = await run(process.execPath, ['--no-warnings', 'probe.cjs', JSON.stringify(specifiers)], { cwd: app, env });
    const report = JSON.parse(stdout) as Record<string, { required?: string[]; requireError?: string; imported: string[] }>;
    for (const specifier of specifiers) {
      const entry = report[specifier];
      expect(entry?.requireError, `require('${specifier}') from CommonJS`).to.equal(undefined);
      expect(entry?.imported, `import('${specifier}') exports something`).to.not.deep.equal([]);
      expect(entry?.required, `require('${specifier}') exposes what import() does`).to.deep.equal(entry?.imported);
    }
    expect(report['@payhost/core']?.required).to.include.members(['PluginManager', 'PaymentService', 'BasePlugin', 'Decimal', 'PayhostError', 'MemoryLedgerStore']);
    expect(report['@payhost/store-postgres']?.required).to.include.members(['createPostgresStore', 'createPgliteStore', 'SqlLedgerStore']);
    expect(report['@payhost/server']?.required).to.include.members(['createServer', 'loadServerConfig']);
  });

  it('a strict TypeScript host without skipLibCheck type-checks against @payhost/store-postgres (its pg types come with it) and every entry point', async () => {
    const specifiers = packages.flatMap(entryPoints);
    const everyEntry = `${specifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n')}\nexport const modules = [${specifiers.map((_, i) => `m${i}`).join(', ')}];\n`;
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG, null, 2));
    await writeFile(join(app, 'src', 'store.mts'), STRICT_STORE);
    await writeFile(join(app, 'src', 'every-entry.mts'), everyEntry);
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, env });
  });

  it('no shipped source map points at sources that are not shipped (src/ is not published: maps are not either)', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const pkg of packages) {
      const installed = join(app, 'node_modules', pkg.name);
      for (const map of (await filesUnder(installed)).filter((f) => f.endsWith('.map'))) {
        const { sources, sourcesContent } = JSON.parse(await readFile(map, 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
        sources.forEach((source, i) => {
          checked += 1;
          const carried = typeof sourcesContent?.[i] === 'string';
          const file = join(dirname(map), source);
          const shipped = !relative(installed, file).startsWith('..') && existsSync(file);
          if (!carried && !shipped) problems.push(`${relative(join(app, 'node_modules'), map)} -> ${source}`);
        });
      }
    }
    expect(problems.slice(0, 5), `${problems.length} of ${checked} mapped sources are missing`).to.deep.equal([]);
  });
});
