import { expect } from 'chai';
import {
  ERROR_CODES,
  PluginManager,
  SECRET_ENDPOINT_REASONS,
  endpointHost,
  maskConfiguration,
  mergeConfiguration,
  secretEndpointChanges,
  silentLogger,
  type ConfigStructure,
  type ConfigValues,
} from '@payhost/core';
import { GatewayA } from './support/plugins.js';
import { refusal } from './support/refusal.js';

/** A gateway that sends its secrets to `api_base_url` (as Stripe, Razorpay and Flutterwave do). */
class RemoteGateway extends GatewayA {
  static override id = 'test.remote';
  static override configStructure: ConfigStructure = {
    ...GatewayA.configStructure,
    api_base_url: { type: 'String', label: 'API base URL', receivesSecrets: true },
    webhook_secret: { type: 'SecretMultiline', label: 'Webhook secret' },
    unused_secret: { type: 'Secret', label: 'Not set' },
    note: { type: 'String', label: 'Note' },
  };
  static override defaultConfiguration = { ...GatewayA.defaultConfiguration, api_base_url: null, webhook_secret: null, unused_secret: null, note: null };
}

const SECRET = 'sk_test_stored_secret_0042';
const stored: ConfigValues = {
  supported_currencies: 'USD',
  auto_capture: true,
  api_key: 'pk_a',
  secret_key: SECRET,
  password: 'stored-password-77',
  webhook_secret: 'whsec_stored_hook_9911',
  unused_secret: null,
  note: 'hello',
  api_base_url: 'https://api.processor.example',
};
const masked = maskConfiguration(RemoteGateway, stored);
const ATTACKER = 'http://127.0.0.1:9999';

