import { expect } from 'chai';
import { ERROR_CODES, PluginManager, UNKNOWN_FIELDS_REASON, mergeConfiguration, silentLogger } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { GatewayA } from './support/plugins.js';
import { refusal } from './support/refusal.js';

const FIELDS = '"supported_currencies", "auto_capture", "api_key", "secret_key", "password", "webhook_url"';

function manager(logger = silentLogger()): PluginManager {
  return new PluginManager({
    plugins: [GatewayA],
    config: { channels: [{ slug: 'us', currencies: ['USD', 'EUR'], plugins: { 'test.gateway-a': { active: true, configuration: { secret_key: 'sk_test_unknown_fields_0001' } } } }] },
    logger,
  });
}

/**
 * An update naming a field the plugin does not declare (a misspelt `suported_currencies`) was merged, then
 * dropped by validation: the change "succeeded" and changed nothing. It is refused; the file keeps dropping them.
 */
describe('configuration: an update naming fields the plugin does not declare is refused (unknown_fields)', () => {
  it('refuses a misspelt field with invalid_configuration, reason unknown_fields, suggesting the close name and listing the fields', () => {
    const err = refusal(() => mergeConfiguration(GatewayA, {}, { suported_currencies: 'EUR', auto_capture: false }, { plugin: 'test.gateway-a', channel: 'us' }));
    expect(err.code).to.equal(ERROR_CODES.invalidConfiguration);
    expect(UNKNOWN_FIELDS_REASON).to.equal('unknown_fields');
    expect(err.details).to.deep.equal({ plugin: 'test.gateway-a', channel: 'us', reason: 'unknown_fields', fields: ['suported_currencies'] });
    expect(err.message).to.equal(
      `Unknown configuration field "suported_currencies" (did you mean "supported_currencies"?) of plugin "test.gateway-a": its fields are ${FIELDS} (nothing saved)`,
    );
  });

  it('names every unknown field, suggesting only where a declared name is close (case aside, or two edits)', () => {
    const err = refusal(() => mergeConfiguration(GatewayA, {}, { API_KEY: 'pk', secretkey: 'x', currency: 'USD' }));
    expect(err.details).to.deep.include({ plugin: 'test.gateway-a', fields: ['API_KEY', 'secretkey', 'currency'] });
    expect(err.message).to.include('fields "API_KEY" (did you mean "api_key"?), "secretkey" (did you mean "secret_key"?), "currency" of plugin');
  });

  it('through the manager (the library path): nothing changes, the version stays', () => {
    const m = manager();
    const version = m.configVersion;
    const before = m.getPluginConfiguration('test.gateway-a', 'us');
    const err = refusal(() => m.updatePluginConfiguration('test.gateway-a', 'us', { active: false, configuration: { suported_currencies: 'EUR' } }));
    expect(err.details).to.deep.include({ plugin: 'test.gateway-a', channel: 'us', reason: 'unknown_fields', fields: ['suported_currencies'] });
    expect(m.configVersion).to.equal(version);
    expect(m.getPluginConfiguration('test.gateway-a', 'us')).to.deep.equal(before);
  });

  it('settings written as they are (the configuration file, setPluginSettings) still drop an unknown field with a warning', () => {
    const log = captureLogger();
    const m = manager(log.logger);
    m.setPluginSettings('test.gateway-a', 'us', { active: true, configuration: { supported_currencies: 'EUR', newer_option: 'x' } });
    expect(m.getPluginConfiguration('test.gateway-a', 'us').configuration).to.include({ supported_currencies: 'EUR' }).and.not.to.have.property('newer_option');
    expect(log.text()).to.include('Unknown configuration field \\"newer_option\\" of plugin \\"test.gateway-a\\" dropped');
  });

  it('a prepared change says whether it changes anything (unchanged), so a host can save nothing', () => {
    const m = manager();
    const form = m.getPluginConfiguration('test.gateway-a', 'us');
    const same = m.preparePluginConfiguration('test.gateway-a', 'us', { active: form.active, configuration: form.configuration });
    expect(same.unchanged).to.equal(true);
    void same.discard();
    const empty = m.preparePluginConfiguration('test.gateway-a', 'us', {});
    expect(empty.unchanged).to.equal(true);
    void empty.discard();
    const other = m.preparePluginConfiguration('test.gateway-a', 'us', { configuration: { supported_currencies: 'EUR' } });
    expect(other.unchanged).to.equal(false);
    void other.discard();
    // A plugin the configuration does not mention runs with its defaults: sending them is no change either.
    const bare = new PluginManager({ plugins: [GatewayA], config: { channels: [{ slug: 'us', currencies: ['USD'] }] }, logger: silentLogger() });
    const defaults = bare.preparePluginSettings('test.gateway-a', 'us', undefined);
    expect(defaults.unchanged).to.equal(true);
    void defaults.discard();
  });
});
