import { expect } from 'chai';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin } from '@payhost/plugin-flutterwave';
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
});
