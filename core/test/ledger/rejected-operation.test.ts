import { expect } from 'chai';
import {
  BasePlugin,
  Decimal,
  MemoryLedgerStore,
  PayhostError,
  PaymentService,
  PluginManager,
  gatewayConfigFromValues,
  silentLogger,
  type GatewayConfig,
  type GatewayResponse,
  type PaymentData,
  type TransactionStatusInput,
} from '@payhost/core';
import { expectAmount, key, rejection } from './helpers.js';

/**
 * An in-memory processor: charges and voids counted per gateway idempotency key. Its answers come
 * a turn of the event loop later, as a network answer does (setImmediate).
 */
const processor = {
  charges: [] as string[],
  voids: [] as string[],
  statusAsked: 0,
  /** What getTransactionStatus answers: what the processor has, or "no record" whatever it has (a lagging search index). */
  tells: true,
  reset(): void {
    this.charges = [];
    this.voids = [];
    this.statusAsked = 0;
    this.tells = true;
  },
  /** Takes the money; the SDK's answer, as the plugin reads it: its body was lost with the connection. */
  async charge(gatewayKey: string): Promise<{ body?: { id: string } }> {
    this.charges.push(gatewayKey);
    await roundTrip();
    return {};
  },
  async voidIt(gatewayKey: string): Promise<void> {
    this.voids.push(gatewayKey);
    await roundTrip();
  },
};

function roundTrip(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A plugin whose money hooks call the processor, then reject: the charge (or void) went
 * through, and reading the SDK's answer throws a TypeError. Token `bad` throws before any
 * call (an async function throwing before its first await): nothing reached the processor.
 */
class RejectsAfterCharging extends BasePlugin {
  static override id = 'test.rejects-after';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    auto_capture: { type: 'Boolean' as const, label: 'Capture at once' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', auto_capture: true };

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration, {}, { autoCapture: this.configuration['auto_capture'] === true });
  }

  async processPayment(payment: PaymentData): Promise<GatewayResponse> {
    return this.charge(payment);
  }

  async authorizePayment(payment: PaymentData): Promise<GatewayResponse> {
    return this.charge(payment);
  }

  async voidPayment(payment: PaymentData): Promise<GatewayResponse> {
    await processor.voidIt(payment.token ?? '');
    throw new Error('socket hang up');
  }

  async getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse> {
    processor.statusAsked += 1;
    const kind = input.transaction.kind;
    const done = processor.tells && (kind === 'void' ? processor.voids.length > 0 : processor.charges.includes(input.transaction.gatewayIdempotencyKey));
    return answer(input.payment, done ? (kind === 'void' ? 'void' : kind === 'auth' ? 'auth' : 'capture') : 'capture', done, `ch_${input.transaction.gatewayIdempotencyKey}`);
  }

  private async charge(payment: PaymentData): Promise<GatewayResponse> {
    if (payment.token === 'bad') throw new PayhostError('invalid_input', 'This token cannot be charged');
    const result = await processor.charge(payment.idempotencyKey ?? '');
    const id = (result.body as { id: string }).id; // TypeError: the body is undefined
    return answer(payment, 'capture', true, id);
  }
}

function answer(payment: PaymentData, kind: GatewayResponse['kind'], success: boolean, id: string): GatewayResponse {
  return {
    isSuccess: success,
    actionRequired: false,
    kind,
    amount: new Decimal(payment.amount),
    currency: payment.currency,
    transactionId: success ? id : '',
    pspReference: success ? id : null,
    error: success ? null : 'No record of this call',
    errorCode: success ? null : 'processing_error',
  };
}

describe('ledger: a money hook that rejects after calling the processor is an unknown outcome, not a decline', () => {
  let manager: PluginManager | null = null;

  afterEach(async () => {
    await manager?.close();
    manager = null;
    processor.reset();
  });

  function service(autoCapture = true): PaymentService {
    manager = new PluginManager({
      plugins: [RejectsAfterCharging],
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.rejects-after': { active: true, configuration: { auto_capture: autoCapture } } } }] },
      logger: silentLogger(),
    });
    return new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger(), idempotency: { waitTimeoutMs: 50 } });
  }

  it('the status check finds the charge: the payment is fully charged, once, and a retry with the same key charges nothing more', async () => {
    const payments = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    const charge = key();
    const first = await payments.process({ paymentId: payment.id, idempotencyKey: charge });
    expect(first.transaction).to.deep.include({ isSuccess: true, state: 'applied', kind: 'capture' });
    expect(processor.statusAsked).to.equal(1);
    const settled = await payments.getPayment(payment.id);
    expect(settled.chargeStatus).to.equal('fully-charged');
    expectAmount(settled.capturedAmount, '10');

    const again = await payments.process({ paymentId: payment.id, idempotencyKey: charge });
    expect(again.transaction?.id).to.equal(first.transaction?.id);
    expect(processor.charges).to.have.length(1);
    expect((await payments.listTransactions(payment.id)).filter((t) => t.isSuccess)).to.have.length(1);
  });

  it('the status check cannot tell: held for review with the amount reserved, outcome_unknown to the client, a retry (same key or a new one) never charges again', async () => {
    const payments = service();
    processor.tells = false;
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    const charge = key();
    const err = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: charge }));
    // Not gateway_declined: the shopper must not be told nothing was taken.
    expect(err.code).to.equal('outcome_unknown');
    expect(processor.statusAsked).to.equal(1);
    const [held] = await payments.listTransactions(payment.id);
    expect(held).to.deep.include({ state: 'review', kind: 'capture' });
    expectAmount(held!.amount, '10');

    const sameKey = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: charge }));
    expect([sameKey.code, sameKey.details?.['reason']]).to.deep.equal(['payment_busy', 'held_for_review']);
    const newKey = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(newKey.code).to.equal('payment_busy');
    expect(processor.charges).to.have.length(1);
  });

  it('a throw before any call (an async hook refusing its input before its first await) stays a decline: not held, no status check', async () => {
    const payments = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'bad' });
    const err = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(err.code).to.equal('gateway_declined');
    expect(processor.statusAsked).to.equal(0);
    expect(processor.charges).to.have.length(0);
    expect((await payments.listTransactions(payment.id))[0]).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'processing_error' });
    expect((await payments.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('a void that rejects after the processor voided is settled by the status check, not recorded as failed', async () => {
    const payments = service(false);
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    processor.tells = true;
    // The authorization itself rejects after charging, and the status check finds it.
    const auth = await payments.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expect(auth.transaction).to.deep.include({ isSuccess: true, kind: 'auth' });
    const voided = await payments.void({ paymentId: payment.id, idempotencyKey: key() });
    expect(voided.transaction).to.deep.include({ isSuccess: true, kind: 'void', state: 'applied' });
    expect(processor.statusAsked).to.equal(2);
    expect(processor.voids).to.have.length(1);
  });
});
