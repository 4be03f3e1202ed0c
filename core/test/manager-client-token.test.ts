import { expect } from 'chai';
import { Decimal, PluginManager, type TokenConfig } from '@payhost/core';
import { GatewayA } from './support/plugins.js';

// manager.getClientToken reads the token's amount and currency as processPayment reads a payment's
// (normalizeCurrency, parseAmount), as the server's client-token route does, and hands the plugin a
// TokenConfig only: not the routing keys.

const seen: unknown[] = [];

class TokenGateway extends GatewayA {
  static override id = 'tokens';
  async getClientToken(config: TokenConfig): Promise<string> {
    seen.push(config);
    return 'tok';
  }
}

const config = { channels: [{ slug: 'us', currencies: ['USD', 'JPY'], plugins: { tokens: { active: true, configuration: { supported_currencies: 'USD,JPY' } } } }] };

async function refusal(manager: PluginManager, request: Record<string, unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  return manager.getClientToken({ channel: 'us', gateway: 'tokens', ...request }).then(
    () => expect.fail('a token was issued'),
    (e: { code?: string; details?: Record<string, unknown> }) => e,
  );
}

describe('manager.getClientToken: the TokenConfig the plugin gets', () => {
  let manager: PluginManager;
  beforeEach(() => {
    seen.length = 0;
    manager = new PluginManager({ plugins: [TokenGateway], config });
  });
  afterEach(() => manager.close());

  it("the currency normalized, the amount a Decimal, and only TokenConfig's fields (no channel, gateway or other key)", async () => {
    await manager.getClientToken({ channel: 'us', gateway: 'tokens', currency: ' jpy', amount: '1500', customerId: 'c1', data: { a: 1 }, extra: 'x' } as never);
    await manager.getClientToken({ channel: 'us', gateway: 'tokens', currency: 'USD', amount: new Decimal('10.50') });
    await manager.getClientToken({ channel: 'us', gateway: 'tokens' });
    expect(seen).to.have.length(3);
    const [first, second, third] = seen as Array<Record<string, unknown>>;
    expect(Object.keys(first ?? {}).sort()).to.deep.equal(['amount', 'currency', 'customerId', 'data']);
    expect(first).to.include({ currency: 'JPY', customerId: 'c1' });
    expect(first?.['data']).to.deep.equal({ a: 1 });
    expect(Decimal.isDecimal(first?.['amount']) && (first?.['amount'] as Decimal).eq(1500)).to.equal(true);
    expect((second?.['amount'] as Decimal).toFixed()).to.equal('10.5');
    expect(third).to.deep.equal({ customerId: null, amount: null, currency: null, data: null });
  });

  it('an amount without its currency is invalid_input; nothing asked', async () => {
    const err = await refusal(manager, { amount: new Decimal('5') });
    expect(err.code).to.equal('invalid_input');
    expect(err.details).to.include({ field: 'currency', reason: 'amount_without_currency' });
    expect(seen).to.deep.equal([]);
  });

  for (const [label, amount, currency] of [
    ['a JavaScript number', 10.5, 'USD'],
    ['a negative Decimal', new Decimal('-3'), 'USD'],
    ['more decimals than the currency has', new Decimal('3.333'), 'JPY'],
    ['zero', '0', 'USD'],
    ['not a decimal', 'ten', 'USD'],
  ] as const) {
    it(`${label}: invalid_amount, nothing asked`, async () => {
      expect((await refusal(manager, { amount, currency })).code).to.equal('invalid_amount');
      expect(seen).to.deep.equal([]);
    });
  }

  it('a currency that is no ISO 4217 code: unknown_currency, nothing asked', async () => {
    expect((await refusal(manager, { currency: 'usdx' })).code).to.equal('unknown_currency');
    expect(seen).to.deep.equal([]);
  });
});
