import { expect } from 'chai';
import { BasePlugin, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { okResponse, payment } from './support/plugins.js';

// Two USD processors: a token one took must never reach the other by the currency route.
const calls: string[] = [];

class StripeLike extends BasePlugin {
  static override id = 'stripe_like';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:process`);
    return okResponse(data, `${this.id}-tx`);
  }
  async authorizePayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:authorize`);
    return okResponse(data, `${this.id}-auth`, 'auth');
  }
  async capturePayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:capture:${data.token}`);
    return okResponse(data, `${this.id}-cap`);
  }
  async refundPayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:refund:${data.token}`);
    return okResponse(data, `${this.id}-ref`, 'refund');
  }
  async voidPayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:void:${data.token}`);
    return okResponse(data, `${this.id}-void`, 'void');
  }
  async confirmPayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push(`${this.id}:confirm:${data.token}`);
    return okResponse(data, `${this.id}-conf`);
  }
  async getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse | null> {
    calls.push(`${this.id}:status:${input.payment.token}`);
    return null;
  }
}

class RazorpayLike extends StripeLike {
  static override id = 'razorpay_like';
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('manager: an operation on an existing payment names its gateway', () => {
  const manager = new PluginManager({
    plugins: [StripeLike, RazorpayLike],
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { stripe_like: { active: true }, razorpay_like: { active: true } } }] },
  });
  after(() => manager.close());
  beforeEach(() => {
    calls.length = 0;
  });

  for (const operation of ['capturePayment', 'refundPayment', 'voidPayment', 'confirmPayment'] as const) {
    it(`${operation} without a gateway is invalid_input gateway_required, and no plugin runs`, async () => {
      const taken = await manager.processPayment({ channel: 'us', gateway: 'razorpay_like', payment: payment() });
      expect(taken.transactionId).to.equal('razorpay_like-tx');
      calls.length = 0;
      for (const gateway of [undefined, null]) {
        const err = await errorOf(manager[operation]({ channel: 'us', gateway, payment: payment({ token: 'razorpay_like-tx' }) }));
        expect(err.code).to.equal('invalid_input');
        expect(err.details).to.deep.include({ field: 'gateway', reason: 'gateway_required' });
      }
      expect(calls).to.deep.equal([]);
    });
  }

  it('getTransactionStatus without a gateway is refused the same way', async () => {
    const err = await errorOf(manager.getTransactionStatus({ channel: 'us', transaction: null, payment: payment({ token: 'razorpay_like-tx' }) } as never));
    expect(err.code).to.equal('invalid_input');
    expect(err.details).to.deep.include({ reason: 'gateway_required' });
    expect(calls).to.deep.equal([]);
  });

  it('runs a named operation on the gateway that took the payment', async () => {
    await manager.capturePayment({ channel: 'us', gateway: 'razorpay_like', payment: payment({ token: 'razorpay_like-tx' }) });
    expect(calls).to.deep.equal(['razorpay_like:capture:razorpay_like-tx']);
  });

  it('still routes a new charge by currency when no gateway is named', async () => {
    expect((await manager.processPayment({ channel: 'us', payment: payment() })).transactionId).to.equal('stripe_like-tx');
    expect((await manager.authorizePayment({ channel: 'us', payment: payment() })).transactionId).to.equal('stripe_like-auth');
  });

  it("refuses '' as a gateway: invalid_input naming the field, not the currency route", async () => {
    for (const operation of ['processPayment', 'authorizePayment', 'capturePayment'] as const) {
      const err = await errorOf(manager[operation]({ channel: 'us', gateway: '', payment: payment() }));
      expect(err.code).to.equal('invalid_input');
      expect(err.details).to.deep.include({ field: 'gateway' });
    }
    expect(() => manager.resolveGateway('us', 'USD', ' ')).to.throw().with.property('code', 'invalid_input');
    expect(calls).to.deep.equal([]);
  });
});
