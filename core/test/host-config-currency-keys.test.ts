import { expect } from 'chai';
import { PluginManager, type HostConfigInput, type PayhostError } from '@payhost/core';
import { GatewayA, GatewayB } from './support/plugins.js';
import { refusal } from './support/refusal.js';

/** The PayhostError building a manager on `config` throws. */
const refusalOf = (config: HostConfigInput): PayhostError => refusal(() => new PluginManager({ plugins: [GatewayA, GatewayB], config }));

const plugins = { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true } };

describe('config: currency keys of a channel', () => {
  it('refuses two defaultGateways keys naming one currency ("USD" and "usd"), naming both', () => {
    const err = refusalOf({ channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { USD: 'test.gateway-a', usd: 'test.gateway-b' }, plugins }] });
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.include({ channel: 'us', currency: 'USD', keys: ['USD', 'usd'] });
  });

  it('still takes one key in any case', async () => {
    const manager = new PluginManager({ plugins: [GatewayA, GatewayB], config: { channels: [{ slug: 'us', currencies: ['usd'], defaultGateways: { usd: 'test.gateway-b' }, plugins }] } });
    expect(manager.config.channels[0]?.defaultGateways).to.deep.equal({ USD: 'test.gateway-b' });
    await manager.close();
  });

  it("says of a code without minor units what core's currencies say (XAU), and of a non-ISO code that it is none", () => {
    const xau = refusalOf({ channels: [{ slug: 'us', currencies: ['USD', 'xau'], plugins }] });
    expect(xau.code).to.equal('invalid_configuration');
    expect(xau.message).to.include('without minor units').and.not.include('is not an ISO 4217');
    expect(xau.details).to.deep.include({ channel: 'us', currency: 'xau' });
    expect(refusalOf({ channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { XTS: 'test.gateway-a' }, plugins }] }).message).to.include('without minor units');
    expect(refusalOf({ channels: [{ slug: 'us', currencies: ['XYZ'], plugins }] }).message).to.include('"XYZ" is not an ISO 4217 currency code');
  });
});
