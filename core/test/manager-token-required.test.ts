import { expect } from 'chai';
import { BasePlugin, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PluginClass, type TokenRequiredInput } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

// tokenIsRequiredAsPaymentInput asks one named gateway (Saleor's token_is_required_as_payment_input(gateway, channel)),
// default true: not a channel-wide chain whose answer is the last plugin's, whatever gateway was meant.

const inputs: Array<{ plugin: string; input: TokenRequiredInput; previous: boolean }> = [];

function gateway(id: string, answer: (() => unknown) | undefined): PluginClass {
  class Gateway extends BasePlugin {
    static override id = id;
    static override defaultActive = true;
    static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
    static override defaultConfiguration = { supported_currencies: 'USD' };
    override gatewayConfig(): GatewayConfig {
      return gatewayConfigFromValues(id, this.configuration);
    }
    async processPayment(): Promise<GatewayResponse | null> {
      return null;
    }
  }
  if (answer !== undefined) {
    Object.assign(Gateway.prototype, {
      async tokenIsRequiredAsPaymentInput(input: TokenRequiredInput, previous: boolean): Promise<unknown> {
        inputs.push({ plugin: id, input, previous });
        return answer();
      },
    });
  }
  return Gateway;
}

/** A plugin that is no gateway and answers false to everything it is asked: never asked here. */
class Bystander extends BasePlugin {
  static override id = 'acme.bystander';
  static override defaultActive = true;
  async tokenIsRequiredAsPaymentInput(): Promise<boolean> {
    inputs.push({ plugin: Bystander.id, input: { channel: '', gateway: '' }, previous: true });
    return false;
  }
}

function manager(plugins: PluginClass[], logger = captureLogger().logger): PluginManager {
  return new PluginManager({ logger, plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: {} }] } });
}

describe('manager.tokenIsRequiredAsPaymentInput: the named gateway answers, default true', () => {
  beforeEach(() => (inputs.length = 0));

  const noToken = gateway('acme.notoken', () => false);
  const token = gateway('acme.token', () => true);
  for (const [label, order] of [
    ['no-token gateway first', [noToken, token, Bystander]],
    ['no-token gateway last', [Bystander, token, noToken]],
  ] as const) {
    it(`two gateways answering differently each get their own answer (${label})`, async () => {
      const m = manager([...order]);
      expect(await m.tokenIsRequiredAsPaymentInput({ channel: 'us', gateway: 'acme.notoken' })).to.equal(false);
      expect(await m.tokenIsRequiredAsPaymentInput({ channel: 'us', gateway: 'acme.token' })).to.equal(true);
      // Only the gateway named, given its own id, with the default as previousValue.
      expect(inputs).to.deep.equal([
        { plugin: 'acme.notoken', input: { channel: 'us', gateway: 'acme.notoken' }, previous: true },
        { plugin: 'acme.token', input: { channel: 'us', gateway: 'acme.token' }, previous: true },
      ]);
      await m.close();
    });
  }

  it('true when the gateway does not implement the hook, passes (undefined), fails or answers no boolean; the failures logged', async () => {
    const log = captureLogger();
    const m = manager([gateway('acme.none', undefined), gateway('acme.pass', () => undefined), gateway('acme.throws', () => Promise.reject(new Error('boom'))), gateway('acme.string', () => 'no'), Bystander], log.logger);
    for (const id of ['acme.none', 'acme.pass', 'acme.throws', 'acme.string']) {
      expect(await m.tokenIsRequiredAsPaymentInput({ channel: 'us', gateway: id }), id).to.equal(true);
    }
    const failures = log.lines.filter((l) => l['hook'] === 'tokenIsRequiredAsPaymentInput' && l['code'] === 'plugin_failed');
    expect(failures.map((l) => [l['plugin'], l['reason']])).to.deep.equal([
      ['acme.throws', 'rejected'],
      ['acme.string', 'invalid_answer'],
    ]);
    await m.close();
  });

  it('an unknown or inactive gateway, or a plugin that is no gateway, is refused as getPaymentConfig refuses it', async () => {
    const NoToken = gateway('acme.notoken', () => false);
    const m = new PluginManager({
      logger: captureLogger().logger,
      plugins: [NoToken, Bystander],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'acme.notoken': { active: false } } }] },
    });
    const code = (gatewayId: string): Promise<unknown> => m.tokenIsRequiredAsPaymentInput({ channel: 'us', gateway: gatewayId }).then(() => 'resolved', (e: { code?: string }) => e.code);
    expect(await code('acme.notoken')).to.equal('inactive_gateway');
    expect(await code('acme.missing')).to.equal('unknown_gateway');
    expect(await code('acme.bystander')).to.equal('unknown_gateway');
    expect(await m.tokenIsRequiredAsPaymentInput({ channel: 'nope', gateway: 'acme.notoken' }).then(() => 'resolved', (e: { code?: string }) => e.code)).to.equal('unknown_channel');
    expect(inputs).to.deep.equal([]);
    await m.close();
  });
});
