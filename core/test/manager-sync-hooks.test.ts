import { expect } from 'chai';
import { BasePlugin, Decimal, PluginManager, gatewayConfigFromValues, type GatewayConfig } from '@payhost/core';
import { payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// A plugin ported from Saleor, whose plugin methods are all synchronous: its plain values are its answers,
// the same through every path (getPaymentConfig's own call, and BasePlugin.getPaymentGateways's listing).

const KEY = 'sk_live_SYNCSECRET_0001';

class Ported extends BasePlugin {
  static override id = 'acme.ported';
  static override defaultActive = true;
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    api_key: { type: 'Secret' as const, label: 'API key' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', api_key: KEY };
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  getPaymentConfig(): Array<{ field: string; value: string }> {
    return [{ field: 'api_key', value: 'pk_123' }];
  }
  getClientToken(input: { data?: Record<string, unknown> | null }): string {
    if (input.data?.['mode'] === 'throw') throw new Error('sync failure');
    return input.data?.['mode'] === 'leak' ? `tok_${KEY}` : 'tok_1';
  }
  processPayment(p: { amount: Decimal; currency: string }): unknown {
    return { isSuccess: true, actionRequired: false, kind: 'capture', amount: p.amount, currency: p.currency, transactionId: 'tx1', error: null };
  }
}

function manager(log = captureLogger()): PluginManager {
  return new PluginManager({ logger: log.logger, plugins: [Ported], config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: {} }] } });
}

describe('manager: a synchronous hook method (a plain value, not a promise)', () => {
  it('getPaymentConfig and the gateway listing give the same public configuration', async () => {
    const m = manager();
    const config = await m.getPaymentConfig({ channel: 'us', gateway: Ported.id });
    const listed = await m.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(config).to.deep.equal([{ field: 'api_key', value: 'pk_123' }]);
    expect(listed.map((g) => [g.id, g.config])).to.deep.equal([[Ported.id, config]]);
    await m.close();
  });

  it('a plain processPayment success is a success; one warning per plugin and hook, however many calls', async () => {
    const log = captureLogger();
    const m = manager(log);
    for (let i = 0; i < 3; i++) {
      const response = await m.processPayment({ channel: 'us', gateway: Ported.id, payment: payment({ amount: new Decimal('5.00') }) });
      expect(response).to.include({ isSuccess: true, transactionId: 'tx1' });
      expect(response.amount.eq('5.00')).to.equal(true);
    }
    await m.getPaymentConfig({ channel: 'us', gateway: Ported.id });
    await m.getPaymentConfig({ channel: 'us', gateway: Ported.id });
    const warned = log.lines.filter((l) => l['code'] === 'sync_hook');
    expect(warned.map((l) => [l['level'], l['plugin'], l['hook']])).to.deep.equal([
      [40, Ported.id, 'processPayment'],
      [40, Ported.id, 'getPaymentConfig'],
    ]);
    expect(log.lines.filter((l) => l['code'] === 'plugin_failed')).to.deep.equal([]);
    await m.close();
  });

  it("a plain answer is checked as an async one is, and a synchronous throw is still the plugin failing", async () => {
    const log = captureLogger();
    const m = manager(log);
    const ask = (mode: string): Promise<unknown> => m.getClientToken({ channel: 'us', gateway: Ported.id, data: { mode } }).then((t) => t, (e: { code?: string; details?: Record<string, unknown> }) => [e.code, e.details?.['reason']]);
    expect(await ask('ok')).to.equal('tok_1');
    expect(await ask('leak')).to.deep.equal(['plugin_failed', 'invalid_answer']);
    expect(await ask('throw')).to.deep.equal(['plugin_failed', 'threw']);
    expect(log.text()).to.not.include(KEY);
    await m.close();
  });
});
