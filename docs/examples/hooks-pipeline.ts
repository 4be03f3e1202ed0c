// previousValue in action: chained hooks over a channel's plugins, in declared order, and a host-defined hook.
import { BasePlugin, Decimal, PluginManager, type ChannelInput, type HookSpec } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';

interface Order {
  id: string;
  total: Decimal;
}

/** The host's own hooks, run through the same pipeline as the payment hooks. */
type ShopHooks = { orderCreated: HookSpec<Order, string[]> };

/** Per channel: adds to the value it receives. */
class LoyaltyPlugin extends BasePlugin {
  static override id = 'shop.loyalty';
  static override defaultActive = true;

  async orderCreated(order: Order, previousValue: string[]): Promise<string[]> {
    return [...previousValue, `loyalty: ${order.total.floor().toString()} points`];
  }

  /** Returning undefined passes the previous value through unchanged. */
  async getSupportedCurrencies(_input: ChannelInput, _previousValue: string[]): Promise<string[] | undefined> {
    return undefined;
  }
}

/** Per channel, and broken: its failure is logged and the previous value goes on to the next plugin. */
class FlakyPlugin extends BasePlugin {
  static override id = 'shop.flaky';
  static override defaultActive = true;

  async orderCreated(_order: Order, _previousValue: string[]): Promise<string[]> {
    throw new Error('the recommendation service is down');
  }
}

/** Global (configured once): runs after every channel's own plugins and sees what they returned. */
class AuditPlugin extends BasePlugin {
  static override id = 'shop.audit';
  static override configurationPerChannel = false;
  static override defaultActive = true;

  async orderCreated(order: Order, previousValue: string[]): Promise<string[]> {
    return [...previousValue, `audit: order ${order.id} had ${previousValue.length} note(s) before me`];
  }

  /** Replaces the value: the last plugin has the final word. */
  async getSupportedCurrencies(_input: ChannelInput, previousValue: string[]): Promise<string[]> {
    return previousValue.filter((currency) => currency !== 'EUR');
  }
}

const manager = new PluginManager<ShopHooks>({
  // The declared order: per-channel plugins in this order, then the global ones.
  plugins: [AuditPlugin, DummyGatewayPlugin, LoyaltyPlugin, FlakyPlugin],
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['USD', 'EUR'],
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD, EUR' } } },
      },
    ],
  },
});

// The dummy gateway adds USD and EUR, the loyalty plugin passes them through, the global audit plugin drops EUR.
console.log('currencies:', await manager.runHook('web', 'getSupportedCurrencies', { channel: 'web' }, []));

// Host hook: the default value [] goes through loyalty, flaky (fails: skipped) and audit.
console.log('orderCreated:', await manager.runHook('web', 'orderCreated', { id: 'order-7', total: new Decimal('42.50') }, []));
await manager.close();
