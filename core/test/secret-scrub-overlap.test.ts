import { expect } from 'chai';
import { BasePlugin, Decimal, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { payment } from './support/plugins.js';

/**
 * A plugin with two Secret fields whose values overlap: the shorter one is declared first, so a
 * scrubber replacing secrets in declaration order would replace it inside the longer one and leave
 * the rest of that one in the text ("[redacted]def"). Each is replaced whole, longest first.
 */
class OverlappingKeys extends BasePlugin {
  static override id = 'acme.overlapping-keys';
  static override pluginName = 'Overlapping keys';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    short_key: { type: 'Secret' as const, label: 'Short key' },
    long_key: { type: 'Secret' as const, label: 'Long key' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', short_key: null, long_key: null };

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }

  async processPayment(p: PaymentData): Promise<GatewayResponse> {
    const short = String(this.configuration['short_key']);
    const long = String(this.configuration['long_key']);
    return {
      isSuccess: false,
      actionRequired: false,
      kind: 'capture',
      amount: new Decimal(p.amount),
      currency: p.currency,
      transactionId: '',
      error: `keys ${long} and ${short} refused`,
      errorCode: 'processing_error',
      rawResponse: { message: `Invalid API key provided: ${long}` },
    };
  }
}

function manager(shortKey: string, longKey: string): PluginManager {
  return new PluginManager({
    plugins: [OverlappingKeys],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { [OverlappingKeys.id]: { active: true, configuration: { short_key: shortKey, long_key: longKey } } } }] },
    logger: captureLogger().logger,
  });
}

describe("manager: a plugin's secrets that overlap are each scrubbed whole from its answers", () => {
  for (const [what, shortKey, longKey, rest] of [
    ['one a prefix of the other', 'sk_test_abc', 'sk_test_abcdef', 'def'],
    ['one inside the other', 'test_abc', 'sk_test_abcdef', 'def'],
  ] as const) {
    it(`${what} (${shortKey}, ${longKey})`, async () => {
      const m = manager(shortKey, longKey);
      try {
        const response = await m.processPayment({ channel: 'web', gateway: OverlappingKeys.id, payment: payment() });
        expect(response.error).to.equal('keys [redacted] and [redacted] refused');
        expect(response.rawResponse).to.deep.equal({ message: 'Invalid API key provided: [redacted]' });
        expect(JSON.stringify(response)).to.not.include(`[redacted]${rest}`);
      } finally {
        await m.close();
      }
    });
  }
});
