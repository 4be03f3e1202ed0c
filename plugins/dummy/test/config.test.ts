import { expect } from 'chai';
import { BasePlugin, CONFIG_FIELD_TYPES, silentLogger } from '@payhost/core';
import DefaultExport, { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { call, makePlugin, resetDummy } from './helpers.js';

describe('dummy: metadata, configuration and channel hooks', () => {
  beforeEach(resetDummy);

  it('declares its metadata and is the default export', () => {
    expect(DefaultExport).to.equal(DummyGatewayPlugin);
    expect(new DummyGatewayPlugin({ channel: 'ch', active: true, configuration: {}, logger: silentLogger() })).to.be.instanceOf(BasePlugin);
    expect(DummyGatewayPlugin.id).to.equal('payhost.dummy');
    expect(DummyGatewayPlugin.pluginName).to.equal('Dummy');
    expect(DummyGatewayPlugin.description).to.be.a('string').and.not.equal('');
    expect(DummyGatewayPlugin.configurationPerChannel).to.equal(true);
    expect(DummyGatewayPlugin.defaultActive).to.equal(false);
    expect(makePlugin().id).to.equal('payhost.dummy');
  });

  it('describes every configuration field with a default', () => {
    const structure = DummyGatewayPlugin.configStructure;
    expect(Object.fromEntries(Object.entries(structure).map(([name, field]) => [name, field.type]))).to.deep.equal({
      auto_capture: 'Boolean',
      supported_currencies: 'String',
      store_customer: 'Boolean',
      require_3d_secure: 'Boolean',
      supports_multiple_captures: 'Boolean',
      public_key: 'String',
      secret_key: 'Secret',
    });
    for (const field of Object.values(structure)) expect(CONFIG_FIELD_TYPES).to.include(field.type);
    expect(Object.keys(DummyGatewayPlugin.defaultConfiguration)).to.deep.equal(Object.keys(structure));
    expect(DummyGatewayPlugin.defaultConfiguration).to.include({ supported_currencies: 'USD', supports_multiple_captures: true });
  });

  it('builds its GatewayConfig from the configuration', () => {
    const config = makePlugin({ supported_currencies: 'usd, EUR ,JPY', auto_capture: false, store_customer: 'true', require_3d_secure: true }).gatewayConfig();
    expect(config).to.deep.equal({
      gatewayName: 'Dummy',
      autoCapture: false,
      supportedCurrencies: ['USD', 'EUR', 'JPY'],
      connectionParams: {},
      storeCustomer: true,
      require3dSecure: true,
      supportsMultipleCaptures: true,
    });
    expect(JSON.stringify(makePlugin({ secret_key: 'sk_live_hidden' }).gatewayConfig())).to.not.include('sk_live_hidden');
  });

  it('getClientToken returns a new token every time', async () => {
    const plugin = makePlugin();
    const tokens = new Set<string>();
    for (let i = 0; i < 50; i++) tokens.add(await call(plugin.getClientToken({ customerId: null }, null)));
    expect(tokens.size).to.equal(50);
    for (const token of tokens) expect(token).to.match(/^dummy_ct_[0-9a-f]{8}_\d+$/);
    expect(await call(makePlugin({}, 'other').getClientToken({}, 'previous'))).to.not.be.oneOf([...tokens, 'previous']);
  });

  it('getPaymentConfig appends the public key and the store-card flag, never the secret', async () => {
    const plugin = makePlugin({ public_key: 'pk_test_123', secret_key: 'sk_test_456', store_customer: true });
    const config = await call(plugin.getPaymentConfig({ channel: 'ch' }, [{ field: 'x', value: 'y' }]));
    expect(config).to.deep.equal([
      { field: 'x', value: 'y' },
      { field: 'api_key', value: 'pk_test_123' },
      { field: 'store_customer_card', value: 'true' },
    ]);
    expect(JSON.stringify(config)).to.not.include('sk_test_456');
    expect(await call(makePlugin().getPaymentConfig({ channel: 'ch' }, []))).to.deep.equal([
      { field: 'api_key', value: 'pk_test_dummy' },
      { field: 'store_customer_card', value: 'false' },
    ]);
  });

  it('getSupportedCurrencies appends its currencies to previousValue without duplicates', async () => {
    const plugin = makePlugin({ supported_currencies: 'USD,JPY,KWD' });
    expect(await call(plugin.getSupportedCurrencies({ channel: 'ch' }, ['EUR', 'USD']))).to.deep.equal(['EUR', 'USD', 'JPY', 'KWD']);
    expect(await call(makePlugin().getSupportedCurrencies({ channel: 'ch' }, []))).to.deep.equal(['USD']);
  });

  it('requires a token as payment input', async () => {
    expect(await call(makePlugin().tokenIsRequiredAsPaymentInput({ channel: 'ch' }, false))).to.equal(true);
  });

  it('is listed by getPaymentGateways for a supported currency only', async () => {
    const plugin = makePlugin({ supported_currencies: 'USD,EUR', public_key: 'pk_1' });
    expect(await plugin.getPaymentGateways({ channel: 'ch', currency: 'EUR' }, [])).to.deep.equal([
      { id: 'payhost.dummy', name: 'Dummy', currencies: ['USD', 'EUR'], config: [{ field: 'api_key', value: 'pk_1' }, { field: 'store_customer_card', value: 'false' }] },
    ]);
    expect(await plugin.getPaymentGateways({ channel: 'ch', currency: 'JPY' }, [])).to.equal(undefined);
  });
});