describe('configuration: a new address for the secrets needs the secrets sent again', () => {
  it('refuses an endpoint change that keeps the stored secrets (left out), naming the fields and every secret to send', () => {
    const err = refusal(() => mergeConfiguration(RemoteGateway, stored, { api_base_url: ATTACKER }, { plugin: 'test.remote', channel: 'us' }));
    expect(err.code).to.equal(ERROR_CODES.invalidConfiguration);
    expect(err.details).to.deep.equal({
      plugin: 'test.remote',
      channel: 'us',
      reason: SECRET_ENDPOINT_REASONS.secretsNotReentered,
      fields: ['api_base_url'],
      // unused_secret is stored empty: nothing to keep, nothing to ask for.
      secretFields: ['secret_key', 'password', 'webhook_secret'],
    });
    expect(err.details?.['reason']).to.equal('secrets_not_reentered');
    expect(err.message).to.include('"api_base_url"').and.to.include('"secret_key"');
    for (const value of [SECRET, 'stored-password-77', 'whsec_stored_hook_9911', ATTACKER]) expect(err.message).not.to.include(value);
  });

  it('refuses it when the masks are sent back (an admin screen saving every field), and when only some secrets are re-entered', () => {
    const all = refusal(() => mergeConfiguration(RemoteGateway, stored, { ...masked, api_base_url: ATTACKER }));
    expect(all.details).to.include({ plugin: 'test.remote', reason: 'secrets_not_reentered' });
    expect(all.details?.['secretFields']).to.deep.equal(['secret_key', 'password', 'webhook_secret']);
    const some = refusal(() => mergeConfiguration(RemoteGateway, stored, { ...masked, api_base_url: ATTACKER, secret_key: 'sk_test_new_key_1234' }));
    expect(some.details?.['secretFields']).to.deep.equal(['password', 'webhook_secret']);
  });

  it('accepts an endpoint change with every stored secret sent in clear, or cleared; any other change keeps them', () => {
    const reentered = mergeConfiguration(RemoteGateway, stored, {
      ...masked,
      api_base_url: ATTACKER,
      secret_key: SECRET,
      password: 'new-password-88',
      webhook_secret: 'whsec_new_hook_1',
    });
    expect(reentered).to.include({ api_base_url: ATTACKER, secret_key: SECRET, password: 'new-password-88', webhook_secret: 'whsec_new_hook_1' });
    // No stored secret goes to the new address: nothing to re-enter.
    const cleared = mergeConfiguration(RemoteGateway, stored, { api_base_url: ATTACKER, secret_key: null, password: null, webhook_secret: '' });
    expect(cleared).to.include({ api_base_url: ATTACKER, secret_key: null, password: null, webhook_secret: '' });
    // Back to the processor's default address is a change too: the same rule.
    expect(refusal(() => mergeConfiguration(RemoteGateway, stored, { api_base_url: null })).details?.['fields']).to.deep.equal(['api_base_url']);
    // Any other change keeps the secrets, the endpoint sent back unchanged (null, "" and blanks the same).
    const merged = mergeConfiguration(RemoteGateway, stored, { ...masked, note: 'changed', api_base_url: ' https://api.processor.example ' });
    expect(merged).to.include({ note: 'changed', secret_key: SECRET, password: 'stored-password-77', webhook_secret: 'whsec_stored_hook_9911' });
    const unset = { ...stored, api_base_url: null };
    expect(mergeConfiguration(RemoteGateway, unset, { ...maskConfiguration(RemoteGateway, unset), api_base_url: '' })).to.include({ secret_key: SECRET });
  });

  it('counts a stored ${NAME} reference sent back as kept: a read shows it, so sending it proves nothing', () => {
    const referenced = { ...stored, secret_key: '${PROCESSOR_KEY}', password: null, webhook_secret: null };
    const view = maskConfiguration(RemoteGateway, referenced);
    expect(view['secret_key']).to.equal('${PROCESSOR_KEY}');
    const err = refusal(() => mergeConfiguration(RemoteGateway, referenced, { ...view, api_base_url: ATTACKER }));
    expect(err.details?.['secretFields']).to.deep.equal(['secret_key']);
  });

  it('through the manager: the refused update changes nothing, the re-entered one goes live', () => {
    const manager = new PluginManager({
      plugins: [RemoteGateway],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.remote': { active: true, configuration: { secret_key: SECRET, api_base_url: 'https://api.processor.example' } } } }] },
      logger: silentLogger(),
    });
    const version = manager.configVersion;
    const view = manager.getPluginConfiguration('test.remote', 'us').configuration;
    const err = refusal(() => manager.updatePluginConfiguration('test.remote', 'us', { configuration: { ...view, api_base_url: ATTACKER } }));
    expect(err.details).to.include({ plugin: 'test.remote', channel: 'us', reason: 'secrets_not_reentered' });
    expect(manager.configVersion).to.equal(version);
    expect(manager.resolveGateway('us', 'USD').instance.configuration['api_base_url']).to.equal('https://api.processor.example');
    manager.updatePluginConfiguration('test.remote', 'us', { configuration: { ...view, api_base_url: ATTACKER, secret_key: 'sk_test_reentered_5678' } });
    expect(manager.resolveGateway('us', 'USD').instance.configuration).to.include({ api_base_url: ATTACKER, secret_key: 'sk_test_reentered_5678' });
  });

  it('reports endpoint changes with the new host only (no path, no credentials)', () => {
    const after = { ...stored, api_base_url: 'https://user:pw@evil.example:8443/v1?x=1', note: 'changed' };
    expect(secretEndpointChanges(RemoteGateway.configStructure, stored, after)).to.deep.equal([{ field: 'api_base_url', host: 'evil.example:8443' }]);
    expect(secretEndpointChanges(RemoteGateway.configStructure, stored, { ...stored, note: 'x' })).to.deep.equal([]);
    expect(secretEndpointChanges(RemoteGateway.configStructure, undefined, { ...stored, api_base_url: null })).to.deep.equal([]);
    expect(endpointHost(null)).to.equal(null);
    expect(endpointHost('api.example.com')).to.equal('api.example.com');
  });
});
