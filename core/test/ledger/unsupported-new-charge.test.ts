import { expect } from 'chai';
import { BasePlugin, MemoryLedgerStore, PaymentService, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { okResponse } from '../support/plugins.js';
import { captureLogger } from '../support/log-capture.js';
import { key, rejection } from './helpers.js';

// pay({ action: 'authorize' }) to a gateway without authorizePayment is refused before anything is written:
// no not-charged payment, no failed auth transaction, no error logged, retry after retry; likewise a refund
// of a payment through a gateway without refundPayment (after the payment's own rules: a void of a captured
// payment stays operation_not_allowed, whatever hooks its gateway has).
class CaptureOnly extends BasePlugin {
  static override id = 'test.capture-only';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  static calls = 0;
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(data: PaymentData): Promise<GatewayResponse> {
    CaptureOnly.calls += 1;
    return okResponse(data, 'cap-1');
  }
}

/** The store's method calls, by name. */
function recording(store: MemoryLedgerStore): { store: MemoryLedgerStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('ledger: an operation the gateway lacks', () => {
  it('authorize is operation_not_supported with nothing written; process still charges', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [CaptureOnly],
      logger: log.logger,
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.capture-only': { active: true } } }] },
    });
    const { store, calls } = recording(new MemoryLedgerStore());
    const service = new PaymentService({ manager, store, logger: log.logger });
    for (let i = 0; i < 2; i++) {
      const err = await rejection(service.pay({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok_1', action: 'authorize' }));
      expect(err).to.have.property('code', 'operation_not_supported');
      expect((err as { details?: unknown }).details).to.deep.include({ gateway: 'test.capture-only', operation: 'authorizePayment' });
    }
    // Only reads (a recorded key would answer a retry): no claim, no payment, no transaction.
    expect(calls.filter((name) => name !== 'getIdempotencyRecord')).to.deep.equal([]);
    expect(log.lines.filter((l) => Number(l['level']) >= 50)).to.deep.equal([]);
    expect(CaptureOnly.calls).to.equal(0);
    const paid = await service.pay({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok_1' });
    expect(paid.payment.chargeStatus).to.equal('fully-charged');
    await manager.close();
  });

  it('a refund of an existing payment is operation_not_supported with nothing written, retry after retry; a void of it still operation_not_allowed', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [CaptureOnly],
      logger: log.logger,
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.capture-only': { active: true } } }] },
    });
    const service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: log.logger });
    const paid = await service.pay({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok_1' });
    const before = await service.listTransactions(paid.payment.id);
    const refundKey = key();
    for (let i = 0; i < 2; i++) {
      const refund = await rejection(service.refund({ paymentId: paid.payment.id, idempotencyKey: refundKey, amount: '4.00' }));
      expect(refund).to.have.property('code', 'operation_not_supported');
      expect((refund as { details?: unknown }).details).to.deep.include({ gateway: 'test.capture-only', operation: 'refundPayment' });
      const voided = await rejection(service.void({ paymentId: paid.payment.id, idempotencyKey: key() }));
      expect(voided).to.have.property('code', 'operation_not_allowed');
    }
    // No failed refund row, the payment as it was, nothing logged as an error.
    expect(await service.listTransactions(paid.payment.id)).to.deep.equal(before);
    expect((await service.getPayment(paid.payment.id)).chargeStatus).to.equal('fully-charged');
    expect(log.lines.filter((l) => Number(l['level']) >= 50)).to.deep.equal([]);
    await manager.close();
  });
});
