import { expect } from 'chai';
import { BasePlugin, PluginManager, unsetEnvReferences, type HostConfigInput } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { refusal } from './support/refusal.js';

// An unset or malformed ${NAME} in a plugin's settings names where it is written, plugin and channel, as the
// configuration's other errors at a place do (`Invalid configuration at "channels.1.plugins.x" (channel "eu-store")`).

const fields = { api_key: { type: 'String' as const, label: 'API key' }, sandbox: { type: 'Boolean' as const, label: 'Sandbox' } };

class Keyed extends BasePlugin {
  static override id = 'test.keyed';
  static override configStructure = fields;
}

class Audit extends BasePlugin {
  static override id = 'test.audit';
  static override configurationPerChannel = false;
  static override configStructure = fields;
}

const twoChannels = (euKey: unknown, euSandbox: unknown = false): HostConfigInput => ({
  channels: [
    { slug: 'us-store', currencies: ['USD'], plugins: { 'test.keyed': { configuration: { api_key: 'plain' } } } },
    { slug: 'eu-store', currencies: ['EUR'], plugins: { 'test.keyed': { configuration: { api_key: euKey, sandbox: euSandbox } } as never } },
  ],
});

const build = (config: HostConfigInput, env: NodeJS.ProcessEnv) => () => new PluginManager({ plugins: [Keyed, Audit], config, env, logger: captureLogger().logger });

describe('config: an environment reference that cannot be resolved names its plugin and channel', () => {
  it('an unset variable: the place in the file, the channel, and the details', () => {
    const err = refusal(build(twoChannels('${EU_KEY}'), {}));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.equal(
      'Invalid configuration at "channels.1.plugins.test.keyed.configuration.api_key" (channel "eu-store"): field "api_key" references environment variable EU_KEY, which is not set',
    );
    expect(err.details).to.deep.include({ plugin: 'test.keyed', channel: 'eu-store', field: 'api_key', variable: 'EU_KEY', path: 'channels.1.plugins.test.keyed.configuration.api_key' });
  });

  it('a malformed reference and a Boolean not a boolean once resolved say the place too (never the value)', () => {
    const malformed = refusal(build(twoChannels('${ EU_KEY }'), {}));
    expect(malformed.message).to.match(/^Invalid configuration at "channels\.1\.plugins\.test\.keyed\.configuration\.api_key" \(channel "eu-store"\): field "api_key" holds a malformed/);
    const notBoolean = refusal(build(twoChannels('k', '${EU_SANDBOX}'), { EU_SANDBOX: 'sk_live_secretish' }));
    expect(notBoolean.message).to.match(/^Invalid configuration at "channels\.1\.plugins\.test\.keyed\.configuration\.sandbox" \(channel "eu-store"\): field "sandbox" is not a boolean/);
    expect(notBoolean.message).to.not.include('sk_live_secretish');
    expect(notBoolean.details).to.deep.include({ plugin: 'test.keyed', channel: 'eu-store', variables: ['EU_SANDBOX'] });
  });

  it('a global plugin: globalPlugins.<id>, no channel', () => {
    const err = refusal(build({ channels: [], globalPlugins: { 'test.audit': { configuration: { api_key: '${AUDIT_TOKEN}' } } } }, {}));
    expect(err.message).to.equal('Invalid configuration at "globalPlugins.test.audit.configuration.api_key": field "api_key" references environment variable AUDIT_TOKEN, which is not set');
    expect(err.details).to.deep.include({ plugin: 'test.audit', channel: null, path: 'globalPlugins.test.audit.configuration.api_key' });
  });

  it('unsetEnvReferences lists every unset variable without a fallback', () => {
    expect(unsetEnvReferences({ a: '${A}/${B:-b}/${C}', b: '${SET}', c: true, d: null, e: '${EMPTY}' }, { SET: 'x', EMPTY: '' })).to.deep.equal([
      { field: 'a', variable: 'A' },
      { field: 'a', variable: 'C' },
    ]);
  });
});
