/**
 * A third-party plugin, end to end, outside the monorepo: the example gateway
 * package (docs/examples/acme-gateway, @payhost/core as a peer) is built and
 * packed with `npm pack`, installed with the packed @payhost packages into a
 * fresh host app under os.tmpdir() (offline, from the npm cache), loaded by
 * package name from the app's config file, type-checked against the installed
 * types, and used for payments: through PluginManager + PaymentService, through
 * the reference server over HTTP (embedded database), and through the CLI.
 *
 * The host app is docs/examples/host-app (shown in docs/plugin-guide.md); its
 * expected output is docs/examples/host-app/*.out.txt.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { buildHostLock, type LockedTarball } from './support/host-lock.js';
import { importProblems } from './support/imports.js';
import { ROOT, TSC, childEnv, npm, parsePackJson, run, workspacePackages, type PackResult } from './support/npm.js';

const EXAMPLE = join(ROOT, 'docs', 'examples', 'acme-gateway');
const HOST_APP = join(ROOT, 'docs', 'examples', 'host-app');
/** The workspace packages the host app installs (the server needs store-postgres; the CLI needs the server). */
const PACKED = ['@payhost/core', '@payhost/plugin-dummy', '@payhost/store-postgres', '@payhost/server', '@payhost/cli'];
const ACME_API_KEY = 'sk_acme_live_0123456789abcdef';

