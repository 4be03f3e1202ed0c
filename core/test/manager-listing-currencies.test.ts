import { expect } from 'chai';
import { PluginManager } from '@payhost/core';
import { GatewayA, GatewayB } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// A listing offers a gateway's currencies the channel sells, never others; a gateway that takes none of them
// is not offered, and the load says so.
describe('manager: listed currencies are those the channel sells', () => {
  const log = captureLogger();
  const manager = new PluginManager({
    plugins: [GatewayA, GatewayB],
    logger: log.logger,
    config: {
      channels: [
        {
          slug: 'us',
          currencies: ['USD'],
          plugins: {
            // A takes EUR only: nothing this channel sells. B takes EUR and USD (its default).
            'test.gateway-a': { active: true, configuration: { supported_currencies: 'EUR' } },
            'test.gateway-b': { active: true },
          },
        },
        { slug: 'both', currencies: ['USD', 'EUR'], plugins: { 'test.gateway-b': { active: true } } },
      ],
    },
  });
  after(() => manager.close());

  it("cuts a gateway's currencies down to the channel's, for a currency and without one", async () => {
    expect(await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).to.have.deep.nested.property('[0].currencies', ['USD']);
    const all = await manager.listPaymentGateways({ channel: 'us' });
    expect(all.map((g) => [g.id, g.currencies])).to.deep.equal([['test.gateway-b', ['USD']]]);
    // Where the channel sells both, both are listed.
    expect((await manager.listPaymentGateways({ channel: 'both', currency: 'USD' }))[0]?.currencies).to.deep.equal(['EUR', 'USD']);
  });

  it('warns at build about an active gateway taking none of the channel currencies', () => {
    const warned = log.lines.filter((l) => l['level'] === 40 && l['gateway'] === 'test.gateway-a' && l['channel'] === 'us');
    expect(warned).to.have.length(1);
    expect(String(warned[0]?.['msg'])).to.include('takes none of its currencies');
    expect(log.lines.filter((l) => l['level'] === 40 && l['gateway'] === 'test.gateway-b')).to.deep.equal([]);
  });
});
