import { expect } from 'chai';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { RazorpayGatewayPlugin, readSettings } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, makeManager, useFakeRazorpay } from './helpers.js';
import { refusal } from '../../../core/test/support/refusal.js';

const ELSEWHERE = 'http://127.0.0.1:9';

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

describe('razorpay: webhook_tolerance_seconds covers Razorpay\'s 24 h retry window', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  // A retry keeps the event's created_at: a tolerance under 24 h would answer a late retry 200 stale_event
  // (not applied), and Razorpay would not send it again.
  for (const seconds of ['60', '86399']) {
    it(`refuses ${seconds} as a configuration problem`, async () => {
      const manager = makeManager(fake);
      try {
        const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
        const err = refusal(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, webhook_tolerance_seconds: seconds } }));
        expect(err.code).to.equal('invalid_configuration');
        expect(String(err.message)).to.match(/webhook_tolerance_seconds must be at least 86400: it must cover Razorpay's 24 h retry window/);
        expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration['webhook_tolerance_seconds']).to.equal(view['webhook_tolerance_seconds']);
      } finally {
        await manager.close();
      }
    });
  }

  it('takes 86400 (the retry window itself) and the 172800 default', async () => {
    const manager = makeManager(fake);
    try {
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...view, webhook_tolerance_seconds: '86400' } });
      expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration['webhook_tolerance_seconds']).to.equal('86400');
    } finally {
      await manager.close();
    }
    const defaults = readSettings({ ...RazorpayGatewayPlugin.defaultConfiguration, key_id: 'rzp_test_abc', key_secret: 's' });
    expect({ tolerance: defaults.webhookToleranceSeconds, problems: defaults.problems }).to.deep.equal({ tolerance: 172_800, problems: [] });
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
    expect(readSettings({ ...RazorpayGatewayPlugin.defaultConfiguration, key_id: 'rzp_test_abc', key_secret: 's', request_timeout_ms: '1' }).timeoutMs).to.equal(1);
    expect(readSettings({ ...RazorpayGatewayPlugin.defaultConfiguration, key_id: 'rzp_test_abc', key_secret: 's', request_timeout_ms: '' }).timeoutMs).to.equal(20_000);
  });
});