describe('packaging: a third-party gateway package in a host app outside the repository', function () {
  this.timeout(600_000);
  let tmp = '';
  let app = '';
  let tarballs: PackResult[] = [];
  const timings: string[] = [];
  const env = childEnv({ ACME_API_KEY, SHOP_PAYMENT_KEY: 'shop-payment-key-0001', SHOP_ADMIN_KEY: 'shop-admin-key-0001' });
  delete env['DATABASE_URL']; // the host app's server uses its embedded database

  async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  }

  before(async function () {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-packaging-'));
    app = join(tmp, 'acme-shop');
    const pack = join(tmp, 'pack');
    await mkdir(pack);

    // 1. Pack the workspace packages (built by `npm run build`) and the example package.
    const workspaces = await workspacePackages();
    for (const name of PACKED) {
      const ws = workspaces.find((w) => w.name === name);
      if (!ws || !existsSync(join(ROOT, ws.location, 'dist', 'index.js'))) throw new Error(`${name} is not built: run npm run build first`);
    }
    const packedWorkspaces = await timed('npm pack (workspaces)', async () =>
      parsePackJson((await npm(['pack', '--json', '--pack-destination', pack, ...PACKED.flatMap((n) => ['-w', n])], { cwd: ROOT })).stdout),
    );
    const example = join(tmp, 'acme-gateway');
    await mkdir(example);
    await cp(join(EXAMPLE, 'package.json'), join(example, 'package.json'));
    await cp(join(EXAMPLE, 'README.md'), join(example, 'README.md'));
    // The author's build (`npm run build`): compiled against @payhost/core's published types.
    await timed('tsc (example package)', () => run(process.execPath, [TSC, '-p', join(EXAMPLE, 'tsconfig.json'), '--outDir', join(example, 'dist')], { cwd: ROOT }));
    const packedExample = await timed('npm pack (example)', async () => parsePackJson((await npm(['pack', '--json', '--pack-destination', pack], { cwd: example })).stdout));
    tarballs = [...packedWorkspaces, ...packedExample];

    // 2. A fresh host app: its package.json with the tarballs, a lockfile pinned to the repository's versions.
    await mkdir(join(app, 'src'), { recursive: true });
    for (const file of ['tsconfig.json', 'payhost.config.json', 'src/app.ts', 'src/server.ts']) await cp(join(HOST_APP, file), join(app, file));
    const locked: LockedTarball[] = [];
    for (const t of tarballs) {
      const ws = workspaces.find((w) => w.name === t.name);
      const manifest = ws ? ws.manifest : (JSON.parse(await readFile(join(example, 'package.json'), 'utf8')) as LockedTarball['manifest']);
      locked.push({ name: t.name, version: t.version, file: `../pack/${t.filename}`, integrity: t.integrity, manifest, workspace: ws ? ws.location : null });
    }
    const docsManifest = JSON.parse(await readFile(join(HOST_APP, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    expect(Object.keys(docsManifest.dependencies).sort(), 'the docs host app depends on exactly the packed packages').to.deep.equal(tarballs.map((t) => t.name).sort());
    const registry = (await npm(['config', 'get', 'registry'], { cwd: tmp })).stdout.trim().replace(/\/?$/, '/');
    const { packageJson, lock } = buildHostLock({
      repoLock: JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')),
      workspaces: new Map(workspaces.map((w) => [w.name, w.location])),
      tarballs: locked,
      // The app type-checks with the repository's tsc (TypeScript itself is not installed again).
      devDependencies: ['@types/node'],
      registry,
      appName: docsManifest.name,
    });
    await writeFile(join(app, 'package.json'), JSON.stringify({ ...docsManifest, ...packageJson, scripts: (docsManifest as { scripts?: unknown }).scripts }, null, 2));
    await writeFile(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));

    // 3. Install offline: every third-party dependency comes from the npm cache.
    await timed('npm ci --offline', () => npm(['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, env }));
  });

  after(async function () {
    console.log(`      packaging timings: ${timings.join(', ')}`);
    if (tmp && !process.env['PAYHOST_KEEP_PACKAGING_TMP']) await rm(tmp, { recursive: true, force: true });
  });

  it('installs outside the repository: no node_modules above the app, one copy of @payhost/core', async () => {
    expect(app.startsWith(ROOT)).to.equal(false);
    for (let dir = dirname(app); dir !== parse(dir).root; dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules would leak packages into the app`).to.equal(false);
    }
    const installed = await readdir(join(app, 'node_modules', '@payhost'));
    expect(installed.sort()).to.deep.equal(['cli', 'core', 'plugin-dummy', 'server', 'store-postgres']);
    expect(existsSync(join(app, 'node_modules', '@acme', 'payhost-plugin-acme', 'dist', 'index.js'))).to.equal(true);
    for (const name of [...PACKED, '@acme/payhost-plugin-acme']) {
      // A nested copy of core would make two BasePlugin / PayhostError classes.
      expect(existsSync(join(app, 'node_modules', name, 'node_modules', '@payhost', 'core')), `${name} has its own @payhost/core`).to.equal(false);
    }
  });

  it('the installed packages import only what they ship and declare (no workspace-only paths)', async () => {
    const problems: string[] = [];
    for (const name of [...PACKED, '@acme/payhost-plugin-acme']) problems.push(...(await importProblems(join(app, 'node_modules', name), ROOT)));
    expect(problems).to.deep.equal([]);
  });

  it('a TypeScript file of the host app compiles against the installed types (NodeNext, strict)', async () => {
    await timed('tsc (host app)', () => run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, env }));
    expect(existsSync(join(app, 'dist', 'app.js'))).to.equal(true);
    expect(existsSync(join(app, 'dist', 'server.js'))).to.equal(true);
  });

  it('pays with the plugin loaded by package name: PluginManager + PaymentService', async () => {
    const { stdout } = await timed('node dist/app.js', () => run(process.execPath, ['dist/app.js'], { cwd: app, env }));
    expect(stdout).to.equal(await readFile(join(HOST_APP, 'app.out.txt'), 'utf8'));
    expect(stdout).not.to.include(ACME_API_KEY);
  });

  it('the reference server (embedded database) serves a payment through the plugin over HTTP, and its checkout page', async () => {
    const { stdout } = await timed('node dist/server.js', () => run(process.execPath, ['dist/server.js'], { cwd: app, env: { ...env, PORT: '0' } }));
    expect(stdout).to.equal(await readFile(join(HOST_APP, 'server.out.txt'), 'utf8'));
    expect((await stat(join(app, '.payhost-data'))).isDirectory(), 'the embedded database lives next to the config file').to.equal(true);
  });

  it('the payhost CLI (bin) checks the config with secrets masked and pays through the plugin', async () => {
    const bin = join(app, 'node_modules', '.bin', 'payhost');
    const checked = (await run(bin, ['config', 'check', '--config', 'payhost.config.json'], { cwd: app, env })).stdout;
    expect(checked).not.to.include(ACME_API_KEY);
    const check = JSON.parse(checked) as {
      valid: boolean;
      channels: Array<{ plugins: Array<{ id: string; active: boolean; configuration: Record<string, unknown> }> }>;
    };
    expect(check.valid).to.equal(true);
    const acme = check.channels[0]?.plugins.find((p) => p.id === 'acme.gateway');
    expect(acme?.active).to.equal(true);
    expect(acme?.configuration).to.include({ public_key: 'pk_acme_123', supported_currencies: 'USD' });
    expect(acme?.configuration['api_key'], 'a bare ${ENV} reference reads back as is').to.equal('${ACME_API_KEY}');
    const args = ['pay', '--memory', '--config', 'payhost.config.json', '--channel', 'web', '--amount', '12.50', '--currency', 'USD', '--token', 'acme_tok_success'];
    const paid = JSON.parse((await run(bin, args, { cwd: app, env })).stdout) as { payment: Record<string, unknown>; transaction: Record<string, unknown> };
    expect(paid.payment).to.include({ chargeStatus: 'fully-charged', total: '12.50', authorizedAmount: '0.00', capturedAmount: '12.50', currency: 'USD' });
    expect(paid.transaction).to.include({ kind: 'capture', isSuccess: true, amount: '12.50', errorCode: null });
  });
});
