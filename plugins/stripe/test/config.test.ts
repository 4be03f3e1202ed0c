import { expect } from 'chai';
import { PluginManager, silentLogger, type ConfigValues } from '@payhost/core';
import StripePlugin, { StripeGatewayPlugin, parseEndpoint, readSettings } from '@payhost/plugin-stripe';
import { CHANNEL, CURRENCIES, GATEWAY, PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET } from './helpers.js';

const valid: ConfigValues = { secret_key: SECRET_KEY, publishable_key: PUBLISHABLE_KEY, webhook_secret: WEBHOOK_SECRET, supported_currencies: 'USD,EUR' };

function build(configuration: ConfigValues, active = true): PluginManager {
  return new PluginManager({
    plugins: [StripeGatewayPlugin],
    config: { channels: [{ slug: CHANNEL, currencies: CURRENCIES, plugins: { [GATEWAY]: { active, configuration } } }] },
  });
}

function rejection(configuration: ConfigValues, active = true): { code?: string; message: string } {
  try {
    build(configuration, active);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('the configuration was accepted');
}

describe('stripe: configuration', () => {
  it('is the package\'s default export, with id payhost.stripe and per-channel configuration', () => {
    expect(StripePlugin).to.equal(StripeGatewayPlugin);
    expect(StripeGatewayPlugin.id).to.equal('payhost.stripe');
    expect(StripeGatewayPlugin.configurationPerChannel).to.equal(true);
    expect(StripeGatewayPlugin.configStructure['secret_key']?.type).to.equal('Secret');
    expect(StripeGatewayPlugin.configStructure['webhook_secret']?.type).to.equal('Secret');
  });

  const malformed: Array<[string, ConfigValues, RegExp]> = [
    ['a secret key without sk_/rk_', { secret_key: 'pk_test_oops' }, /secret_key is malformed/],
    ['a secret key with spaces', { secret_key: 'sk_test_ abc' }, /secret_key is malformed/],
    ['a publishable key without pk_', { publishable_key: 'sk_test_abc' }, /publishable_key is malformed/],
    ['a webhook secret without whsec_', { webhook_secret: 'secret' }, /webhook_secret is malformed/],
    ['a connected account without acct_', { connected_account_id: 'provider' }, /connected_account_id is malformed/],
    ['test and live keys mixed', { publishable_key: 'pk_live_abc' }, /test key but publishable_key is a live key/],
    ['an unknown mode', { mode: 'PROXY' }, /mode must be one of LOCAL, FORWARD, REMOTE/],
    ['a fee over 100 %', { application_fee_percent: '101' }, /application_fee_percent must be at most 100/],
    ['a negative fixed fee', { application_fee_fixed: '-1' }, /application_fee_fixed must be a non-negative decimal/],
    // One figure for every currency only where Stripe takes it exactly (0.30 JPY was silently no fee) ...
    ...['JPY', 'ISK', 'UGX'].map((currency): [string, ConfigValues, RegExp] => [
      `a single fixed fee of 0.30 with ${currency} supported`,
      { supported_currencies: `USD, EUR, ${currency}`, application_fee_fixed: '0.30' },
      new RegExp(`application_fee_fixed "0\\.30" is one amount for every supported currency, and Stripe cannot take it exactly in ${currency} \\(Stripe takes ${currency} in whole units only\\): give one amount per currency instead, e\\.g\\. "USD 0\\.30, EUR 0\\.25, JPY 30"`),
    ]),
    // ... and in currencies counted in the same units (0.300 KWD, about 1 USD, was silently taken from USD's "0.30").
    ['a single fixed fee with USD and KWD supported', { supported_currencies: 'USD, KWD', application_fee_fixed: '0.30' }, /application_fee_fixed "0\.30" is one amount for every supported currency, but they count amounts in different units \(USD in hundredths; KWD in thousandths\).*give one amount per currency/],
    ['a single whole fixed fee with USD and JPY supported', { supported_currencies: 'USD, JPY', application_fee_fixed: '1' }, /different units \(USD in hundredths; JPY in whole units\)/],
    ['a fixed fee Stripe cannot take in its currency (KWD)', { supported_currencies: 'USD, KWD', application_fee_fixed: 'USD 0.30, KWD 0.095' }, /application_fee_fixed gives KWD 0\.095, which Stripe cannot take exactly \(Stripe takes KWD with at most 2 decimal places\)/],
    ['a fixed fee Stripe cannot take in its currency (JPY)', { supported_currencies: 'USD, JPY', application_fee_fixed: 'USD 0.30, JPY 30.5' }, /application_fee_fixed gives JPY 30\.5, which Stripe cannot take exactly \(Stripe takes JPY in whole units only\)/],
    ['a supported currency without a fixed fee', { supported_currencies: 'USD, EUR, JPY', application_fee_fixed: 'USD 0.30, EUR 0.25' }, /application_fee_fixed has no amount for JPY \(in supported_currencies\): give every supported currency its fixed fee \("JPY 0" for none\)/],
    ['a currency given twice a fixed fee', { application_fee_fixed: 'USD 0.30, usd 0.40, EUR 0.25' }, /application_fee_fixed gives USD more than once/],
    ['a fixed fee for a non-ISO currency', { application_fee_fixed: 'USD 0.30, EUX 0.25' }, /application_fee_fixed is malformed: "EUX" is not an ISO 4217 currency code/],
    ['a negative per-currency fixed fee', { application_fee_fixed: 'USD 0.30, EUR -1' }, /application_fee_fixed is malformed: the EUR amount must be a non-negative decimal number such as 0\.30, got "-1"/],
    ['a per-currency fixed fee in exponent notation', { application_fee_fixed: 'USD 3e-1, EUR 0.25' }, /the USD amount must be a non-negative decimal number/],
    ['a single and per-currency fixed fee mixed', { application_fee_fixed: '0.30, EUR 0.25' }, /application_fee_fixed is malformed: "0\.30" is not a currency code and an amount/],
    ['a fixed fee without a space after its currency', { application_fee_fixed: 'USD0.30, EUR 0.25' }, /application_fee_fixed is malformed: "USD0\.30" is not a currency code and an amount/],
    ['a non-ISO currency', { supported_currencies: 'USD,XYZ' }, /supported_currencies is invalid/],
    ['plain http to a remote host', { api_base_url: 'http://api.stripe.com' }, /plain http only for a loopback host/],
    ['a base URL with a path', { api_base_url: 'https://api.example.com/v1' }, /bare origin/],
    ['a zero tolerance (it would disable the timestamp check)', { webhook_tolerance_seconds: '0' }, /webhook_tolerance_seconds must be a whole number from 1/],
  ];
  for (const [what, values, message] of malformed) {
    it(`rejects ${what} with a clear message (invalid_configuration)`, () => {
      const err = rejection({ ...valid, ...values });
      expect(err.code).to.equal('invalid_configuration');
      expect(err.message).to.match(message);
    });
  }

  it('reads the fixed fee as one amount for every currency or one per currency (codes case-insensitive, entries for other currencies kept)', () => {
    const read = (values: ConfigValues) => readSettings({ ...StripeGatewayPlugin.defaultConfiguration, ...valid, ...values }, true).feeFixed;
    const shown = (fee: ReturnType<typeof read>) => (fee === null ? null : 'every' in fee ? fee.every.toString() : Object.fromEntries([...fee.perCurrency].map(([code, amount]) => [code, amount.toString()])));
    expect(shown(read({ application_fee_fixed: '0.30' }))).to.equal('0.3');
    expect(shown(read({ application_fee_fixed: null }))).to.equal(null);
    // Zero is zero in every unit: no fixed fee, whatever the currencies.
    expect(shown(read({ supported_currencies: 'USD, JPY, KWD', application_fee_fixed: '0' }))).to.equal('0');
    expect(shown(read({ supported_currencies: 'JPY', application_fee_fixed: '30' }))).to.equal('30');
    const listed = read({ supported_currencies: 'USD, EUR, JPY, KWD', application_fee_fixed: ' usd 0.30 ,EUR   0.25, jpy 30, KWD 0.09, GBP 0.20,' });
    expect(shown(listed)).to.deep.equal({ USD: '0.3', EUR: '0.25', JPY: '30', KWD: '0.09', GBP: '0.2' });
  });

  it('needs a secret key only when active; restricted keys and live keys are accepted', async () => {
    expect(rejection({ ...valid, secret_key: null }).message).to.match(/secret_key is required when the Stripe plugin is active/);
    await build({ ...valid, secret_key: null }, false).close();
    await build({ ...valid, secret_key: 'rk_test_restricted1' }).close();
    await build({ ...valid, secret_key: 'sk_live_abc', publishable_key: 'pk_live_abc' }).close();
  });

  it('reads typed settings: mode case-insensitive, fees, endpoint, retries', () => {
    const s = readSettings({ ...StripeGatewayPlugin.defaultConfiguration, ...valid, mode: 'forward', application_fee_percent: '2.5', api_base_url: 'http://127.0.0.1:12111', max_network_retries: '3' }, true);
    expect(s.mode).to.equal('FORWARD');
    expect(s.feePercent?.toString()).to.equal('2.5');
    expect(s.endpoint).to.deep.equal({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(s.maxNetworkRetries).to.equal(3);
    expect(s.webhookToleranceSeconds).to.equal(300);
    expect(parseEndpoint('https://stripe-proxy.internal')).to.deep.equal({ host: 'stripe-proxy.internal', port: 443, protocol: 'https' });
    expect(parseEndpoint(null)).to.equal(null);
  });

  it('declares its GatewayConfig (no multiple captures: Stripe captures an intent once) without secrets', () => {
    const plugin = new StripeGatewayPlugin({ channel: CHANNEL, active: true, configuration: { ...StripeGatewayPlugin.defaultConfiguration, ...valid, auto_capture: false, store_customer: 'true' }, logger: silentLogger() });
    const config = plugin.gatewayConfig();
    expect(config).to.deep.include({ gatewayName: 'Stripe', autoCapture: false, storeCustomer: true, require3dSecure: false, supportsMultipleCaptures: false, supportedCurrencies: ['USD', 'EUR'] });
    expect(config.connectionParams).to.deep.equal({ mode: 'LOCAL', publishableKey: PUBLISHABLE_KEY, connectedAccountId: null });
    expect(JSON.stringify(config)).to.not.include(SECRET_KEY).and.not.include(WEBHOOK_SECRET);
  });

  it('is listed for its currencies with the public config, and masks its secrets on read', async () => {
    const manager = build(valid);
    try {
      const gateways = await manager.listPaymentGateways({ channel: CHANNEL, currency: 'EUR' });
      expect(gateways).to.deep.equal([
        { id: GATEWAY, name: 'Stripe', currencies: ['USD', 'EUR'], config: [{ field: 'api_key', value: PUBLISHABLE_KEY }, { field: 'store_customer_card', value: 'false' }] },
      ]);
      expect(await manager.listPaymentGateways({ channel: CHANNEL, currency: 'JPY' })).to.deep.equal([]);
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL);
      expect(view.configuration['secret_key']).to.equal(`****${SECRET_KEY.slice(-4)}`);
      expect(view.configuration['webhook_secret']).to.equal(`****${WEBHOOK_SECRET.slice(-4)}`);
      expect(view.configuration['publishable_key']).to.equal(PUBLISHABLE_KEY);
      // a malformed update is refused and changes nothing
      expect(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { publishable_key: 'nope' } })).to.throw(/publishable_key is malformed/);
      expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration['publishable_key']).to.equal(PUBLISHABLE_KEY);
    } finally {
      await manager.close();
    }
  });

  it('loads by package name', async () => {
    const manager = await PluginManager.create({ plugins: ['@payhost/plugin-stripe'], config: { channels: [{ slug: CHANNEL, currencies: ['USD'] }] } });
    try {
      expect(manager.channel(CHANNEL).gateways.has(GATEWAY)).to.equal(true);
    } finally {
      await manager.close();
    }
  });
  it('declares api_base_url (where the secret key goes) receivesSecrets: moving it with the secrets masked is refused', async () => {
    const flagged = Object.entries(StripeGatewayPlugin.configStructure)
      .filter(([, field]) => field.receivesSecrets === true)
      .map(([name]) => name);
    expect(flagged).to.deep.equal(['api_base_url']);
    const manager = build({ ...valid, api_base_url: 'http://127.0.0.1:12111' });
    try {
      const view = manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration;
      const moved = { ...view, api_base_url: 'http://127.0.0.1:9' };
      let refused: unknown;
      try {
        manager.updatePluginConfiguration(GATEWAY, CHANNEL, { active: true, configuration: moved });
      } catch (err) {
        refused = err;
      }
      expect(refused).to.have.property('code', 'invalid_configuration');
      expect((refused as { details?: unknown }).details).to.deep.include({ reason: 'secrets_not_reentered', fields: ['api_base_url'], secretFields: ['secret_key', 'webhook_secret'] });
      expect(manager.resolveGateway(CHANNEL, 'USD').instance.configuration['api_base_url']).to.equal('http://127.0.0.1:12111');
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { ...moved, secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET } });
      expect(manager.resolveGateway(CHANNEL, 'USD').instance.configuration['api_base_url']).to.equal('http://127.0.0.1:9');
    } finally {
      await manager.close();
    }
  });
});
