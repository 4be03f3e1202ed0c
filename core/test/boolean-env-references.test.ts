import { expect } from 'chai';
import { BasePlugin, PluginManager, type HostConfigInput, type PluginInit } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { refusal } from './support/refusal.js';

// A Boolean field may be written as a ${NAME} reference, as any string value may (configuration.md,
// Environment references): resolved and read as a boolean when the plugin is built.
let seen: unknown[] = [];

class Flagged extends BasePlugin {
  static override id = 'test.flagged';
  static override configStructure = { sandbox: { type: 'Boolean' as const, label: 'Sandbox' }, name: { type: 'String' as const, label: 'Name' } };
  static override defaultConfiguration = { sandbox: false, name: 'x' };
  constructor(init: PluginInit) {
    super(init);
    seen.push(this.configuration['sandbox']);
  }
}

const config = (sandbox: unknown, active: unknown = true): HostConfigInput => ({
  channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.flagged': { active, configuration: { sandbox } } as never } }],
});

describe('config: a Boolean field written as an environment reference', () => {
  beforeEach(() => {
    seen = [];
  });

  it('is resolved and read as a boolean when the plugin is built', async () => {
    for (const [value, env, expected] of [
      ['${SANDBOX}', { SANDBOX: 'true' }, true],
      ['${SANDBOX}', { SANDBOX: 'off' }, false],
      ['${SANDBOX:-yes}', {}, true],
      ['${SANDBOX:-1}', { SANDBOX: '' }, true],
    ] as const) {
      seen = [];
      const manager = new PluginManager({ plugins: [Flagged], config: config(value), env, logger: captureLogger().logger });
      expect(seen, value).to.deep.equal([expected]);
      // The written settings keep the reference, as a String field's do.
      expect(manager.getPluginConfiguration('test.flagged', 'us').configuration['sandbox']).to.equal(value);
      await manager.close();
    }
  });

  it('one that is not a boolean once resolved is invalid_configuration naming the field and the variable, not the value', () => {
    const err = refusal(() => new PluginManager({ plugins: [Flagged], config: config('${SANDBOX}'), env: { SANDBOX: 'sk_live_maybe' }, logger: captureLogger().logger }));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.include({ plugin: 'test.flagged', field: 'sandbox', variables: ['SANDBOX'] });
    expect(err.message).to.include('"sandbox"').and.include('SANDBOX').and.not.include('sk_live_maybe');
  });

  it('an unset variable is refused as for any field; a string without a reference is still no boolean', () => {
    expect(refusal(() => new PluginManager({ plugins: [Flagged], config: config('${SANDBOX}'), env: {} })).details).to.deep.include({ field: 'sandbox', variable: 'SANDBOX' });
    expect(refusal(() => new PluginManager({ plugins: [Flagged], config: config('maybe'), env: {} })).details).to.deep.include({ field: 'sandbox' });
  });

  it('"active" takes no reference, and says so', () => {
    const err = refusal(() => new PluginManager({ plugins: [Flagged], config: config(true, '${ACTIVE}'), env: { ACTIVE: 'true' } }));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.include('cannot hold an environment reference');
  });
});
