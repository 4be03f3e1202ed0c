import { expect } from 'chai';
import {
  BasePlugin,
  PluginManager,
  gatewayConfigFromValues,
  type ChannelInput,
  type ConfigStructure,
  type GatewayConfig,
  type HostConfigInput,
  type PaymentGateway,
  type PaymentGatewaysInput,
  type PublicConfig,
} from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

// listPaymentGateways keeps each channel and currency's listing per
// configuration version: the listing hooks run once, not on every call.

type Behaviour = 'ok' | 'throw' | 'hang';
const fields: ConfigStructure = {
  supported_currencies: { type: 'String', label: 'Currencies' },
  api_key: { type: 'String', label: 'Public key' },
};

/** A gateway whose getPaymentConfig counts its calls and misbehaves on demand. */
class Counted extends BasePlugin {
  static override id = 'test.counted';
  static override pluginName = 'Counted';
  static override configStructure = fields;
  static override defaultConfiguration = { supported_currencies: 'USD,EUR', api_key: 'pk' };
  static calls: string[] = [];
  static behaviour: Behaviour = 'ok';

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  getPaymentConfig(_input: ChannelInput, previous: PublicConfig): Promise<PublicConfig> {
    Counted.calls.push(String(this.channel));
    if (Counted.behaviour === 'throw') return Promise.reject(new Error('config service down'));
    if (Counted.behaviour === 'hang') return new Promise(() => undefined);
    return Promise.resolve([...previous, { field: 'api_key', value: String(this.configuration['api_key']) }]);
  }
  async processPayment(): Promise<null> {
    return null;
  }
}

/** Lists itself with a fresh nonce each time, and says so. */
class Volatile extends Counted {
  static override id = 'test.volatile';
  static override volatilePaymentConfig = true;
  static nonce = 0;
  override async getPaymentConfig(_input: ChannelInput, previous: PublicConfig): Promise<PublicConfig> {
    return [...previous, { field: 'nonce', value: String(++Volatile.nonce) }];
  }
}

const config = (channels = 2, extra: Record<string, { active: boolean }> = {}): HostConfigInput => ({
  channels: Array.from({ length: channels }, (_, i) => ({
    slug: `c${i}`,
    currencies: ['USD', 'EUR'],
    plugins: { 'test.counted': { active: true, configuration: { api_key: `pk_${i}` } }, ...extra },
  })),
});

const ids = (listing: readonly { id: string }[]): string[] => listing.map((g) => g.id);

