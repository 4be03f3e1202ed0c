import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, type PluginInit } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

// A plugin settings update (or settings as they are) is `{ active, configuration }` and nothing else:
// a misspelt key is refused before anything is built, as the configuration file refuses it.

let built = 0;

class Keyed extends BasePlugin {
  static override id = 'test.keyed';
  static override configStructure = { public_key: { type: 'String' as const, label: 'Public key' } };
  static override defaultConfiguration = { public_key: 'pk_1' };
  constructor(init: PluginInit) {
    super(init);
    built++;
  }
}

function build(): PluginManager {
  return new PluginManager({
    plugins: [Keyed],
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.keyed': { active: true } } }] },
    logger: captureLogger().logger,
  });
}

/** Runs `change`, expects invalid_configuration naming `key`, and that nothing was built or changed. */
function expectRefused(manager: PluginManager, change: () => unknown, key: string): void {
  const before = { built, version: manager.configVersion, view: manager.getPluginConfiguration('test.keyed', 'us') };
  let thrown: unknown;
  try {
    change();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'the change is refused').to.be.instanceOf(PayhostError);
  const err = thrown as PayhostError;
  expect(err.code).to.equal('invalid_configuration');
  expect(err.message).to.include(`"${key}"`);
  expect(err.details).to.deep.include({ plugin: 'test.keyed', channel: 'us', key });
  expect(built, 'no plugin instance was built').to.equal(before.built);
  expect(manager.configVersion).to.equal(before.version);
  expect(manager.getPluginConfiguration('test.keyed', 'us')).to.deep.equal(before.view);
}

describe('manager: plugin settings keys', () => {
  let manager: PluginManager;
  beforeEach(() => {
    manager = build();
    built = 0;
  });
  afterEach(() => manager.close());

  it('updatePluginConfiguration refuses misspelt keys (activ, config) instead of building a version that changes nothing', () => {
    const misspelt = { activ: false, config: { public_key: 'x' } } as never;
    expectRefused(manager, () => manager.updatePluginConfiguration('test.keyed', 'us', misspelt), 'activ');
    expectRefused(manager, () => manager.updatePluginConfiguration('test.keyed', 'us', { config: { public_key: 'x' } } as never), 'config');
    // Beside a right key too: the update would half apply.
    expectRefused(manager, () => manager.updatePluginConfiguration('test.keyed', 'us', { active: false, configuraton: {} } as never), 'configuraton');
  });

  it('preparePluginConfiguration refuses them the same way, before building', () => {
    expectRefused(manager, () => manager.preparePluginConfiguration('test.keyed', 'us', { activ: false } as never), 'activ');
  });

  it('setPluginSettings and preparePluginSettings refuse them too (they would reset the plugin to its defaults)', () => {
    expectRefused(manager, () => manager.setPluginSettings('test.keyed', 'us', { activ: false } as never), 'activ');
    expectRefused(manager, () => manager.preparePluginSettings('test.keyed', 'us', { active: true, config: {} } as never), 'config');
  });

  it('refuses an active that is not a boolean (or a boolean string), null included', () => {
    for (const active of [null, 1, {}, []]) {
      expectRefused(manager, () => manager.updatePluginConfiguration('test.keyed', 'us', { active } as never), 'active');
    }
  });

  it('refuses a configuration that is not an object', () => {
    for (const configuration of ['public_key=x', [], null, 5]) {
      expectRefused(manager, () => manager.updatePluginConfiguration('test.keyed', 'us', { configuration } as never), 'configuration');
    }
  });

  it('still takes the documented forms: "true"/"false" strings, either key alone, a key given as undefined', () => {
    expect(manager.updatePluginConfiguration('test.keyed', 'us', { active: 'false' }).active).to.equal(false);
    expect(manager.updatePluginConfiguration('test.keyed', 'us', { configuration: { public_key: 'pk_2' } }).configuration['public_key']).to.equal('pk_2');
    expect(manager.updatePluginConfiguration('test.keyed', 'us', { active: true, configuration: undefined }).active).to.equal(true);
    manager.setPluginSettings('test.keyed', 'us', undefined);
    expect(manager.getPluginConfiguration('test.keyed', 'us').configuration['public_key']).to.equal('pk_1');
    expect(manager.configVersion).to.equal(5);
  });
});
