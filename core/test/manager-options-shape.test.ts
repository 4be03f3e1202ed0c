import { expect } from 'chai';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PluginManager, type PluginClass } from '@payhost/core';
import { repoRoot, rejection } from './support/loader.js';
import { GatewayA } from './support/plugins.js';

const fixtures = join(repoRoot, 'core', 'test', 'fixtures', 'plugin-packages');
const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'acme.gateway': { active: true } } }] };

describe('PluginManager options: pluginBaseDir and plugins', () => {
  let hostDir: string;

  before(async () => {
    // Inside the repo, so the fixture's `@payhost/core` import resolves to the workspace package.
    await mkdir(join(repoRoot, '.tmp'), { recursive: true });
    hostDir = await mkdtemp(join(repoRoot, '.tmp', 'host-app-'));
    await writeFile(join(hostDir, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    await cp(join(fixtures, 'acme-gateway'), join(hostDir, 'node_modules', 'acme-gateway'), { recursive: true });
  });

  after(async () => {
    await rm(hostDir, { recursive: true, force: true });
  });

  it('a relative pluginBaseDir is taken from the current directory (not a raw ERR_INVALID_ARG_VALUE)', async () => {
    const manager = await PluginManager.create({ plugins: ['acme-gateway'], pluginBaseDir: relative(process.cwd(), hostDir), config });
    try {
      expect((await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).map((g) => g.id)).to.deep.equal(['acme.gateway']);
    } finally {
      await manager.close();
    }
  });

  it('a pluginBaseDir that is not a path is invalid_configuration naming the option', async () => {
    const err = await rejection(PluginManager.create({ plugins: ['acme-gateway'], pluginBaseDir: 42 as unknown as string, config }));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.equal({ option: 'pluginBaseDir' });
  });

  it('create() without plugins is invalid_configuration naming `plugins`, not "specs is not iterable"', async () => {
    const err = await rejection(PluginManager.create({ config: 'payhost.config.json' } as unknown as Parameters<typeof PluginManager.create>[0]));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.equal('plugins must be an array of plugin classes (or, for PluginManager.create, package names); it is missing');
    expect(err.details).to.deep.equal({ option: 'plugins' });
  });

  it('new PluginManager with one class instead of an array is invalid_configuration saying to wrap it', () => {
    let err: { code?: string; message: string; details?: unknown } | undefined;
    try {
      new PluginManager({ plugins: GatewayA as unknown as PluginClass[], config: { channels: [] } });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal('invalid_configuration');
    expect(err?.message).to.equal('plugins must be an array of plugin classes (or, for PluginManager.create, package names); not a single class or function (GatewayA): wrap it in [ ]');
    expect(err?.details).to.deep.equal({ option: 'plugins' });
  });

  it('a plugins value of another type is named by its type', () => {
    expect(() => new PluginManager({ plugins: 'acme-gateway' as unknown as PluginClass[], config: { channels: [] } })).to.throw('plugins must be an array of plugin classes (or, for PluginManager.create, package names); not a value of type string');
  });
});
