import { expect } from 'chai';
import { BasePlugin, ERROR_CODES, FILE_ONLY_REASON, PluginManager, mergeConfiguration, withFileOnlyFromFile, type ConfigStructure } from '@payhost/core';
import { GatewayA } from './support/plugins.js';
import { refusal } from './support/refusal.js';

/** A gateway with a directory it creates: only the configuration file may set it. */
class StatefulGateway extends GatewayA {
  static override id = 'test.stateful';
  static override configStructure: ConfigStructure = {
    ...GatewayA.configStructure,
    state_dir: { type: 'String', label: 'State directory', fileOnly: true },
    note: { type: 'String', label: 'Note' },
  };
  static override defaultConfiguration = { ...GatewayA.defaultConfiguration, state_dir: null, note: null };
}

describe('configuration: a fileOnly field is set in the configuration file only', () => {
  const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.stateful': { active: true, configuration: { state_dir: '/var/lib/payhost/state' } } } }] };

  it('refuses an admin update that changes it (file_only_field, naming the field), and changes nothing', () => {
    const manager = new PluginManager({ plugins: [StatefulGateway], config });
    for (const value of ['/etc/cron.d', '', null]) {
      const err = refusal(() => manager.updatePluginConfiguration('test.stateful', 'us', { configuration: { state_dir: value, note: 'x' } }));
      expect(err.code, String(value)).to.equal(ERROR_CODES.invalidConfiguration);
      expect(err.details, String(value)).to.deep.equal({ plugin: 'test.stateful', channel: 'us', reason: FILE_ONLY_REASON, fields: ['state_dir'] });
      expect(err.message).to.include('"state_dir"').and.include('configuration file');
    }
    expect(manager.getPluginConfiguration('test.stateful', 'us').configuration).to.include({ state_dir: '/var/lib/payhost/state', note: null });
  });

  it('takes an update that leaves it out or sends it back unchanged (an admin form round trip)', () => {
    const manager = new PluginManager({ plugins: [StatefulGateway], config });
    manager.updatePluginConfiguration('test.stateful', 'us', { configuration: { note: 'one' } });
    manager.updatePluginConfiguration('test.stateful', 'us', { configuration: { note: 'two', state_dir: ' /var/lib/payhost/state ' } });
    expect(manager.getPluginConfiguration('test.stateful', 'us').configuration).to.include({ note: 'two' });
    // Unset in the file: sending the empty value back is no change either.
    expect(() => mergeConfiguration(StatefulGateway, { state_dir: null }, { state_dir: '' })).to.not.throw();
  });

  it("a saved change takes the file's value for it (absent from the file: the default)", () => {
    const saved = { active: true, configuration: { state_dir: '/etc/cron.d', note: 'saved' } };
    expect(withFileOnlyFromFile(StatefulGateway.configStructure, saved, { active: true, configuration: { state_dir: '/srv/state' } }).configuration).to.deep.equal({ state_dir: '/srv/state', note: 'saved' });
    expect(withFileOnlyFromFile(StatefulGateway.configStructure, saved, undefined).configuration).to.deep.equal({ note: 'saved' });
  });

  it('the loader refuses a fileOnly flag that is not a boolean', () => {
    class Bad extends BasePlugin {
      static override id = 'bad-file-only';
      static override configStructure = { dir: { type: 'String', label: 'Dir', fileOnly: 'yes' } } as never;
    }
    expect(() => new PluginManager({ plugins: [Bad] } as never)).to.throw(/fileOnly of config field "dir" of "bad-file-only" must be a boolean, not "yes"/);
  });
});
