import { expect } from 'chai';
import {
  BasePlugin,
  Decimal,
  MemoryLedgerStore,
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
 * A processor that acts on a request after the plugin stopped waiting for it: `send` records the
 * request, `land` carries it out (a charge, counted once per gateway idempotency key).
 */
const processor = {
  sent: new Map<string, Decimal>(),
  charged: new Map<string, Decimal>(),
  reset(): void {
    this.sent.clear();
    this.charged.clear();
  },
  land(gatewayKey: string): void {
    const amount = this.sent.get(gatewayKey);
    if (amount) this.charged.set(gatewayKey, amount);
  },
};

/**
 * A plugin whose own HTTP request times out before the hook timeout, as Razorpay's helpText
 * advises: it answers a failure marked `outcome_unknown` while its request is still on its way.
 * `hang` tokens never answer at all (the manager's plugin_timeout), the request sent all the same.
 * Its status check answers what the processor has: the charge once landed, else "no record"
 * (processing_error), as every plugin does.
 */
class OwnTimeoutGateway extends BasePlugin {
  static override id = 'test.own-timeout';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration, {}, { autoCapture: true });
  }

  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    processor.sent.set(payment.idempotencyKey ?? '', new Decimal(payment.amount));
    if (payment.token === 'hang') return new Promise(() => undefined);
    return Promise.resolve({ ...answer(payment, false), error: 'Request timed out after 200 ms', rawResponse: { code: 'ETIMEDOUT', outcome_unknown: true } });
  }

  getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse> {
    return Promise.resolve(answer(input.payment, processor.charged.has(input.transaction.gatewayIdempotencyKey)));
  }
}

function answer(payment: PaymentData, charged: boolean): GatewayResponse {
  const id = charged ? `ch_${payment.idempotencyKey}` : '';
  return {
    isSuccess: charged,
    actionRequired: false,
    kind: 'capture',
    amount: new Decimal(payment.amount),
    currency: payment.currency,
    transactionId: id,
    pspReference: charged ? id : null,
    error: charged ? null : 'No record of this call: it never took effect',
    errorCode: charged ? null : 'processing_error',
  };
}

describe('ledger: a lost answer the plugin marked may still land at the processor', () => {
  const HOOK_TIMEOUT_MS = 300;
  let now = new Date('2030-01-01T00:00:00Z');
  let manager: PluginManager | null = null;

  afterEach(async () => {
    await manager?.close();
    manager = null;
    processor.reset();
  });

  /** `null`: the manager's default hookTimeoutMs. */
  function service(hookTimeoutMs: number | null = HOOK_TIMEOUT_MS): PaymentService {
    now = new Date('2030-01-01T00:00:00Z');
    manager = new PluginManager({
      plugins: [OwnTimeoutGateway],
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.own-timeout': { active: true } } }] },
      logger: silentLogger(),
      ...(hookTimeoutMs === null ? {} : { hookTimeoutMs }),
    });
    return new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger(), clock: () => now, idempotency: { waitTimeoutMs: 50 } });
  }

  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  it('the plugin\'s own request timeout and "no record": outcome_unknown with the amount reserved, no second charge, the charge counted once it lands', async () => {
    const payments = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    const err = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }));
    // Not gateway_declined: the client must not retry as for a decline.
    expect(err.code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);
    expect(held).to.deep.include({ state: 'review', kind: 'capture' });
    expectAmount(held!.amount, '10');

    // The processor acts on the request a second later.
    later(1000 - HOOK_TIMEOUT_MS);
    processor.land(held!.gatewayIdempotencyKey);
    // A retry under a new key is refused while the first is unresolved: never sent to the processor.
    const busy = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(busy.code).to.equal('payment_busy');
    expect(processor.sent.size).to.equal(1);

    // reconcile() with no options: its default minAgeMs (2 x hookTimeoutMs) has passed; the gateway now shows the charge.
    expect((await payments.reconcile()).applied).to.deep.equal([held!.id]);
    const settled = await payments.getPayment(payment.id);
    expect(settled.chargeStatus).to.equal('fully-charged');
    expectAmount(settled.capturedAmount, '10');
    expect((await payments.listTransactions(payment.id)).filter((t) => t.isSuccess).map((t) => t.id)).to.deep.equal([held!.id]);
  });

  it('"no record" becomes final once the call cannot land any more: reconciliation then frees the reservation', async () => {
    const payments = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    expect((await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);
    later(2 * HOOK_TIMEOUT_MS);
    expect((await payments.reconcile()).applied).to.deep.equal([held!.id]);
    expect((await payments.listTransactions(payment.id))[0]).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'processing_error' });
    expect((await payments.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('reconcile() with no options leaves a call still running alone: timed out, the plugin\'s request in flight, asked 100 ms later', async () => {
    const payments = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'hang' });
    expect((await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);
    later(100);
    // Taken now, the gateway's "no record" would record a failure, and the processor then charges.
    expect((await payments.reconcile()).skipped).to.deep.equal([held!.id]);
    processor.land(held!.gatewayIdempotencyKey);
    later(2 * HOOK_TIMEOUT_MS);
    expect((await payments.reconcile()).applied).to.deep.equal([held!.id]);
    expect((await payments.getPayment(payment.id)).chargeStatus).to.equal('fully-charged');
  });

  it('reconcile()\'s default minAgeMs is twice the manager\'s hookTimeoutMs, 2 x 30 s when the manager has its default', async () => {
    const payments = service(null);
    expect(manager!.hookTimeoutMs).to.equal(30_000);
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok' });
    expect((await rejection(payments.process({ paymentId: payment.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);
    later(60_000 - 1);
    expect((await payments.reconcile()).skipped).to.deep.equal([held!.id]);
    later(1);
    expect((await payments.reconcile()).applied).to.deep.equal([held!.id]);
    // An explicit minAgeMs still wins over the default.
    const other = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '5.00', currency: 'USD', token: 'tok' });
    await rejection(payments.process({ paymentId: other.id, idempotencyKey: key() }));
    expect((await payments.reconcile({ minAgeMs: 0 })).applied).to.have.length(1);
  });
});
