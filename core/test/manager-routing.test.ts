import { expect } from 'chai';
import { Decimal, PluginManager, type HostConfigInput } from '@payhost/core';
import { GatewayA, GatewayB, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

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
    expect(await codeOf(manager.voidPayment({ channel: 'us', gateway: 'test.gateway-a', payment: payment() }))).to.equal('operation_not_supported');
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

describe('manager: a default gateway that cannot take the payment is passed over', () => {
  const channel = (defaultGateways: Record<string, string>, plugins: HostConfigInput['channels'][number]['plugins']): HostConfigInput => ({
    channels: [{ slug: 'us', currencies: ['USD', 'EUR'], defaultGateways, plugins }],
  });
  const routedTo = async (manager: PluginManager, currency: string) =>
    (await manager.processPayment({ channel: 'us', payment: payment({ currency }) })).transactionId;
  const listedFirst = async (manager: PluginManager, currency: string) => (await manager.listPaymentGateways({ channel: 'us', currency }))[0]?.id;

  it('an inactive default: unnamed payments go to the first active gateway taking the currency, as listed, with a warning', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [GatewayA, GatewayB],
      logger: log.logger,
      config: channel({ USD: 'test.gateway-a' }, { 'test.gateway-a': { active: false }, 'test.gateway-b': { active: true } }),
    });
    expect(await routedTo(manager, 'USD')).to.equal('b-p1');
    expect(await listedFirst(manager, 'USD')).to.equal('test.gateway-b');
    expect(log.lines.find((l) => l['gateway'] === 'test.gateway-a')).to.include({ currency: 'USD', routedTo: 'test.gateway-b' });
    await manager.close();
  });

  it('a default that does not take the currency: the same', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [GatewayA, GatewayB],
      logger: log.logger,
      config: channel({ EUR: 'test.gateway-a' }, { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true } }),
    });
    expect(await routedTo(manager, 'EUR')).to.equal('b-p1');
    expect(await routedTo(manager, 'USD')).to.equal('a-p1');
    expect(String(log.lines.find((l) => l['gateway'] === 'test.gateway-a')?.['msg'])).to.include('does not take EUR');
    await manager.close();
  });

  it('a default deactivated at runtime: payments fall through to the next gateway, and return to it once reactivated', async () => {
    const manager = new PluginManager({
      plugins: [GatewayA, GatewayB],
      config: channel({ USD: 'test.gateway-b' }, { 'test.gateway-a': { active: true }, 'test.gateway-b': { active: true } }),
      logger: captureLogger().logger,
    });
    expect(await routedTo(manager, 'USD')).to.equal('b-p1');
    manager.updatePluginConfiguration('test.gateway-b', 'us', { active: false });
    expect(await routedTo(manager, 'USD')).to.equal('a-p1');
    manager.updatePluginConfiguration('test.gateway-b', 'us', { active: true });
    expect(await routedTo(manager, 'USD')).to.equal('b-p1');
    await manager.close();
  });

  it('no active gateway takes the currency at all: currency_not_supported, as with no default', async () => {
    const manager = new PluginManager({
      plugins: [GatewayA, GatewayB],
      config: channel({ USD: 'test.gateway-a' }, { 'test.gateway-a': { active: false }, 'test.gateway-b': { active: true, configuration: { supported_currencies: 'EUR' } } }),
      logger: captureLogger().logger,
    });
    expect(await codeOf(manager.processPayment({ channel: 'us', payment: payment() }))).to.equal('currency_not_supported');
    expect(await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).to.deep.equal([]);
    await manager.close();
  });
});

describe('manager: a plugin that is half a gateway', () => {
  /** Declares a gateway configuration and can authorize, but forgot processPayment. */
  class NoProcess extends GatewayA {
    static override id = 'test.no-process';
    override processPayment = undefined as never;
    async authorizePayment(p: Parameters<GatewayA['processPayment']>[0]) {
      return GatewayA.prototype.processPayment.call(this, p);
    }
  }

  it('is not routed to, and the load says why in a warning', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [NoProcess, GatewayB],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.no-process': { active: true }, 'test.gateway-b': { active: true } } }] },
      logger: log.logger,
    });
    const listed = await manager.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(listed.map((g) => g.id)).to.deep.equal(['test.gateway-b']);
    // Nor listed without a currency: both listings agree.
    expect((await manager.listPaymentGateways({ channel: 'us' })).map((g) => g.id)).to.deep.equal(['test.gateway-b']);
    expect(await codeOf(manager.authorizePayment({ channel: 'us', gateway: 'test.no-process', payment: payment() }))).to.equal('unknown_gateway');
    const warnings = log.lines.filter((l) => l['plugin'] === 'test.no-process' && l['level'] === 40);
    expect(warnings).to.have.length(1);
    expect(warnings[0]?.['msg']).to.equal('Plugin "test.no-process" has a gateway configuration but no processPayment: it is not a gateway, and no payment is routed to it');
    await manager.close();
  });

  it('warns about an active plugin with processPayment whose gatewayConfig() returns null (it forgot to declare one)', async () => {
    class NoConfig extends GatewayA {
      static override id = 'test.no-config';
      override gatewayConfig() {
        return null as never;
      }
    }
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [NoConfig, GatewayB],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.no-config': { active: true }, 'test.gateway-b': { active: true } } }] },
      logger: log.logger,
    });
    expect((await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).map((g) => g.id)).to.deep.equal(['test.gateway-b']);
    const warnings = log.lines.filter((l) => l['plugin'] === 'test.no-config' && l['level'] === 40);
    expect(warnings.map((w) => w['msg'])).to.deep.equal([
      'Plugin "test.no-config" has processPayment but its gatewayConfig() returns null: it declares no currencies, and no payment is routed to it',
    ]);
    await manager.close();
  });

  it('says nothing while it is inactive, nor about a real gateway', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [NoProcess, GatewayB],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.no-process': { active: false }, 'test.gateway-b': { active: true } } }] },
      logger: log.logger,
    });
    expect(log.lines.filter((l) => l['level'] === 40)).to.deep.equal([]);
    await manager.close();
  });
});
