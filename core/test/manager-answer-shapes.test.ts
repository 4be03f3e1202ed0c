import { expect } from 'chai';
import { PluginManager, type ChannelInput, type CustomerSource, type PaymentSourcesInput, type PublicConfig, type TokenConfig } from '@payhost/core';
import { frozenCopy } from '../src/manager/frozen-data.js';
import { captureLogger } from './support/log-capture.js';
import { rejection } from './support/loader.js';
import { GatewayA } from './support/plugins.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

/** A gateway (declared first) whose listing, token and sources answers each test shapes; GatewayA is a healthy one after it. */
class Shapeless extends ScriptedGateway {
  static override id = 'acme.shapeless';
  static config: () => unknown = () => [];
  static token: () => unknown = () => 'ct_1';
  static sources: (previous: CustomerSource[]) => unknown = (previous) => previous;
  async getPaymentConfig(_input: ChannelInput, _previous: PublicConfig): Promise<PublicConfig> {
    return Shapeless.config() as PublicConfig;
  }
  async getClientToken(_input: TokenConfig): Promise<string> {
    return Shapeless.token() as string;
  }
  async listPaymentSources(_input: PaymentSourcesInput, previous: CustomerSource[]): Promise<CustomerSource[]> {
    return Shapeless.sources(previous) as CustomerSource[];
  }
}

/** GatewayA with stored cards: what the sources listing should still hold after a broken plugin. */
class Cards extends GatewayA {
  static override id = 'test.cards';
  async listPaymentSources(_input: PaymentSourcesInput, previous: CustomerSource[]): Promise<CustomerSource[]> {
    return [...previous, { id: 'pm_a', gateway: Cards.id, creditCardInfo: { last4: '4242', brand: 'visa', expMonth: 1, expYear: 2030, nameOnCard: null } }];
  }
}

const HEALTHY = { id: Cards.id, name: 'Gateway A', currencies: ['USD'], config: [{ field: 'api_key', value: 'pk_a' }] };

describe('manager: a wrongly shaped listing, public configuration, client token or payment sources answer is that plugin failing', () => {
  let m: PluginManager;
  let log: ReturnType<typeof captureLogger>;
  beforeEach(() => {
    log = captureLogger();
    m = new PluginManager({
      plugins: [Shapeless, Cards],
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { [Shapeless.id]: { active: true }, [Cards.id]: { active: true } } }] },
      logger: log.logger,
    });
  });
  afterEach(() => m.close());

  const problems = (hook: string) => log.lines.filter((l) => l['hook'] === hook && l['plugin'] === Shapeless.id && l['reason'] === 'invalid_answer').map((l) => l['problem']);

  const cyclic = (): unknown => {
    const item: Record<string, unknown> = { field: 'f', value: 'v' };
    item['self'] = item;
    return [item];
  };

  const wrongConfigs: Array<[string, () => unknown, string]> = [
    ['a string', () => 'nope', 'item 0 of the list: config: the string "nope", not a list of { field, value } objects'],
    ['an object value', () => [{ field: 'k', value: { nested: true } }], 'item 0 of the list: config: item 0 of the list: value a value of type object, not a string'],
    ['a cyclic list', cyclic, 'a list that refers to itself at [0].config[0].self'],
  ];
  for (const [what, config, problem] of wrongConfigs) {
    it(`getPaymentConfig answering ${what}: the healthy gateway is still listed, the broken one left out, logged`, async () => {
      Shapeless.config = config;
      for (const currency of ['USD', null]) expect(await m.listPaymentGateways({ channel: 'web', currency })).to.deep.equal([HEALTHY]);
      expect(problems('getPaymentGateways')[0]).to.equal(problem);
    });
  }

  it('getPaymentConfig() answering a string passes the default on', async () => {
    Shapeless.config = () => 'nope';
    expect(await m.getPaymentConfig({ channel: 'web', gateway: Shapeless.id })).to.deep.equal([]);
    expect(problems('getPaymentConfig')).to.deep.equal(['the string "nope", not a list of { field, value } objects']);
  });

  it('a listing left out for a wrong answer is not kept: it is computed again once the plugin answers well', async () => {
    Shapeless.config = () => 'nope';
    expect(await m.listPaymentGateways({ channel: 'web', currency: 'USD' })).to.deep.equal([HEALTHY]);
    Shapeless.config = () => [{ field: 'pk', value: 'pk_s' }];
    expect((await m.listPaymentGateways({ channel: 'web', currency: 'USD' })).map((g) => g.id)).to.deep.equal([Shapeless.id, Cards.id]);
  });

  for (const [what, token, problem] of [
    ['an object', () => ({ token: 'ct' }), 'a value of type object, not a non-empty string'],
    ['an empty string', () => '', 'the string "", not a non-empty string'],
    ['a number', () => 42, 'the number 42, not a non-empty string'],
  ] as const) {
    it(`getClientToken answering ${what} is plugin_failed (invalid_answer), not a "[object Object]" token`, async () => {
      Shapeless.token = token;
      const err = await rejection(m.getClientToken({ channel: 'web', gateway: Shapeless.id }));
      expect(err.code).to.equal('plugin_failed');
      expect(err.details).to.deep.equal({ gateway: Shapeless.id, reason: 'invalid_answer' });
      expect(problems('getClientToken')).to.deep.equal([problem]);
    });
  }

  it('listPaymentSources answering a string: the next plugin gets the list before it, not the string spread', async () => {
    Shapeless.sources = () => 'nope';
    const sources = await m.listPaymentSources({ channel: 'web', customerId: 'c1' });
    expect(sources.map((s) => s.id)).to.deep.equal(['pm_a']);
    expect(await m.listPaymentSources({ channel: 'web', customerId: 'c1', gateway: Shapeless.id })).to.deep.equal([]);
    expect(problems('listPaymentSources')[0]).to.equal('the string "nope", not a list of { id, gateway, creditCardInfo } payment sources');
  });

  it('listPaymentSources with a card of the wrong shape is that plugin failing', async () => {
    Shapeless.sources = (previous) => [...previous, { id: 'pm_x', gateway: Shapeless.id, creditCardInfo: { last4: '1111', brand: 'visa', expMonth: '01', expYear: 2030 } }];
    expect((await m.listPaymentSources({ channel: 'web', customerId: 'c1' })).map((s) => s.id)).to.deep.equal(['pm_a']);
    expect(problems('listPaymentSources')[0]).to.equal('item 0 of the list: creditCardInfo.expMonth the string "01", not a whole number');
  });
});

describe('frozenCopy', () => {
  it('a cycle is a typed invalid_input naming where, not a RangeError', () => {
    const inner: Record<string, unknown> = { a: 1 };
    const value = { list: [inner] };
    inner['back'] = value;
    let err: { code?: string; details?: unknown } | undefined;
    try {
      frozenCopy(value);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal('invalid_input');
    expect(err?.details).to.deep.equal({ path: '.list[0].back' });
  });

  it('a value shared by two fields (no cycle) is copied under each', () => {
    const shared = { x: 1 };
    const copy = frozenCopy({ a: shared, b: [shared] }) as { a: object; b: object[] };
    expect(copy).to.deep.equal({ a: { x: 1 }, b: [{ x: 1 }] });
    expect(Object.isFrozen(copy.a) && Object.isFrozen(copy.b[0])).to.equal(true);
  });
});
