import { expect } from 'chai';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin, readSettings } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';
import { refusal } from '../../../core/test/support/refusal.js';

const ELSEWHERE = 'http://127.0.0.1:9/';

describe('flutterwave: configuration fields that receive the secrets', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());

  it('declares api_base_url (where the secret key goes, as a Bearer token) receivesSecrets, and no other field', () => {
    const flagged = Object.entries(FlutterwaveGatewayPlugin.configStructure)
      .filter(([, field]) => field.receivesSecrets === true)
      .map(([name]) => name);
    expect(flagged).to.deep.equal(['api_base_url']);
  });

  it('refuses moving api_base_url with the secrets masked, and takes it with them re-entered', async () => {
    const manager = makeManager(fake);
    try {
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
      const err = refusal(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { active: true, configuration: { ...view, api_base_url: ELSEWHERE } }));
      expect(err.details).to.deep.include({ reason: 'secrets_not_reentered', fields: ['api_base_url'], secretFields: ['secret_key', 'secret_hash'] });
      expect(manager.resolveGateway(CHANNEL, 'NGN').instance.configuration['api_base_url']).to.equal(fake.baseUrl);
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, api_base_url: ELSEWHERE, secret_key: fake.secretKey, secret_hash: fake.secretHash } });
      expect(manager.resolveGateway(CHANNEL, 'NGN').instance.configuration['api_base_url']).to.equal(ELSEWHERE);
    } finally {
      await manager.close();
    }
  });

  // Node fires a setTimeout above 2^31-1 ms after ~1 ms: such a value would time out every call.
  it('request_timeout_ms is a whole number of milliseconds from 1 to 300000: above (2^31 among them) or 0 is a configuration problem', async () => {
    const manager = makeManager(fake);
    try {
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
      for (const value of ['2147483648', '300001', '0', '1e4']) {
        const err = refusal(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, request_timeout_ms: value } }));
        expect(err.code, value).to.equal('invalid_configuration');
        expect(String(err.message)).to.include(`request_timeout_ms must be a whole number of milliseconds from 1 to 300000 (5 minutes), got "${value}"`);
        expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration['request_timeout_ms']).to.equal(view['request_timeout_ms']);
      }
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, request_timeout_ms: '300000' } });
      expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration['request_timeout_ms']).to.equal('300000');
    } finally {
      await manager.close();
    }
    expect(readSettings({ ...FlutterwaveGatewayPlugin.defaultConfiguration, public_key: 'FLWPUBK_TEST-x', secret_key: 's', request_timeout_ms: '1' }).timeoutMs).to.equal(1);
    expect(readSettings({ ...FlutterwaveGatewayPlugin.defaultConfiguration, public_key: 'FLWPUBK_TEST-x', secret_key: 's', request_timeout_ms: '' }).timeoutMs).to.equal(20_000);
  });
});
