import { expect } from 'chai';
import { Decimal, PluginManager, type HostConfigInput } from '@payhost/core';
import { GatewayA, GatewayB, payment } from './support/plugins.js';

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

const config = (): HostConfigInput => ({
  channels: [
    {
      slug: 'us',
      currencies: ['USD', 'EUR'],
      defaultGateways: { EUR: 'test.gateway-b' },
      plugins: { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true } },
    },
    { slug: 'eu', currencies: ['EUR'], plugins: { 'test.gateway-a': { active: true, configuration: { supported_currencies: 'EUR' } } } },
    { slug: 'jp', currencies: ['JPY'], plugins: { 'test.gateway-b': { active: false, configuration: { supported_currencies: 'JPY' } } } },
  ],
});

describe('manager: currency routing', () => {
  const manager = new PluginManager({ plugins: [GatewayA, GatewayB], config: config() });

  it('lists the active gateways of a channel for a currency, with their public config', async () => {
    const usd = await manager.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(usd.map((g) => g.id)).to.deep.equal(['test.gateway-a', 'test.gateway-b']);
    expect(usd[0]).to.deep.include({ name: 'Gateway A', currencies: ['USD'] });
    expect(usd[0]?.config).to.deep.equal([{ field: 'api_key', value: 'pk_a' }]);
    const eur = await manager.listPaymentGateways({ channel: 'us', currency: 'eur' });
    expect(eur.map((g) => g.id)).to.deep.equal(['test.gateway-b']);
  });

  it('lists nothing for a currency the channel does not sell, and only active gateways', async () => {
    expect(await manager.listPaymentGateways({ channel: 'us', currency: 'GBP' })).to.deep.equal([]);
    expect(await manager.listPaymentGateways({ channel: 'jp', currency: 'JPY' })).to.deep.equal([]);
  });

  it('lists every active gateway when no currency is given', async () => {
    const all = await manager.listPaymentGateways({ channel: 'us' });
    expect(all.map((g) => g.id)).to.deep.equal(['test.gateway-a', 'test.gateway-b']);
  });

  it('rejects an unknown channel and a non-ISO currency with typed errors', async () => {
    expect(await codeOf(manager.listPaymentGateways({ channel: 'mars', currency: 'USD' }))).to.equal('unknown_channel');
    expect(await codeOf(manager.listPaymentGateways({ channel: 'us', currency: 'USDD' }))).to.equal('unknown_currency');
  });

  it('routes to the configured default gateway for the currency, else the first active one', async () => {
    const eur = await manager.processPayment({ channel: 'us', payment: payment({ currency: 'EUR' }) });
    expect(eur.transactionId).to.equal('b-p1');
    const usd = await manager.processPayment({ channel: 'us', payment: payment({ currency: 'USD' }) });
    expect(usd.transactionId).to.equal('a-p1');
  });

  it('routes to a named gateway within the channel', async () => {
    const response = await manager.processPayment({ channel: 'us', gateway: 'test.gateway-b', payment: payment() });
    expect(response.transactionId).to.equal('b-p1');
    expect(response.isSuccess).to.equal(true);
  });

  it('rejects unknown and inactive gateways, unsupported currencies and invalid amounts with typed errors', async () => {
    expect(await codeOf(manager.processPayment({ channel: 'us', gateway: 'nope', payment: payment() }))).to.equal('unknown_gateway');
    expect(await codeOf(manager.processPayment({ channel: 'jp', gateway: 'test.gateway-b', payment: payment({ currency: 'JPY', amount: new Decimal(100) }) }))).to.equal(
      'inactive_gateway',
    );
    expect(await codeOf(manager.processPayment({ channel: 'jp', payment: payment({ currency: 'JPY', amount: new Decimal(100) }) }))).to.equal('currency_not_supported');
    expect(await codeOf(manager.processPayment({ channel: 'us', gateway: 'test.gateway-a', payment: payment({ currency: 'EUR' }) }))).to.equal(
      'currency_not_supported',
    );
    expect(await codeOf(manager.processPayment({ channel: 'us', payment: payment({ currency: 'GBP' }) }))).to.equal('currency_not_supported');
    expect(await codeOf(manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal('10.001') }) }))).to.equal('invalid_amount');
    expect(await codeOf(manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal('-1') }) }))).to.equal('invalid_amount');
    expect(await codeOf(manager.processPayment({ channel: 'us', payment: payment({ amount: new Decimal(NaN) }) }))).to.equal('invalid_amount');
    expect(await codeOf(manager.processPayment({ channel: 'mars', payment: payment() }))).to.equal('unknown_channel');
  });

  it('says a gateway does not support an operation it lacks', async () => {
    expect(await codeOf(manager.voidPayment({ channel: 'us', payment: payment() }))).to.equal('operation_not_supported');
  });

  it('keeps the routing cost independent of the number of channels (index built at configuration time)', () => {
    const many: HostConfigInput = {
      channels: Array.from({ length: 2000 }, (_, i) => ({ slug: `c${i}`, currencies: ['USD'], plugins: { 'test.gateway-a': { active: true } } })),
    };
    const big = new PluginManager({ plugins: [GatewayA], config: many });
    const channel = big.channel('c1999');
    expect(channel.gatewaysByCurrency.get('USD')?.map((g) => g.id)).to.deep.equal(['test.gateway-a']);
    expect(big.resolveGateway('c1999', 'USD').id).to.equal('test.gateway-a');
  });
});
