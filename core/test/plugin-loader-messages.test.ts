import { expect } from 'chai';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BasePlugin, Decimal, PluginManager, loadPlugins } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { rejection, repoRoot } from './support/loader.js';
import { payment } from './support/plugins.js';

const GATEWAY_SOURCE = (id: string) => `import { BasePlugin, Decimal, gatewayConfigFromValues } from '@payhost/core';

export default class Linked extends BasePlugin {
  static id = '${id}';
  static configStructure = { supported_currencies: { type: 'String', label: 'Currencies' } };
  static defaultConfiguration = { supported_currencies: 'USD' };
  gatewayConfig() {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(payment) {
    return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal(payment.amount), currency: payment.currency, transactionId: 'linked-1', error: null };
  }
}
`;

describe('loading plugins: what a refusal says', () => {
  let hostDir: string;

  before(async () => {
    // Inside the repo, so `@payhost/core` (and core's own dependencies) resolve from the workspace.
    await mkdir(join(repoRoot, '.tmp'), { recursive: true });
    hostDir = await mkdtemp(join(repoRoot, '.tmp', 'host-messages-'));
    await writeFile(join(hostDir, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    await mkdir(join(hostDir, 'plugins'));
    await writeFile(join(hostDir, 'plugins', 'local.js'), GATEWAY_SOURCE('local.path'));
    // A plugin with its own copy of @payhost/core in its node_modules, as `npm install ../acme-linked` (a symlink) leaves it.
    const pkg = join(hostDir, 'node_modules', 'acme-linked');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'acme-linked', version: '1.0.0', type: 'module', exports: { '.': './index.js' }, peerDependencies: { '@payhost/core': '*' } }));
    await writeFile(join(pkg, 'index.js'), GATEWAY_SOURCE('acme.linked'));
    const ownCore = join(pkg, 'node_modules', '@payhost', 'core');
    await mkdir(ownCore, { recursive: true });
    await cp(join(repoRoot, 'core', 'package.json'), join(ownCore, 'package.json'));
    await cp(join(repoRoot, 'core', 'dist'), join(ownCore, 'dist'), { recursive: true });
  });

  after(async () => {
    await rm(hostDir, { recursive: true, force: true });
  });

  it('says what is wrong with a static id: missing, not a string, empty (bad_export)', async () => {
    const withId = (id: unknown) => {
      class Acme extends BasePlugin {}
      Object.defineProperty(Acme, 'id', { value: id });
      return Acme;
    };
    for (const [id, part] of [
      [undefined, 'the plugin class Acme has no static "id"'],
      [42, 'the static "id" of Acme must be a string, not number 42'],
      [null, 'the static "id" of Acme must be a string, not null'],
      ['', 'the static "id" of Acme is empty'],
      ['  ', 'the static "id" of Acme is empty'],
    ] as const) {
      const err = await rejection(loadPlugins([withId(id) as never], { baseDir: hostDir }));
      expect(err.details, String(id)).to.include({ reason: 'bad_export' });
      expect(err.message, String(id)).to.include(part);
      if (id !== undefined) expect(err.message, String(id)).not.to.include('has no static');
    }
  });

  it('tells a class with static id and pluginName that does not extend BasePlugin to extend it, not that it "lacks id, pluginName"', async () => {
    class Standalone {
      static id = 'standalone';
      static pluginName = 'Standalone';
      static configStructure = {};
      static defaultConfiguration = {};
      static configurationPerChannel = true;
      static defaultActive = false;
    }
    const err = await rejection(loadPlugins([Standalone as never], { baseDir: hostDir }));
    expect(err.details).to.include({ reason: 'invalid_plugin' });
    expect(err.message).to.equal('class Standalone: "standalone" does not extend BasePlugin: it must extend BasePlugin from @payhost/core (`class Standalone extends BasePlugin`)');
    // A partial copy of BasePlugin's members: the ones it lacks are named.
    Object.defineProperty(Standalone.prototype, 'id', { get: () => 'standalone' });
    Object.defineProperty(Standalone.prototype, 'pluginName', { get: () => 'Standalone' });
    const partial = await rejection(loadPlugins([Standalone as never], { baseDir: hostDir }));
    expect(partial.message).to.include('it must extend BasePlugin from @payhost/core').and.to.include('its instances lack gatewayConfig, getPaymentGateways, which BasePlugin provides');
  });

  it('refuses a plugin path that does not exist as not_found, naming the path it resolved to', async () => {
    for (const [spec, resolved] of [
      ['./nope.js', join(hostDir, 'nope.js')],
      ['../nope/plugin.js', join(hostDir, '..', 'nope', 'plugin.js')],
      [join(hostDir, 'plugins', 'absent.js'), join(hostDir, 'plugins', 'absent.js')],
    ] as const) {
      const err = await rejection(loadPlugins([spec], { baseDir: hostDir }));
      expect(err.code, spec).to.equal('plugin_load_failed');
      expect(err.details, spec).to.deep.equal({ source: spec, reason: 'not_found' });
      expect(err.message, spec).to.equal(`Plugin module "${spec}" does not exist: it resolves (from ${hostDir}) to ${resolved}. Check the path; a relative one is taken from that directory`);
    }
    // A path that exists loads, relative to the base directory.
    expect((await loadPlugins(['./plugins/local.js'], { baseDir: hostDir })).map((c) => c.id)).to.deep.equal(['local.path']);
  });

  it('warns, naming the plugin and the fix, when a plugin was built against another copy of @payhost/core; it still runs', async () => {
    const log = captureLogger();
    const manager = await PluginManager.create({
      plugins: ['acme-linked', './plugins/local.js'],
      pluginBaseDir: hostDir,
      logger: log.logger,
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'acme.linked': { active: true } } }] },
    });
    const warnings = log.lines.filter((line) => line['level'] === 40 && String(line['msg']).includes('another copy of @payhost/core'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ plugin: 'acme.linked', class: 'Linked' });
    expect(warnings[0]?.['msg']).to.include('Plugin "acme.linked" (class Linked) does not extend this host\'s BasePlugin').and.to.include('npm pack').and.to.include('npm dedupe');
    expect(await manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal('5.00') }) })).to.include({ isSuccess: true, transactionId: 'linked-1' });
    // Said once per manager, not on every configuration change.
    manager.updatePluginConfiguration('acme.linked', 'us', { active: false });
    expect(log.lines.filter((line) => String(line['msg']).includes('another copy of @payhost/core'))).to.have.length(1);
    await manager.close();
  });
});
