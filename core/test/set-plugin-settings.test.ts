import { expect } from 'chai';
import { PLUGIN_SCOPE_REASONS, PluginManager, silentLogger, type PluginClass } from '@payhost/core';
import { GatewayA, GlobalTagger } from './support/plugins.js';

// setPluginSettings: what a server applies when another instance saved an admin change (or withdrew one).

const plugins: PluginClass[] = [GatewayA, GlobalTagger];
const make = () =>
  new PluginManager({
    plugins,
    env: { GATEWAY_SECRET: 'sk_live_from_env_1234' },
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true, configuration: { secret_key: 'sk_test_file_secret' } } } }] },
    logger: silentLogger(),
  });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('PluginManager.setPluginSettings', () => {
  it('takes settings as they are: a secret unmasked, and a ${VAR} reference an admin update would refuse', () => {
    const manager = make();
    expect(codeOf(() => manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration: { secret_key: '${GATEWAY_SECRET}' } }))).to.equal('invalid_configuration');
    const version = manager.configVersion;
    manager.setPluginSettings('test.gateway-a', 'us', { active: true, configuration: { secret_key: '${GATEWAY_SECRET}', supported_currencies: 'USD' } });
    expect(manager.configVersion).to.equal(version + 1);
    expect(manager.resolveGateway('us', 'USD').instance.configuration['secret_key']).to.equal('sk_live_from_env_1234');
    // Validated like any settings: defaults back-filled.
    expect(manager.config.channels[0]?.plugins['test.gateway-a']?.configuration['api_key']).to.equal('pk_a');
  });

  it("undefined puts the plugin's defaults in force (its defaultActive: off)", async () => {
    const manager = make();
    manager.setPluginSettings('test.gateway-a', 'us', undefined);
    expect(manager.config.channels[0]?.plugins['test.gateway-a']).to.deep.include({ active: GatewayA.defaultActive });
    expect(manager.config.channels[0]?.plugins['test.gateway-a']?.configuration['secret_key']).to.equal(null);
  });

  it('refuses invalid settings, an unknown plugin or channel, with typed errors, changing nothing', () => {
    const manager = make();
    const version = manager.configVersion;
    const before = JSON.stringify(manager.config);
    expect(codeOf(() => manager.setPluginSettings('test.gateway-a', 'us', { active: true, configuration: { supported_currencies: 'NOPE' } }))).to.equal('invalid_configuration');
    expect(codeOf(() => manager.setPluginSettings('test.gateway-a', 'us', { active: 'perhaps' as unknown as boolean, configuration: {} }))).to.equal('invalid_configuration');
    expect(codeOf(() => manager.setPluginSettings('nope', 'us', { active: true, configuration: {} }))).to.equal('unknown_plugin');
    expect(codeOf(() => manager.setPluginSettings('test.gateway-a', 'mars', { active: true, configuration: {} }))).to.equal('unknown_channel');
    expect(codeOf(() => manager.setPluginSettings('test.global-tagger', 'us', { active: true, configuration: {} }))).to.equal('unknown_plugin');
    expect(manager.configVersion).to.equal(version);
    expect(JSON.stringify(manager.config)).to.equal(before);
  });

  it('a plugin asked for at the other scope is unknown_plugin there, details.reason saying where it is configured, from every configuration call', () => {
    const manager = make();
    const version = manager.configVersion;
    const errorOf = (fn: () => unknown): { code?: string; details?: Record<string, unknown> } => {
      try {
        fn();
      } catch (err) {
        return err as { code?: string; details?: Record<string, unknown> };
      }
      return {};
    };
    const calls = (plugin: string, channel: string | null): Array<() => unknown> => [
      () => manager.getPluginConfiguration(plugin, channel),
      () => manager.updatePluginConfiguration(plugin, channel, { active: true }),
      () => manager.preparePluginConfiguration(plugin, channel, { active: true }),
      () => manager.setPluginSettings(plugin, channel, undefined),
      () => manager.preparePluginSettings(plugin, channel, undefined),
    ];
    for (const call of calls('test.gateway-a', null)) {
      const err = errorOf(call);
      expect([err.code, err.details]).to.deep.equal(['unknown_plugin', { plugin: 'test.gateway-a', channel: null, reason: PLUGIN_SCOPE_REASONS.configuredPerChannel }]);
    }
    for (const call of calls('test.global-tagger', 'us')) {
      const err = errorOf(call);
      expect([err.code, err.details]).to.deep.equal(['unknown_plugin', { plugin: 'test.global-tagger', channel: 'us', reason: PLUGIN_SCOPE_REASONS.configuredGlobally }]);
    }
    expect(PLUGIN_SCOPE_REASONS).to.deep.equal({ configuredPerChannel: 'configured_per_channel', configuredGlobally: 'configured_globally' });
    // An unknown plugin or channel has no reason: nothing is configured anywhere under that name.
    expect(errorOf(() => manager.getPluginConfiguration('nope', null)).details).to.deep.equal({ plugin: 'nope' });
    expect(manager.configVersion).to.equal(version);
  });
});
