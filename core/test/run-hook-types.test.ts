import { expect } from 'chai';
import { BasePlugin, Decimal, PluginManager, type ChannelInput, type HookSpec, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GatewayA, payment } from './support/plugins.js';

// Type-level: runHook does not take the hooks it refuses at run time (they go to one gateway, routed and
// validated). Each `@ts-expect-error` below fails the type-check (tsconfig.tests.json) if such a call compiles;
// run, each is still refused with invalid_input (for a caller that casts its way round the type).

type HostHooks = { orderCreated: HookSpec<{ id: string }, string[]> };

class Host extends BasePlugin {
  static override id = 'test.host';
  async orderCreated(input: { id: string }, previous: string[]): Promise<string[]> {
    return [...previous, input.id];
  }
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, 'USD'];
  }
}

const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true }, 'test.host': { active: true } } }] };

describe('manager: runHook types', () => {
  it('the hooks that go to one gateway do not compile as runHook names (and are refused when run)', async () => {
    const manager = new PluginManager<HostHooks>({ plugins: [GatewayA, Host], config });
    // Inputs of the right type: each directive below must be used by the name alone, not by a wrong input.
    const data: PaymentData = payment();
    const status: TransactionStatusInput = {
      transaction: { id: 't1', paymentId: 'p1', kind: 'capture', amount: new Decimal('10.00'), currency: 'USD', gatewayIdempotencyKey: 'k1', gatewayTransactionId: null, pspReference: null, createdAt: new Date(0) },
      payment: data,
    };
    const refused: Array<Promise<unknown>> = [
      // @ts-expect-error processPayment goes through runOperation
      manager.runHook('us', 'processPayment', data, null),
      // @ts-expect-error authorizePayment goes through runOperation
      manager.runHook('us', 'authorizePayment', data, null),
      // @ts-expect-error capturePayment goes through runOperation
      manager.runHook('us', 'capturePayment', data, null),
      // @ts-expect-error refundPayment goes through runOperation
      manager.runHook('us', 'refundPayment', data, null),
      // @ts-expect-error voidPayment goes through runOperation
      manager.runHook('us', 'voidPayment', data, null),
      // @ts-expect-error confirmPayment goes through runOperation
      manager.runHook('us', 'confirmPayment', data, null),
      // @ts-expect-error getTransactionStatus goes through getTransactionStatus()
      manager.runHook('us', 'getTransactionStatus', status, null),
      // @ts-expect-error getClientToken goes through getClientToken()
      manager.runHook('us', 'getClientToken', { currency: 'USD' }, null),
      // @ts-expect-error tokenIsRequiredAsPaymentInput goes through tokenIsRequiredAsPaymentInput(), to one named gateway
      manager.runHook('us', 'tokenIsRequiredAsPaymentInput', { channel: 'us', gateway: 'test.gateway-a' }, true),
      // @ts-expect-error webhook goes through webhook()
      manager.runHook(null, 'webhook', { path: '/', method: 'POST', headers: {}, rawBody: Buffer.from('') }, null),
    ];
    for (const call of refused) {
      let rejection: unknown;
      await call.then(
        () => expect.fail('runHook ran a hook that goes to one gateway'),
        (err: unknown) => (rejection = err),
      );
      expect(rejection).to.include({ code: 'invalid_input' });
    }
    await manager.close();
  });

  it('chained payment hooks and host-declared hooks still compile, with their value types', async () => {
    const manager = new PluginManager<HostHooks>({ plugins: [GatewayA, Host], config });
    const order: string[] = await manager.runHook('us', 'orderCreated', { id: 'o-1' }, ['start']);
    const currencies: string[] = await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
    const publicConfig = await manager.runHook('us', 'getPaymentConfig', { channel: 'us' }, []);
    const sources = await manager.runHook('us', 'listPaymentSources', { channel: 'us', customerId: 'c1' }, []);
    expect(order).to.deep.equal(['start', 'o-1']);
    expect(currencies).to.deep.equal(['USD']);
    expect(publicConfig).to.deep.equal([{ field: 'api_key', value: 'pk_a' }]);
    expect(sources).to.deep.equal([]);
    // A manager with no host hooks takes the chained payment hooks too.
    const plain = new PluginManager({ plugins: [GatewayA], config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': { active: true } } }] } });
    expect(await plain.runHook('us', 'getPaymentGateways', { channel: 'us', currency: 'USD' }, [])).to.have.length(1);
    await Promise.all([manager.close(), plain.close()]);
  });
});
