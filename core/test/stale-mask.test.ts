import { expect } from 'chai';
import {
  ERROR_CODES,
  MASK_PREFIX,
  PluginManager,
  STALE_MASK_REASON,
  maskConfiguration,
  mergeConfiguration,
  silentLogger,
  type ConfigStructure,
  type ConfigValues,
} from '@payhost/core';
import { GatewayA } from './support/plugins.js';
import { refusal } from './support/refusal.js';

/** GatewayA (secret_key: Secret, password: Password) with a multiline secret and a second Secret. */
class TwoSecretGateway extends GatewayA {
  static override id = 'test.two-secrets';
  static override configStructure: ConfigStructure = {
    ...GatewayA.configStructure,
    signing_key: { type: 'SecretMultiline', label: 'Signing key (PEM)' },
    webhook_secret: { type: 'Secret', label: 'Webhook secret' },
  };
  static override defaultConfiguration = { ...GatewayA.defaultConfiguration, signing_key: null, webhook_secret: null };
}

const SECRET_A = 'sk_test_first_secret_1111';
const SECRET_B = 'sk_test_second_secret_5555';
const stored: ConfigValues = {
  supported_currencies: 'USD',
  auto_capture: true,
  api_key: 'pk_a',
  secret_key: SECRET_B,
  password: 'stored-password-77',
  signing_key: '-----BEGIN KEY-----\nabcdefgh\n-----END KEY-----',
  webhook_secret: 'whsec_hook_2222',
};

/**
 * An admin form read while the secret was SECRET_A (mask ****1111) and sent back whole after another admin
 * stored SECRET_B (mask ****5555): before, "****1111" was saved as the secret, and read back as "****".
 */
describe('configuration: a masked secret that is not the stored secret\'s mask is refused (stale form)', () => {
  const staleForm = maskConfiguration(TwoSecretGateway, { ...stored, secret_key: SECRET_A });

  it('refuses the stale mask with invalid_configuration, reason stale_mask, naming the field and the current mask, never a secret', () => {
    expect(staleForm['secret_key']).to.equal('****1111');
    const err = refusal(() => mergeConfiguration(TwoSecretGateway, stored, staleForm, { plugin: 'test.two-secrets', channel: 'us' }));
    expect(err.code).to.equal(ERROR_CODES.invalidConfiguration);
    expect(err.details).to.deep.equal({ plugin: 'test.two-secrets', channel: 'us', reason: STALE_MASK_REASON, fields: ['secret_key'] });
    expect(STALE_MASK_REASON).to.equal('stale_mask');
    expect(err.message).to.include('"secret_key" holds a masked value').and.to.include('****5555').and.to.include('If-Match');
    for (const value of [SECRET_A, SECRET_B, 'stored-password-77', 'whsec_hook_2222']) expect(err.message).not.to.include(value);
  });

  it('refuses every stale field at once (Secret and SecretMultiline), also a mask sent where no secret is stored, and one with leading blanks', () => {
    const err = refusal(() =>
      mergeConfiguration(TwoSecretGateway, { ...stored, webhook_secret: null }, { secret_key: '****1111', signing_key: '****9999', webhook_secret: ' ****2222' }),
    );
    expect(err.details).to.deep.include({ plugin: 'test.two-secrets', reason: 'stale_mask', fields: ['secret_key', 'signing_key', 'webhook_secret'] });
    expect(err.message).to.include('none is stored');
  });

  it('keeps the stored secret when the current mask is sent back, and replaces it with a value sent in clear', () => {
    const current = maskConfiguration(TwoSecretGateway, stored);
    expect(mergeConfiguration(TwoSecretGateway, stored, current)).to.include({ secret_key: SECRET_B, signing_key: stored['signing_key'], webhook_secret: 'whsec_hook_2222' });
    expect(mergeConfiguration(TwoSecretGateway, stored, { ...staleForm, secret_key: 'sk_test_third_secret_7777' })).to.include({ secret_key: 'sk_test_third_secret_7777' });
    // Cleared (null or ""), or left out: no mask, no refusal.
    expect(mergeConfiguration(TwoSecretGateway, stored, { secret_key: null, webhook_secret: '' })).to.include({ secret_key: null, webhook_secret: '' });
    // The stored value itself sent back is no change, whatever it starts with.
    const odd = { ...stored, secret_key: `${MASK_PREFIX}odd_but_stored_0000` };
    expect(mergeConfiguration(TwoSecretGateway, odd, { secret_key: odd['secret_key'] })).to.include({ secret_key: odd['secret_key'] });
  });

  it('short secrets (8 characters or fewer) are masked "****" alone: a stale "****" for a short secret is the current mask and keeps it; for a long one it is refused', () => {
    const short = { ...stored, secret_key: 'abc12345' };
    expect(maskConfiguration(TwoSecretGateway, short)['secret_key']).to.equal('****');
    expect(mergeConfiguration(TwoSecretGateway, short, { secret_key: '****' })).to.include({ secret_key: 'abc12345' });
    expect(refusal(() => mergeConfiguration(TwoSecretGateway, short, { secret_key: '****1111' })).details?.['fields']).to.deep.equal(['secret_key']);
    expect(refusal(() => mergeConfiguration(TwoSecretGateway, stored, { secret_key: '****' })).details?.['fields']).to.deep.equal(['secret_key']);
  });

  it('through the manager (the library path): the stale form changes nothing; the secret stays the one stored last', () => {
    const manager = new PluginManager({
      plugins: [TwoSecretGateway],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.two-secrets': { active: true, configuration: { secret_key: SECRET_A } } } }] },
      logger: silentLogger(),
    });
    const formA = manager.getPluginConfiguration('test.two-secrets', 'us').configuration;
    expect(formA['secret_key']).to.equal('****1111');
    manager.updatePluginConfiguration('test.two-secrets', 'us', { configuration: { secret_key: SECRET_B } });
    const version = manager.configVersion;
    const err = refusal(() => manager.updatePluginConfiguration('test.two-secrets', 'us', { active: true, configuration: { ...formA, api_key: 'pk_changed' } }));
    expect(err.details).to.deep.include({ plugin: 'test.two-secrets', channel: 'us', reason: 'stale_mask', fields: ['secret_key'] });
    expect(manager.configVersion).to.equal(version);
    expect(manager.resolveGateway('us', 'USD').instance.configuration).to.include({ secret_key: SECRET_B, api_key: 'pk_a' });
    expect(manager.getPluginConfiguration('test.two-secrets', 'us').configuration['secret_key']).to.equal('****5555');
  });
});
