import { expect } from 'chai';
import { BasePlugin, Decimal, PluginManager, type ChannelInput, type GatewayResponse, type HookSpec, type PaymentData, type PluginClass } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { GatewayA, okResponse, payment } from './support/plugins.js';

/** Builds a per-channel plugin class whose getSupportedCurrencies hook applies `transform`. */
function currencyPlugin(id: string, transform?: (previous: string[]) => string[] | undefined, perChannel = true): PluginClass {
  class P extends BasePlugin {
    static override id = id;
    static override configurationPerChannel = perChannel;
  }
  if (transform) {
    Object.defineProperty(P.prototype, 'getSupportedCurrencies', {
      value: async (_input: ChannelInput, previous: string[]) => transform(previous),
    });
  }
  return P as unknown as PluginClass;
}

const channels = (plugins: Record<string, { active: boolean }>, globalPlugins: Record<string, { active: boolean }> = {}) => ({
  channels: [
    { slug: 'us', currencies: ['USD'], plugins },
    { slug: 'eu', currencies: ['EUR'] },
  ],
  globalPlugins,
});

describe('manager: chained hooks (Saleor manager semantics)', () => {
  it('returns the default value when no plugin implements the hook', async () => {
    const manager = new PluginManager({ plugins: [currencyPlugin('a')], config: channels({ a: { active: true } }) });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, ['DEFAULT'])).to.deep.equal(['DEFAULT']);
  });

  it('threads previousValue through every active plugin in declared order', async () => {
    const a = currencyPlugin('a', (prev) => [...prev, 'A']);
    const b = currencyPlugin('b', (prev) => [...prev, 'B']);
    const c = currencyPlugin('c', (prev) => [...prev, 'C']);
    const manager = new PluginManager({ plugins: [a, b, c], config: channels({ c: { active: true }, a: { active: true }, b: { active: true } }) });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, ['X'])).to.deep.equal(['X', 'A', 'B', 'C']);
  });

  it('lets the last active plugin win, and a plugin returning undefined pass the value through', async () => {
    const first = currencyPlugin('first', () => ['FIRST']);
    const passer = currencyPlugin('passer', () => undefined);
    const last = currencyPlugin('last', () => ['LAST']);
    const manager = new PluginManager({ plugins: [first, last, passer], config: channels({ first: { active: true }, last: { active: true }, passer: { active: true } }) });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['LAST']);
  });

  it('keeps null from a plugin (null replaces, only undefined passes through)', async () => {
    class Nuller extends BasePlugin {
      static override id = 'nuller';
      async orderCreated(): Promise<string | null> {
        return null;
      }
    }
    const manager = new PluginManager({ plugins: [Nuller], config: channels({ nuller: { active: true } }) });
    expect(await manager.runHook('us', 'orderCreated' as never, {} as never, 'default' as never)).to.equal(null);
  });

  it('skips inactive plugins', async () => {
    const on = currencyPlugin('on', (prev) => [...prev, 'ON']);
    const off = currencyPlugin('off', (prev) => [...prev, 'OFF']);
    const manager = new PluginManager({ plugins: [on, off], config: channels({ on: { active: true }, off: { active: false } }) });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['ON']);
  });

  it('uses a plugin default active flag when the channel does not configure it', async () => {
    const byDefault = currencyPlugin('by-default', (prev) => [...prev, 'D']);
    (byDefault as { defaultActive: boolean }).defaultActive = true;
    const manager = new PluginManager({ plugins: [byDefault], config: channels({}) });
    expect(await manager.runHook('eu', 'getSupportedCurrencies', { channel: 'eu' }, [])).to.deep.equal(['D']);
  });

  it('scopes plugins to their channel and runs global plugins after channel plugins', async () => {
    const global = currencyPlugin('global', (prev) => [...prev, 'GLOBAL'], false);
    const local = currencyPlugin('local', (prev) => [...prev, 'LOCAL']);
    // Declared global first: the channel's own plugins still come first.
    const manager = new PluginManager({ plugins: [global, local], config: channels({ local: { active: true } }, { global: { active: true } }) });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['LOCAL', 'GLOBAL']);
    expect(await manager.runHook('eu', 'getSupportedCurrencies', { channel: 'eu' }, [])).to.deep.equal(['GLOBAL']);
    expect(await manager.runHook(null, 'getSupportedCurrencies', { channel: 'none' }, [])).to.deep.equal(['GLOBAL']);
  });

  it('gives each channel its own plugin instance and configuration', async () => {
    const seen: Array<string | null> = [];
    class Recorder extends BasePlugin {
      static override id = 'recorder';
      static override configStructure = { label: { type: 'String' as const, label: 'Label' } };
      async getSupportedCurrencies(_input: ChannelInput, prev: string[]): Promise<string[]> {
        seen.push(this.channel);
        return [...prev, String(this.configuration['label'])];
      }
    }
    const manager = new PluginManager({
      plugins: [Recorder],
      config: {
        channels: [
          { slug: 'us', currencies: ['USD'], plugins: { recorder: { active: true, configuration: { label: 'us-label' } } } },
          { slug: 'eu', currencies: ['EUR'], plugins: { recorder: { active: true, configuration: { label: 'eu-label' } } } },
        ],
      },
    });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['us-label']);
    expect(await manager.runHook('eu', 'getSupportedCurrencies', { channel: 'eu' }, [])).to.deep.equal(['eu-label']);
    expect(seen).to.deep.equal(['us', 'eu']);
  });

  it('rejects an unknown channel with a typed error', async () => {
    const manager = new PluginManager({ plugins: [], config: channels({}) });
    try {
      await manager.runHook('mars', 'getSupportedCurrencies', { channel: 'mars' }, []);
      expect.fail('expected an error');
    } catch (err) {
      expect(err).to.have.property('code', 'unknown_channel');
    }
  });

  it('runs host-declared hooks through the same pipeline, typed', async () => {
    interface Order {
      id: string;
      total: string;
    }
    type HostHooks = { orderCreated: HookSpec<Order, string[]> };
    class Notifier extends BasePlugin {
      static override id = 'notifier';
      async orderCreated(order: Order, previous: string[]): Promise<string[]> {
        return [...previous, `notified ${order.id} (${order.total})`];
      }
    }
    class Auditor extends BasePlugin {
      static override id = 'auditor';
      static override configurationPerChannel = false;
      async orderCreated(order: Order, previous: string[]): Promise<string[]> {
        return [...previous, `audited ${order.id}`];
      }
    }
    const manager = new PluginManager<HostHooks>({ plugins: [Notifier, Auditor], config: channels({ notifier: { active: true } }, { auditor: { active: true } }) });
    const result: string[] = await manager.runHook('us', 'orderCreated', { id: 'o-1', total: '12.00' }, []);
    expect(result).to.deep.equal(['notified o-1 (12.00)', 'audited o-1']);
  });

  it('runs a host hook named like an inherited member (constructor, toString, __proto__) only on plugins that define it', async () => {
    type HostHooks = { constructor: HookSpec<string, string>; toString: HookSpec<string, string>; __proto__: HookSpec<string, string> };
    class Defines extends BasePlugin {
      static override id = 'defines';
    }
    Object.defineProperty(Defines.prototype, '__proto__', { value: async (input: string, previous: string) => `${previous}+${input}` });
    Object.defineProperty(Defines.prototype, 'toString', { value: async (input: string, previous: string) => `${previous}*${input}` });
    class Plain extends BasePlugin {
      static override id = 'plain';
    }
    const log = captureLogger();
    const manager = new PluginManager<HostHooks>({ plugins: [Plain, Defines], config: channels({ plain: { active: true }, defines: { active: true } }), logger: log.logger });
    expect(await manager.runHook('us', 'constructor', 'x', 'start')).to.equal('start');
    expect(await manager.runHook('us', '__proto__', 'x', 'start')).to.equal('start+x');
    expect(await manager.runHook('us', 'toString', 'y', 'start')).to.equal('start*y');
    expect(await manager.runHook(null, '__proto__', 'x', 'global')).to.equal('global');
    // No plugin's constructor or inherited method was called as a hook (it would have failed, and been logged).
    expect(log.lines.filter((l) => (l['level'] as number) >= 50)).to.deep.equal([]);
  });

  it('compiles hooks once per configuration version, not per request', async () => {
    let calls = 0;
    const counting = currencyPlugin('counting', (prev) => {
      calls++;
      return prev;
    });
    const manager = new PluginManager({ plugins: [counting], config: channels({ counting: { active: true } }) });
    const channel = manager.channel('us');
    await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
    const compiled = (channel.pipeline as unknown as { compiled: Map<string, unknown> }).compiled.get('getSupportedCurrencies');
    for (let i = 0; i < 5; i++) await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
    expect((channel.pipeline as unknown as { compiled: Map<string, unknown> }).compiled.get('getSupportedCurrencies')).to.equal(compiled);
    expect(calls).to.equal(6);
  });
});

