import { expect } from 'chai';
import { PayhostError, PluginManager, type HostConfigInput } from '@payhost/core';
import { GatewayA, GatewayB } from './support/plugins.js';

function refusal(config: HostConfigInput): PayhostError {
  try {
    new PluginManager({ plugins: [GatewayA, GatewayB], config });
  } catch (err) {
    if (err instanceof PayhostError) return err;
    throw err;
  }
  throw new Error('expected invalid_configuration');
}

const plugins = { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true } };

describe('config: currency keys of a channel', () => {
  it('refuses two defaultGateways keys naming one currency ("USD" and "usd"), naming both', () => {
    const err = refusal({ channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { USD: 'test.gateway-a', usd: 'test.gateway-b' }, plugins }] });
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.include({ channel: 'us', currency: 'USD', keys: ['USD', 'usd'] });
  });

  it('still takes one key in any case', async () => {
    const manager = new PluginManager({ plugins: [GatewayA, GatewayB], config: { channels: [{ slug: 'us', currencies: ['usd'], defaultGateways: { usd: 'test.gateway-b' }, plugins }] } });
    expect(manager.config.channels[0]?.defaultGateways).to.deep.equal({ USD: 'test.gateway-b' });
    await manager.close();
  });

  it("says of a code without minor units what core's currencies say (XAU), and of a non-ISO code that it is none", () => {
    const xau = refusal({ channels: [{ slug: 'us', currencies: ['USD', 'xau'], plugins }] });
    expect(xau.code).to.equal('invalid_configuration');
    expect(xau.message).to.include('without minor units').and.not.include('is not an ISO 4217');
    expect(xau.details).to.deep.include({ channel: 'us', currency: 'xau' });
    expect(refusal({ channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { XTS: 'test.gateway-a' }, plugins }] }).message).to.include('without minor units');
    expect(refusal({ channels: [{ slug: 'us', currencies: ['XYZ'], plugins }] }).message).to.include('"XYZ" is not an ISO 4217 currency code');
  });
});
