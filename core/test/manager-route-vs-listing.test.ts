import { expect } from 'chai';
import { BasePlugin, PluginManager, type PaymentGateway, type PaymentGatewaysInput } from '@payhost/core';
import { GatewayA, GatewayB, payment } from './support/plugins.js';

// The currency route comes from the configuration only (docs/configuration.md, defaultGateways):
// a plugin reshaping the listing does not move unnamed payments.
class ReverseListing extends BasePlugin {
  static override id = 'test.reverse-listing';
  override async getPaymentGateways(_input: PaymentGatewaysInput, previous: PaymentGateway[]): Promise<PaymentGateway[]> {
    return [...previous].reverse();
  }
}

describe('manager: a plugin reordering the listing does not change the currency route', () => {
  const manager = new PluginManager({
    plugins: [GatewayA, GatewayB, ReverseListing],
    config: {
      channels: [
        {
          slug: 'us',
          currencies: ['USD'],
          plugins: { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true }, 'test.reverse-listing': { active: true } },
        },
      ],
    },
  });
  after(() => manager.close());

  it('lists B first, yet routes an unnamed USD payment to A, the first declared', async () => {
    const listed = await manager.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(listed.map((g) => g.id)).to.deep.equal(['test.gateway-b', 'test.gateway-a']);
    expect((await manager.processPayment({ channel: 'us', payment: payment() })).transactionId).to.equal('a-p1');
    expect((await manager.processPayment({ channel: 'us', gateway: 'test.gateway-b', payment: payment() })).transactionId).to.equal('b-p1');
  });
});