describe('manager: runHook refuses the hooks that go to one gateway', () => {
  const charged: string[] = [];
  const gateway = (id: string) =>
    class extends GatewayA {
      static override id = id;
      override async processPayment(p: PaymentData): Promise<GatewayResponse> {
        charged.push(id);
        return okResponse(p, id);
      }
      async getTransactionStatus(): Promise<GatewayResponse | null> {
        charged.push(`${id}:status`);
        return null;
      }
    };

  for (const name of ['processPayment', 'authorizePayment', 'capturePayment', 'refundPayment', 'voidPayment', 'confirmPayment', 'getTransactionStatus', 'getClientToken', 'tokenIsRequiredAsPaymentInput', 'webhook'] as const) {
    it(`${name}: invalid_input pointing at the routed call, and no gateway is called`, async () => {
      charged.length = 0;
      const plugins = [gateway('one'), gateway('two')];
      const manager = new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { one: { active: true }, two: { active: true } } }] } });
      const input = name === 'getTransactionStatus' ? ({ transaction: null, payment: payment() } as never) : (payment({ amount: new Decimal('-5') }) as never);
      try {
        // @ts-expect-error runHook's name type leaves these hooks out; a caller that gets round it is refused at run time
        await manager.runHook('us', name, input, null);
        expect.fail(`runHook ran ${name}`);
      } catch (err) {
        expect(err).to.include({ code: 'invalid_input' });
        const use = name === 'getTransactionStatus' || name === 'getClientToken' || name === 'tokenIsRequiredAsPaymentInput' || name === 'webhook' ? name : 'runOperation';
        expect((err as { details?: unknown }).details).to.deep.equal({ hook: name, use });
      }
      expect(charged).to.deep.equal([]);
      await manager.close();
    });
  }

  it('an unknown channel is a rejected promise, not a synchronous throw (runHook, getPaymentConfig, listPaymentSources)', async () => {
    const manager = new PluginManager({ plugins: [gateway('one')], config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { one: { active: true } } }] } });
    const calls: Array<() => Promise<unknown>> = [
      () => manager.runHook('nope', 'getSupportedCurrencies', { channel: 'nope' }, []),
      () => manager.getPaymentConfig({ channel: 'nope', gateway: 'one' }),
      () => manager.listPaymentSources({ channel: 'nope', customerId: 'c-1' }),
    ];
    for (const call of calls) {
      let pending: Promise<unknown> | undefined;
      expect(() => (pending = call())).not.to.throw();
      const err = await pending?.then(() => null, (e: unknown) => e);
      expect(err).to.include({ code: 'unknown_channel' });
    }
    await manager.close();
  });

  it('hands out its configuration frozen: changing it in place throws and changes nothing, updates go through updatePluginConfiguration', async () => {
    const on = currencyPlugin('on', (prev) => [...prev, 'ON']);
    const manager = new PluginManager({ plugins: [on], config: channels({ on: { active: true } }) });
    const plugins = manager.config.channels[0]?.plugins as Record<string, { active: boolean }>;
    expect(() => {
      (plugins['on'] as { active: boolean }).active = false;
    }).to.throw(TypeError);
    expect(() => (manager.config.channels as unknown as unknown[]).push({ slug: 'xx' })).to.throw(TypeError);
    expect(manager.getPluginConfiguration('on', 'us').active).to.equal(true);
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['ON']);
    manager.updatePluginConfiguration('on', 'us', { active: false });
    expect(manager.config.channels[0]?.plugins['on']?.active).to.equal(false);
    expect(Object.isFrozen(manager.config.channels[0]?.plugins['on'])).to.equal(true);
    await manager.close();
  });
});

