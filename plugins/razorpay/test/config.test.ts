import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { RazorpayGatewayPlugin } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, makeManager, useFakeRazorpay } from './helpers.js';

const ELSEWHERE = 'http://127.0.0.1:9';

function refusal(fn: () => unknown): PayhostError {
  try {
    fn();
  } catch (err) {
    if (isPayhostError(err)) return err;
    throw err;
  }
  return expect.fail('expected the update to be refused');
}

describe('razorpay: configuration fields that receive the secrets', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  it('declares api_base_url (where key_id:key_secret go, as Basic auth) receivesSecrets, and no other field', () => {
    const flagged = Object.entries(RazorpayGatewayPlugin.configStructure)
      .filter(([, field]) => field.receivesSecrets === true)
      .map(([name]) => name);
    expect(flagged).to.deep.equal(['api_base_url']);
  });

  it('refuses moving api_base_url with the secrets masked, and takes it with them re-entered', async () => {
    const manager = makeManager(fake);
    try {
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
      const err = refusal(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { active: true, configuration: { ...view, api_base_url: ELSEWHERE } }));
      expect(err.details).to.deep.include({ reason: 'secrets_not_reentered', fields: ['api_base_url'], secretFields: ['key_secret', 'webhook_secret'] });
      expect(manager.resolveGateway(CHANNEL, 'INR').instance.configuration['api_base_url']).to.equal(fake.url);
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, api_base_url: ELSEWHERE, key_secret: fake.keySecret, webhook_secret: fake.webhookSecret } });
      expect(manager.resolveGateway(CHANNEL, 'INR').instance.configuration['api_base_url']).to.equal(ELSEWHERE);
    } finally {
      await manager.close();
    }
  });
});
