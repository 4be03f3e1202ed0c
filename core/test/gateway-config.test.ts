import { expect } from 'chai';
import { gatewayConfigFromValues } from '@payhost/core';

describe('gatewayConfigFromValues', () => {
  it('reads every conventional field, booleans true only when set to true', () => {
    const on = gatewayConfigFromValues('acme', {
      supported_currencies: 'usd, EUR, USD',
      auto_capture: true,
      store_customer: true,
      require_3d_secure: true,
      supports_multiple_captures: true,
    });
    expect(on).to.deep.equal({
      gatewayName: 'acme',
      autoCapture: true,
      supportedCurrencies: ['USD', 'EUR'],
      connectionParams: {},
      storeCustomer: true,
      require3dSecure: true,
      supportsMultipleCaptures: true,
    });
    const off = gatewayConfigFromValues('acme', { supported_currencies: 'USD', supports_multiple_captures: 'true' });
    expect(off).to.include({ autoCapture: false, storeCustomer: false, require3dSecure: false, supportsMultipleCaptures: false });
  });

  it("lets the plugin's extra fields win over the conventional ones", () => {
    const config = gatewayConfigFromValues('acme', { supported_currencies: 'USD', supports_multiple_captures: true }, { region: 'eu' }, { supportsMultipleCaptures: false });
    expect(config).to.include({ supportsMultipleCaptures: false });
    expect(config.connectionParams).to.deep.equal({ region: 'eu' });
  });
});