describe('manager: getClientToken for a currency', () => {
  const asked: string[] = [];
  class TokenGateway extends GatewayA {
    static override id = 'tokens';
    async getClientToken(request: { currency?: string | null }): Promise<string> {
      asked.push(String(request.currency));
      return `token-${String(request.currency)}`;
    }
  }
  const config = { channels: [{ slug: 'us', currencies: ['USD', 'EUR'], plugins: { tokens: { active: true, configuration: { supported_currencies: 'USD' } } } }] };

  it('needs what a payment in that currency needs: the channel sells it and the gateway takes it; none asked otherwise', async () => {
    asked.length = 0;
    const manager = new PluginManager({ plugins: [TokenGateway], config });
    try {
      // The plugin gets the currency normalized, and null for none (manager-client-token.test.ts).
      expect(await manager.getClientToken({ channel: 'us', gateway: 'tokens', currency: 'usd' })).to.equal('token-USD');
      expect(await manager.getClientToken({ channel: 'us', gateway: 'tokens' })).to.equal('token-null');
      for (const [currency, message] of [['GBP', 'Channel "us" does not sell in GBP'], ['EUR', 'Gateway "tokens" does not support EUR']]) {
        const err = await manager.getClientToken({ channel: 'us', gateway: 'tokens', currency }).then(() => null, (e: unknown) => e);
        expect(err, currency).to.include({ code: 'currency_not_supported', message });
      }
      expect(asked).to.deep.equal(['USD', 'null']);
    } finally {
      await manager.close();
    }
  });
});
