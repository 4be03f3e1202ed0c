import { expect } from 'chai';
import { PluginManager, type ChannelInput, type CustomerSource, type PaymentSourcesInput, type PublicConfig, type TokenConfig } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { rejection } from './support/loader.js';
import { LEAK_KEY, ScriptedGateway } from './support/scripted-gateway.js';

const PASSWORD = 'hunter2-password-value';

/** A gateway whose public answers each test scripts from its secrets (a JavaScript plugin could answer any of them). */
class PublicAnswers extends ScriptedGateway {
  static override id = 'acme.public';
  static override configStructure = { ...ScriptedGateway.configStructure, password: { type: 'Password' as const, label: 'Password' } };
  static config: (key: string, password: string) => unknown = () => [];
  static token: (key: string) => unknown = () => 'ct_1';
  static sources: (key: string, previous: CustomerSource[]) => unknown = (_key, previous) => previous;

  private get secrets(): [string, string] {
    return [String(this.configuration['api_key']), String(this.configuration['password'])];
  }
  async getPaymentConfig(_input: ChannelInput, _previous: PublicConfig): Promise<PublicConfig> {
    return PublicAnswers.config(...this.secrets) as PublicConfig;
  }
  async getClientToken(_input: TokenConfig): Promise<string> {
    return PublicAnswers.token(this.secrets[0]) as string;
  }
  async listPaymentSources(_input: PaymentSourcesInput, previous: CustomerSource[]): Promise<CustomerSource[]> {
    return PublicAnswers.sources(this.secrets[0], previous) as CustomerSource[];
  }
}

function manager(logger = captureLogger().logger): PluginManager {
  return new PluginManager({
    plugins: [PublicAnswers],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { [PublicAnswers.id]: { active: true, configuration: { api_key: LEAK_KEY, password: PASSWORD } } } }] },
    logger,
  });
}

describe("manager: a plugin's secrets never reach a listing, its public configuration, a client token or payment sources", () => {
  let m: PluginManager;
  afterEach(() => m.close());

  it('a Secret or Password value in getPaymentConfig is [redacted] in the listing and in getPaymentConfig()', async () => {
    PublicAnswers.config = (key, password) => [
      { field: 'publishable', value: 'pk_fine' },
      { field: 'secret', value: key },
      { field: 'password', value: `pw=${password}` },
    ];
    m = manager();
    const expected = [
      { field: 'publishable', value: 'pk_fine' },
      { field: 'secret', value: '[redacted]' },
      { field: 'password', value: 'pw=[redacted]' },
    ];
    for (const currency of ['USD', null]) {
      const listing = await m.listPaymentGateways({ channel: 'web', currency });
      expect(listing[0]?.config, String(currency)).to.deep.equal(expected);
    }
    expect(await m.getPaymentConfig({ channel: 'web', gateway: PublicAnswers.id })).to.deep.equal(expected);
  });

  it('a client token holding a secret is refused: plugin_failed (invalid_answer), the key in neither the error nor the log', async () => {
    PublicAnswers.token = (key) => `tok:${key}`;
    const log = captureLogger();
    m = manager(log.logger);
    const err = await rejection(m.getClientToken({ channel: 'web', gateway: PublicAnswers.id }));
    expect(err.code).to.equal('plugin_failed');
    expect(err.details).to.deep.equal({ gateway: PublicAnswers.id, reason: 'invalid_answer' });
    expect(JSON.stringify(err)).to.not.include(LEAK_KEY);
    const line = log.lines.find((l) => l['hook'] === 'getClientToken');
    expect(line).to.include({ plugin: PublicAnswers.id, code: 'plugin_failed', reason: 'invalid_answer', problem: "a token holding one of the plugin's secret values" });
    expect(log.text()).to.not.include(LEAK_KEY);
  });

  it('a client token holding none is answered as it is', async () => {
    PublicAnswers.token = () => 'ct_fine';
    m = manager();
    expect(await m.getClientToken({ channel: 'web', gateway: PublicAnswers.id })).to.equal('ct_fine');
  });

  it('payment sources quoting a secret have it [redacted] but in their id (the token a next payment sends), through every plugin and the named gateway', async () => {
    const card = (name: string) => ({ last4: '4242', brand: 'visa', expMonth: 1, expYear: 2030, nameOnCard: name });
    PublicAnswers.sources = (key, previous) => [...previous, { id: `pm_${key}`, gateway: PublicAnswers.id, creditCardInfo: card(`card of ${key}`) }];
    m = manager();
    const expected = [{ id: `pm_${LEAK_KEY}`, gateway: PublicAnswers.id, creditCardInfo: card('card of [redacted]') }];
    expect(await m.listPaymentSources({ channel: 'web', customerId: 'c1' })).to.deep.equal(expected);
    expect(await m.listPaymentSources({ channel: 'web', customerId: 'c1', gateway: PublicAnswers.id })).to.deep.equal(expected);
  });
});

describe("manager: the log line of a wrongly shaped answer quoting a secret", () => {
  it('never holds part of it (the answer is scrubbed before the problem quotes its first 40 characters)', async () => {
    // The key straddles the 40th character: a problem quoting the raw text would cut it where scrubbing the line cannot find it.
    PublicAnswers.config = (key) => `public configuration of ${key}`;
    const log = captureLogger();
    const m = manager(log.logger);
    try {
      expect(await m.getPaymentConfig({ channel: 'web', gateway: PublicAnswers.id })).to.deep.equal([]);
      const line = log.lines.find((l) => l['hook'] === 'getPaymentConfig');
      expect(line?.['problem']).to.equal('the string "public configuration of [redacted]", not a list of { field, value } objects');
      expect(log.text()).to.not.include(LEAK_KEY.slice(0, 12));
    } finally {
      await m.close();
    }
  });
});
