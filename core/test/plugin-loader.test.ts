import { expect } from 'chai';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BasePlugin, Decimal, PLUGIN_ID_RULE, PluginManager, loadPlugins } from '@payhost/core';
import { rejection, repoRoot } from './support/loader.js';
import { payment } from './support/plugins.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'plugin-packages');

describe('loading plugins by package name', () => {
  let hostDir: string;

  before(async () => {
    // A host app inside the repo, so the fixtures' `@payhost/core` import resolves to the workspace package.
    await mkdir(join(repoRoot, '.tmp'), { recursive: true });
    hostDir = await mkdtemp(join(repoRoot, '.tmp', 'host-app-'));
    await writeFile(join(hostDir, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    for (const name of ['acme-gateway', 'acme-multi', 'acme-bad-export', 'acme-bad-config', 'acme-broken-import', 'acme-duplicate', 'acme-require-only', 'acme-missing-main', 'acme-ts-commonjs', 'acme-named-only', 'acme-unbuilt']) {
      await cp(join(fixtures, name), join(hostDir, 'node_modules', name), { recursive: true });
    }
  });

  after(async () => {
    await rm(hostDir, { recursive: true, force: true });
  });

  it('imports a package from the host app directory and uses it for a payment', async () => {
    const manager = await PluginManager.create({
      plugins: ['acme-gateway'],
      pluginBaseDir: hostDir,
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'acme.gateway': { active: true } } }] },
    });
    const gateways = await manager.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(gateways.map((g) => g.id)).to.deep.equal(['acme.gateway']);
    const response = await manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal('5.00') }) });
    expect(response).to.include({ isSuccess: true, transactionId: 'acme-1' });
  });

  it('accepts a list of plugins exported as `plugins`, mixed with classes, in declared order', async () => {
    class Local extends BasePlugin {
      static override id = 'local';
      async getSupportedCurrencies(_i: unknown, previous: string[]): Promise<string[]> {
        return [...previous, 'LOCAL'];
      }
    }
    const classes = await loadPlugins([Local, 'acme-multi'], { baseDir: hostDir });
    expect(classes.map((c) => c.id)).to.deep.equal(['local', 'acme.first', 'acme.second']);
    const manager = new PluginManager({
      plugins: classes,
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { local: { active: true }, 'acme.first': { active: true }, 'acme.second': { active: true } } }] },
    });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['LOCAL', 'FIRST', 'SECOND']);
  });

  const failures: Array<[string, string[], string, string]> = [
    ['a missing package', ['acme-missing'], 'not_found', 'acme-missing'],
    ['an export that is not a plugin class', ['acme-bad-export'], 'bad_export', 'not a plugin class'],
    ['an invalid config structure', ['acme-bad-config'], 'invalid_plugin', '"Number"'],
    ['a package that throws on import', ['acme-broken-import'], 'import_failed', 'missing native module'],
    ['an installed package with no export for import (require only)', ['acme-require-only'], 'import_failed', 'is installed but cannot be imported'],
    ['an installed package whose main file is missing (not built)', ['acme-missing-main'], 'import_failed', 'its entry point'],
    ['a duplicate plugin id', ['acme-gateway', 'acme-duplicate'], 'duplicate_id', 'acme.gateway'],
  ];
  for (const [what, specs, reason, messagePart] of failures) {
    it(`fails at boot with plugin_load_failed for ${what}`, async () => {
      const err = await rejection(loadPlugins(specs, { baseDir: hostDir }));
      expect(err.code).to.equal('plugin_load_failed');
      expect(err.details?.['reason']).to.equal(reason);
      expect(err.message).to.include(messagePart);
    });
  }

  it("takes a CommonJS package's `exports.default` (TypeScript's `export default` compiled to CommonJS) as its default export", async () => {
    const manager = await PluginManager.create({
      plugins: ['acme-ts-commonjs'],
      pluginBaseDir: hostDir,
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'acme.cjs': { active: true } } }] },
    });
    expect((await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).map((g) => g.id)).to.deep.equal(['acme.cjs']);
    expect(await manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal('5.00') }) })).to.include({ isSuccess: true, transactionId: 'cjs-1' });
    await manager.close();
  });

  it('says what a package exports when none of it is a plugin export, and how to export the plugin class it has', async () => {
    const err = await rejection(loadPlugins(['acme-named-only'], { baseDir: hostDir }));
    expect(err.details).to.include({ reason: 'bad_export' });
    expect(err.message).to.include('it exports ACME_TOKENS, AcmeNamed').and.to.include('add `export default AcmeNamed`');
    const bad = await rejection(loadPlugins(['acme-bad-export'], { baseDir: hostDir }));
    expect(bad.message).to.include('the export is not a plugin class: it is an object with keys id');
  });

  it('names the missing entry file of a package that is not built, rather than an import from the loader', async () => {
    const err = await rejection(loadPlugins(['acme-unbuilt'], { baseDir: hostDir }));
    expect(err.details).to.include({ reason: 'import_failed' });
    expect(err.message).to.include(`its entry point ${join(hostDir, 'node_modules', 'acme-unbuilt', 'dist', 'index.js')} does not exist: build the package`);
    expect(err.message).not.to.include('plugin-loader');
    // Without "exports": Node's resolution fails first, naming the host's package.json; the message names the "main" file.
    const main = await rejection(loadPlugins(['acme-missing-main'], { baseDir: hostDir }));
    expect(main.details).to.include({ reason: 'import_failed' });
    expect(main.message).to.equal(
      `Plugin package "acme-missing-main" is installed but its entry point ${join(hostDir, 'node_modules', 'acme-missing-main', 'dist', 'index.js')} does not exist: build the package, and check that "files" in its package.json ships it`,
    );
  });

  it('a missing package names the directory it was resolved from, and where each way of loading resolves from', async () => {
    const err = await rejection(loadPlugins(['acme-missing'], { baseDir: hostDir }));
    expect(err.message).to.include(`resolved from ${hostDir}: install it there`);
    // The payhost command resolves from its configuration file's directory (it has no pluginBaseDir): the hint says both.
    expect(err.message).to.include("the payhost command and server resolve plugins from the configuration file's directory");
    expect(err.message).to.include('PluginManager.create from pluginBaseDir, default the current directory');
  });

  it('rejects an id that breaks the plugin id rule the server checks ids by, and names a field type written in the wrong case', async () => {
    // Each of these loaded before and could not be addressed: the server's routes refused them, or read them as another path.
    for (const id of ['Acme Pay', 'acme/gateway', 'acme.gateway\n', 'acme:card', 'zeta+gw', 'zeta?gw', 'zeta#gw', 'z\u00e9ta', 'acme%2Fgw', '.', '..', 'a'.repeat(201)]) {
      class BadId extends BasePlugin {
        static override id = id;
      }
      const err = await rejection(loadPlugins([BadId], { baseDir: hostDir }));
      expect(err.details, id).to.include({ reason: 'invalid_plugin' });
      expect(err.message, id).to.include(`the static id ${JSON.stringify(id)} is not a valid plugin id (${PLUGIN_ID_RULE})`);
    }
    for (const id of ['payhost.dummy', '@acme.card_v2-x', '...', '.a', 'a.', 'A', 'a'.repeat(200)]) {
      class GoodId extends BasePlugin {
        static override id = id;
      }
      const [loaded] = await loadPlugins([GoodId], { baseDir: hostDir });
      expect(loaded?.id, id).to.equal(id);
    }
    class LowerCase extends BasePlugin {
      static override id = 'lower-case';
      static override configStructure = { auto_capture: { type: 'boolean', label: 'Auto capture' } } as never;
    }
    const err = await rejection(loadPlugins([LowerCase], { baseDir: hostDir }));
    expect(err.message).to.include('has type "boolean" (did you mean "Boolean"? field types are case-sensitive)');
  });

  it('rejects a class that does not extend BasePlugin (nor has its members) as invalid_plugin', async () => {
    class Plain {
      static id = 'plain';
      static configStructure = {};
      static defaultConfiguration = {};
      static configurationPerChannel = true;
      static defaultActive = true;
      async processPayment(): Promise<null> {
        return null;
      }
    }
    const err = await rejection(loadPlugins([Plain as never], { baseDir: hostDir }));
    expect(err.code).to.equal('plugin_load_failed');
    expect(err.details?.['reason']).to.equal('invalid_plugin');
    expect(err.message).to.include('does not extend BasePlugin');
  });

  it('accepts a class with BasePlugin\'s members that does not inherit this copy of it (another @payhost/core)', async () => {
    const members = Object.getOwnPropertyDescriptors(BasePlugin.prototype);
    function Foreign(this: unknown) {}
    Object.assign(Foreign, { id: 'foreign', configStructure: {}, defaultConfiguration: {}, configurationPerChannel: true, defaultActive: false });
    Object.defineProperties(Foreign.prototype, { id: members['id']!, pluginName: members['pluginName']!, gatewayConfig: members['gatewayConfig']!, getPaymentGateways: members['getPaymentGateways']! });
    expect((await loadPlugins([Foreign as never], { baseDir: hostDir })).map((c) => c.id)).to.deep.equal(['foreign']);
  });

  it('rejects a non-boolean defaultActive, and defaults that do not hold their field\'s type, as invalid_plugin', async () => {
    const plugin = (id: string, statics: Record<string, unknown>) => {
      class P extends BasePlugin {
        static override id = id;
        static override configStructure = { auto_capture: { type: 'Boolean' as const, label: 'Auto capture' }, note: { type: 'String' as const, label: 'Note' } };
      }
      return Object.assign(P, statics);
    };
    for (const [cls, part] of [
      [plugin('str-active', { defaultActive: 'false' }), 'defaultActive of "str-active" must be a boolean'],
      [plugin('str-bool', { defaultConfiguration: { auto_capture: 'yes' } }), 'Boolean field "auto_capture"'],
      [plugin('num-string', { defaultConfiguration: { note: 42 } }), 'String field "note"'],
      [plugin('list-defaults', { defaultConfiguration: [] }), 'defaultConfiguration of "list-defaults" must be an object'],
    ] as const) {
      const err = await rejection(loadPlugins([cls as never], { baseDir: hostDir }));
      expect(err.details?.['reason']).to.equal('invalid_plugin');
      expect(err.message).to.include(part);
    }
    const fine = plugin('fine', { defaultActive: true, defaultConfiguration: { auto_capture: false, note: null } });
    expect((await loadPlugins([fine as never], { baseDir: hostDir })).map((c) => c.id)).to.deep.equal(['fine']);
  });

  it('rejects a receivesSecrets that is not a boolean, or is set on a field that cannot hold an address, naming the field (invalid_plugin)', async () => {
    const plugin = (id: string, field: Record<string, unknown>) => {
      class P extends BasePlugin {
        static override id = id;
        static override configStructure = { target: { label: 'Target', ...field } } as never;
      }
      return P;
    };
    for (const [cls, part] of [
      [plugin('str-flag', { type: 'String', receivesSecrets: 'no' }), 'receivesSecrets of config field "target" of "str-flag" must be a boolean, not "no"'],
      [plugin('num-flag', { type: 'Boolean', receivesSecrets: 1 }), 'receivesSecrets of config field "target" of "num-flag" must be a boolean, not 1'],
      [plugin('secret-flag', { type: 'Secret', receivesSecrets: true }), 'config field "target" of "secret-flag" declares receivesSecrets but is of type Secret'],
      [plugin('bool-flag', { type: 'Boolean', receivesSecrets: true }), 'config field "target" of "bool-flag" declares receivesSecrets but is of type Boolean'],
      [plugin('output-flag', { type: 'Output', receivesSecrets: true }), 'config field "target" of "output-flag" declares receivesSecrets but is of type Output'],
    ] as const) {
      const err = await rejection(loadPlugins([cls], { baseDir: hostDir }));
      expect(err.details?.['reason'], part).to.equal('invalid_plugin');
      expect(err.message).to.include(part);
    }
    // Also for classes given directly to the manager, which validates them the same way.
    expect(() => new PluginManager({ plugins: [plugin('direct-flag', { type: 'String', receivesSecrets: 'no' })] } as never)).to.throw(/must be a boolean, not "no"/);
    const fine = [plugin('url-flag', { type: 'String', receivesSecrets: true }), plugin('lines-flag', { type: 'Multiline', receivesSecrets: true }), plugin('off-flag', { type: 'Secret', receivesSecrets: false })];
    expect((await loadPlugins(fine, { baseDir: hostDir })).map((c) => c.id)).to.deep.equal(['url-flag', 'lines-flag', 'off-flag']);
  });

  it('rejects a class without an id, and a hook or a close that is not a function', async () => {
    class NoId extends BasePlugin {}
    expect((await rejection(loadPlugins([NoId as never], { baseDir: hostDir }))).message).to.include('no static "id"');
    class BadHook extends BasePlugin {
      static override id = 'bad-hook';
    }
    Object.defineProperty(BadHook.prototype, 'processPayment', { value: 'nope' });
    expect((await rejection(loadPlugins([BadHook], { baseDir: hostDir }))).message).to.include('"processPayment"');
    class BadClose extends BasePlugin {
      static override id = 'bad-close';
    }
    Object.defineProperty(BadClose.prototype, 'close', { value: true });
    const err = await rejection(loadPlugins([BadClose], { baseDir: hostDir }));
    expect(err.message).to.include('close of "bad-close" is not a function');
    expect(err.details).to.include({ reason: 'invalid_plugin' });
  });
});