describe('manager: gateway listings, kept per configuration version', () => {
  beforeEach(() => {
    Counted.calls = [];
    Counted.behaviour = 'ok';
  });

  it('runs the listing hooks once per channel and currency, and answers the same every time', async () => {
    const manager = new PluginManager({ plugins: [Counted], config: config() });
    for (let i = 0; i < 3; i++) {
      for (const currency of ['USD', 'eur', 'EUR', null]) {
        const listed = await manager.listPaymentGateways({ channel: 'c1', currency });
        expect(listed).to.deep.equal([{ id: 'test.counted', name: 'Counted', currencies: ['USD', 'EUR'], config: [{ field: 'api_key', value: 'pk_1' }] }]);
      }
    }
    // USD, EUR (asked as "eur" and "EUR") and the listing without a currency.
    expect(Counted.calls).to.deep.equal(['c1', 'c1', 'c1']);
    expect(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' })).to.have.length(1);
    expect(Counted.calls).to.have.length(4);
  });

  it('shares one computation between concurrent first calls', async () => {
    const manager = new PluginManager({ plugins: [Counted], config: config() });
    const all = await Promise.all(Array.from({ length: 5 }, () => manager.listPaymentGateways({ channel: 'c0', currency: 'USD' })));
    expect(all.map(ids)).to.deep.equal(Array.from({ length: 5 }, () => ['test.counted']));
    expect(Counted.calls).to.deep.equal(['c0']);
  });

  it("computes a channel's listings again after its configuration changes, and only that channel's", async () => {
    const manager = new PluginManager({ plugins: [Counted], config: config() });
    await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' });
    await manager.listPaymentGateways({ channel: 'c1', currency: 'USD' });
    manager.updatePluginConfiguration('test.counted', 'c0', { configuration: { api_key: 'pk_new' } });
    const c0 = await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' });
    expect(c0[0]?.config).to.deep.equal([{ field: 'api_key', value: 'pk_new' }]);
    expect((await manager.listPaymentGateways({ channel: 'c1', currency: 'USD' }))[0]?.config).to.deep.equal([{ field: 'api_key', value: 'pk_1' }]);
    expect(Counted.calls).to.deep.equal(['c0', 'c1', 'c0']);
    manager.updatePluginConfiguration('test.counted', 'c0', { active: false });
    expect(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' })).to.deep.equal([]);
  });

  for (const behaviour of ['throw', 'hang'] as const) {
    it(`does not keep a listing computed while a plugin ${behaviour === 'throw' ? 'failed' : 'timed out'}: the next call computes it again`, async () => {
      const log = captureLogger();
      const manager = new PluginManager({ plugins: [Counted], config: config(), logger: log.logger, hookTimeoutMs: 30 });
      Counted.behaviour = behaviour;
      expect(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' })).to.deep.equal([]);
      expect(log.lines.filter((l) => l['hook'] === 'getPaymentGateways' && l['plugin'] === 'test.counted')).to.have.length(1);
      Counted.behaviour = 'ok';
      expect(ids(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' }))).to.deep.equal(['test.counted']);
      expect(ids(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' }))).to.deep.equal(['test.counted']);
      expect(Counted.calls).to.deep.equal(['c0', 'c0']);
      await manager.close();
    });
  }

  it('hands out frozen gateways in an array of the caller\'s own, so no caller can change what the next one sees', async () => {
    let mine: PaymentGateway[] = [];
    class Keeper extends Counted {
      static override id = 'test.keeper';
      override async getPaymentGateways(input: PaymentGatewaysInput, previous: PaymentGateway[]): Promise<PaymentGateway[] | undefined> {
        const listed = await super.getPaymentGateways(input, previous);
        mine = listed ?? [];
        return listed;
      }
    }
    const manager = new PluginManager({ plugins: [Keeper], config: { channels: [{ slug: 'c0', currencies: ['USD'], plugins: { 'test.keeper': { active: true } } }] } });
    const first = await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' });
    const gateway = first[0] as PaymentGateway;
    expect(Object.isFrozen(gateway) && Object.isFrozen(gateway.currencies) && Object.isFrozen(gateway.config) && Object.isFrozen(gateway.config[0])).to.equal(true);
    expect(() => gateway.currencies.push('GBP')).to.throw(TypeError);
    expect(() => ((gateway.config[0] as { value: string }).value = 'stolen')).to.throw(TypeError);
    first.push({ ...gateway, id: 'intruder' });
    first.reverse();
    // The plugin's own objects were copied, not frozen: it may change them, the listing does not.
    expect(Object.isFrozen(mine[0])).to.equal(false);
    (mine[0] as PaymentGateway).name = 'Renamed';
    const again = await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' });
    expect(again).to.deep.equal([{ id: 'test.keeper', name: 'Counted', currencies: ['USD'], config: [{ field: 'api_key', value: 'pk' }] }]);
    expect(again).to.not.equal(first);
    expect(again[0]).to.equal(gateway);
  });

  it('computes listings with a volatilePaymentConfig plugin on every call', async () => {
    const manager = new PluginManager({ plugins: [Counted, Volatile], config: config(1, { 'test.volatile': { active: true } }) });
    const nonce = async () => (await manager.listPaymentGateways({ channel: 'c0', currency: 'EUR' }))[1]?.config.find((c) => c.field === 'nonce')?.value;
    const [a, b] = [await nonce(), await nonce()];
    expect(a).to.not.equal(b);
    expect(Counted.calls).to.deep.equal(['c0', 'c0']);
  });

  it('lists every gateway, in order, however many a channel has (more than a cell code holds, or than there are plugins)', async () => {
    const many = Array.from({ length: 8 }, (_, i) => {
      const cls = class extends Counted {};
      Object.assign(cls, { id: `test.g${i}`, pluginName: `G${i}` });
      return cls;
    });
    class Twice extends Counted {
      static override id = 'test.twice';
      override async getPaymentGateways(input: PaymentGatewaysInput, previous: PaymentGateway[]): Promise<PaymentGateway[] | undefined> {
        const listed = (await super.getPaymentGateways(input, previous)) ?? previous;
        return [...listed, { id: 'test.twice-sandbox', name: 'Sandbox', currencies: ['USD'], config: [] }];
      }
    }
    const plugins = Object.fromEntries([...many, Twice].map((cls) => [cls.id, { active: true }]));
    const manager = new PluginManager({ plugins: [...many, Twice], config: { channels: [{ slug: 'c0', currencies: ['USD', 'EUR'], plugins }] } });
    const expected = [...many.map((cls) => cls.id), 'test.twice', 'test.twice-sandbox'];
    for (let i = 0; i < 2; i++) expect(ids(await manager.listPaymentGateways({ channel: 'c0', currency: 'USD' }))).to.deep.equal(expected);
    const two = new PluginManager({ plugins: [Twice], config: { channels: [{ slug: 'c0', currencies: ['USD', 'EUR'], plugins: { 'test.twice': { active: true } } }] } });
    for (const currency of ['USD', 'EUR', 'USD']) expect(ids(await two.listPaymentGateways({ channel: 'c0', currency }))).to.deep.equal(['test.twice', 'test.twice-sandbox']);
  });

  it("runs a plugin that is no gateway (it only shapes the listing) in the currency's listing too, in declared order", async () => {
    const seen: Array<string | null> = [];
    /** A global branding plugin: no GatewayConfig, no processPayment; renames what the gateways before it listed. */
    class Branding extends BasePlugin {
      static override id = 'test.branding';
      static override pluginName = 'Branding';
      static override configurationPerChannel = false;
      override async getPaymentGateways(input: PaymentGatewaysInput, previous: PaymentGateway[]): Promise<PaymentGateway[]> {
        seen.push(input.currency);
        return previous.map((gateway) => ({ ...gateway, name: `Shop: ${gateway.name}` }));
      }
    }
    class EurOnly extends Counted {
      static override id = 'test.eur-only';
      static override defaultConfiguration = { supported_currencies: 'EUR', api_key: 'pk_eur' };
    }
    const manager = new PluginManager({
      plugins: [Counted, EurOnly, Branding],
      config: {
        channels: [{ slug: 'c0', currencies: ['USD', 'EUR', 'GBP'], plugins: { 'test.counted': { active: true }, 'test.eur-only': { active: true } } }],
        globalPlugins: { 'test.branding': { active: true } },
      },
    });
    const names = async (currency: string | null) => (await manager.listPaymentGateways({ channel: 'c0', currency })).map((g) => `${g.id} ${g.name}`);
    for (let i = 0; i < 2; i++) {
      expect(await names('USD')).to.deep.equal(['test.counted Shop: Counted']);
      expect(await names('EUR')).to.deep.equal(['test.counted Shop: Counted', 'test.eur-only Shop: Counted']);
      expect(await names(null)).to.deep.equal(['test.counted Shop: Counted', 'test.eur-only Shop: Counted']);
      // Sold, and no gateway takes it: the branding plugin still runs (over an empty listing).
      expect(await names('GBP')).to.deep.equal([]);
    }
    // Once per listing and configuration version, as the gateways' own hooks.
    expect(seen).to.deep.equal(['USD', 'EUR', null, 'GBP']);
    expect(await names('JPY')).to.deep.equal([]);
    expect(seen).to.have.length(4);
    await manager.close();
  });

  it('keeps the typed errors and the empty answers', async () => {
    const manager = new PluginManager({ plugins: [Counted], config: config() });
    const codeOf = (p: Promise<unknown>) => p.then(() => undefined, (err: { code?: string }) => err.code);
    expect(await codeOf(manager.listPaymentGateways({ channel: 'mars', currency: 'USD' }))).to.equal('unknown_channel');
    expect(await codeOf(manager.listPaymentGateways({ channel: 'c0', currency: 'USDD' }))).to.equal('unknown_currency');
    expect(await manager.listPaymentGateways({ channel: 'c0', currency: 'GBP' })).to.deep.equal([]);
    expect(await manager.listPaymentGateways({ channel: 'c0', currency: 'JPY' })).to.deep.equal([]);
  });
});
