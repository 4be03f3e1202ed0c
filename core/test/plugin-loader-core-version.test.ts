import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPlugins, PluginManager } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { rejection, repoRoot } from './support/loader.js';

const pluginSource = (id: string) => `import { BasePlugin } from '@payhost/core';
export default class P extends BasePlugin {
  static id = '${id}';
}
`;

/**
 * What a package manager that does not enforce peer dependencies (npm --legacy-peer-deps or --force,
 * pnpm, yarn) leaves in node_modules: plugin packages whatever their @payhost/core peer range.
 */
describe("loading plugins: the package's @payhost/core peer range", () => {
  let hostDir: string;
  let coreVersion: string;

  async function plugin(name: string, id: string, peerDependencies?: Record<string, string>): Promise<void> {
    const dir = join(hostDir, 'node_modules', name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': './index.js' }, ...(peerDependencies ? { peerDependencies } : {}) }));
    await writeFile(join(dir, 'index.js'), pluginSource(id));
  }

  before(async () => {
    coreVersion = (JSON.parse(await readFile(join(repoRoot, 'core', 'package.json'), 'utf8')) as { version: string }).version;
    // Inside the repo, so the fixtures' `@payhost/core` import resolves to the workspace package.
    await mkdir(join(repoRoot, '.tmp'), { recursive: true });
    hostDir = await mkdtemp(join(repoRoot, '.tmp', 'host-core-version-'));
    await writeFile(join(hostDir, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    const [major] = coreVersion.split('.');
    await plugin('@acme/next-major', 'acme.next', { '@payhost/core': `^${Number(major) + 2}.0.0` });
    await plugin('acme-caret', 'acme.caret', { '@payhost/core': `^${coreVersion}` });
    await plugin('acme-no-peer', 'acme.nopeer');
    await plugin('acme-other-peer', 'acme.otherpeer', { react: '^18.0.0' });
    await mkdir(join(hostDir, 'plugins'));
    await writeFile(join(hostDir, 'plugins', 'local.js'), pluginSource('local.path'));
  });

  after(async () => {
    await rm(hostDir, { recursive: true, force: true });
  });

  it('refuses a package whose peer range excludes the host core (incompatible_core), naming the range, the host version and what to do', async () => {
    const { logger } = captureLogger();
    const err = await rejection(loadPlugins(['@acme/next-major'], { baseDir: hostDir, logger }));
    expect(err.code).to.equal('plugin_load_failed');
    const range = `^${Number(coreVersion.split('.')[0]) + 2}.0.0`;
    expect(err.details).to.deep.equal({ source: '@acme/next-major', reason: 'incompatible_core', requiredRange: range, hostVersion: coreVersion });
    expect(err.message).to.include(`Plugin package "@acme/next-major" 1.0.0 is built for @payhost/core ${range} (its peerDependencies), but this host has @payhost/core ${coreVersion}`);
    expect(err.message).to.include(`install a version of the plugin whose peerDependencies accept @payhost/core ${coreVersion}`);
  });

  it('loads a package whose peer range holds the host core, without a warning', async () => {
    const capture = captureLogger();
    const classes = await loadPlugins(['acme-caret', './plugins/local.js'], { baseDir: hostDir, logger: capture.logger });
    expect(classes.map((c) => c.id)).to.deep.equal(['acme.caret', 'local.path']);
    expect(capture.lines).to.deep.equal([]);
  });

  it('loads a package that declares no @payhost/core peer range, with one warning naming it', async () => {
    const capture = captureLogger();
    const classes = await loadPlugins(['acme-no-peer', 'acme-other-peer', 'acme-caret'], { baseDir: hostDir, logger: capture.logger });
    expect(classes.map((c) => c.id)).to.deep.equal(['acme.nopeer', 'acme.otherpeer', 'acme.caret']);
    const warnings = capture.lines.filter((line) => line['level'] === 40);
    expect(warnings.map((line) => line['package'])).to.deep.equal(['acme-no-peer', 'acme-other-peer']);
    expect(warnings[0]!['msg']).to.include(`Plugin package "acme-no-peer" 1.0.0 does not declare @payhost/core in its peerDependencies: payhost cannot check that it was built for this host's @payhost/core ${coreVersion}`);
    expect(capture.lines).to.have.length(2);
  });

  it("PluginManager.create writes that warning to the host's logger (not to stderr)", async () => {
    const capture = captureLogger();
    const manager = await PluginManager.create({ plugins: ['acme-no-peer'], pluginBaseDir: hostDir, config: { channels: [] }, logger: capture.logger });
    await manager.close();
    const warnings = capture.lines.filter((line) => line['level'] === 40 && line['package'] === 'acme-no-peer');
    expect(warnings).to.have.length(1);
  });
});
