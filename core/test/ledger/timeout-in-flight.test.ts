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
  type TransactionErrorCode,
} from '@payhost/core';
import { CHANNEL, DUMMY_TOKENS, GATEWAY, GatedDummy, codeOf, dummyStore, expectAmount, key, rejection } from './helpers.js';

/**
 * A gateway call the manager stops waiting for (plugin_timeout) may still be
 * running in the plugin: the status check the ledger makes at once can find
 * no record of it, and then the call lands. Taken as a final failure, that
 * "never took effect" freed the reservation, and a retry under a new key
 * charged (captured, refunded) a second time. Held for review instead, it is
 * settled by reconciliation once the call cannot still be running.
 */
describe('ledger: a timed-out call may still be running when the status check finds no record of it', () => {
  const HOOK_TIMEOUT_MS = 100;
  const MIN_AGE_MS = 2 * HOOK_TIMEOUT_MS;
  let now = new Date('2030-01-01T00:00:00Z');
  let manager: PluginManager | null = null;

  afterEach(async () => {
    GatedDummy.gate.open();
    await manager?.close();
    manager = null;
  });

  function env(autoCapture: boolean) {
    now = new Date('2030-01-01T00:00:00Z');
    manager = new PluginManager({
      plugins: [GatedDummy],
      config: { channels: [{ slug: CHANNEL, currencies: ['USD'], plugins: { [GATEWAY]: { active: true, configuration: { supported_currencies: 'USD', auto_capture: autoCapture } } } }] },
      logger: silentLogger(),
      hookTimeoutMs: HOOK_TIMEOUT_MS,
    });
    return new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger(), clock: () => now, idempotency: { waitTimeoutMs: 50 } });
  }

  /** The dummy's charge behind a payment's first successful answer. */
  function chargeOf(pspReference: string | null) {
    const charge = dummyStore.findCharge(CHANNEL, pspReference ?? '');
    expect(charge, 'the dummy has the charge').to.not.equal(undefined);
    return charge!;
  }

  /** Lets the held call through and waits for the dummy to have answered it. */
  async function land(gatewayKey: string): Promise<void> {
    GatedDummy.gate.open();
    for (let i = 0; i < 50 && !dummyStore.getIdempotent(CHANNEL, gatewayKey); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(dummyStore.getIdempotent(CHANNEL, gatewayKey), 'the held call landed at the dummy').to.not.equal(undefined);
  }

  it('process: outcome_unknown with 10.00 reserved, no second charge under a new key, and reconciliation counts the charge once the call is over', async () => {
    const service = env(true);
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success });
    GatedDummy.gate.close();
    const err = await rejection(service.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(err.code).to.equal('outcome_unknown');
    const [held] = await service.listTransactions(payment.id);
    expect(held).to.deep.include({ state: 'review', kind: 'capture' });
    expect(held?.error).to.match(/may still be running/);

    // The processor finishes the call the manager gave up on.
    await land(held!.gatewayIdempotencyKey);
    // A new checkout attempt does not charge again while the first is unresolved.
    const busy = await rejection(service.process({ paymentId: payment.id, idempotencyKey: key() }));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'held_for_review', transactionId: held!.id });

    // Too young: the call may still be running (another instance's pass would say so), left alone.
    const early = await service.reconcile({ minAgeMs: MIN_AGE_MS });
    expect(early.skipped).to.deep.equal([held!.id]);
    now = new Date(now.getTime() + MIN_AGE_MS);
    const report = await service.reconcile({ minAgeMs: MIN_AGE_MS });
    expect(report.applied).to.deep.equal([held!.id]);
    const settled = await service.getPayment(payment.id);
    expect(settled.chargeStatus).to.equal('fully-charged');
    expectAmount(settled.capturedAmount, '10');
    expectAmount(chargeOf(settled.pspReference).captured, '10', 'captured at the dummy');
    // Charged: a further process is refused by the ledger, never sent.
    expect(await codeOf(service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    const successes = (await service.listTransactions(payment.id)).filter((t) => t.isSuccess);
    expect(successes.map((t) => t.id)).to.deep.equal([held!.id]);
  });

  it('capture: the authorization stays reserved for the held capture, which reconciliation counts', async () => {
    const service = env(false);
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success });
    const auth = await service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(auth.payment.authorizedAmount, '10');
    GatedDummy.gate.close();
    expect(await codeOf(service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('outcome_unknown');
    const held = (await service.listTransactions(payment.id)).find((t) => t.kind === 'capture');
    expect(held).to.deep.include({ state: 'review' });
    await land(held!.gatewayIdempotencyKey);
    expectAmount(chargeOf(auth.payment.pspReference).captured, '10', 'captured at the dummy');
    // Not recorded as a failed capture: the ledger does not offer the authorization again.
    const payments = await service.getPayment(payment.id);
    expect(payments.chargeStatus).to.equal('not-charged');
    expect(await codeOf(service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.be.oneOf(['payment_busy', 'amount_exceeds']);

    now = new Date(now.getTime() + MIN_AGE_MS);
    expect((await service.reconcile({ minAgeMs: MIN_AGE_MS })).applied).to.deep.equal([held!.id]);
    const settled = await service.getPayment(payment.id);
    expect(settled.chargeStatus).to.equal('fully-charged');
    expectAmount(settled.capturedAmount, '10');
  });

  it('refund: the refund stays reserved while held, no second refund under a new key, and reconciliation counts it', async () => {
    const service = env(true);
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success });
    const charged = await service.process({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(charged.payment.capturedAmount, '10');
    GatedDummy.gate.close();
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('outcome_unknown');
    const held = (await service.listTransactions(payment.id)).find((t) => t.kind === 'refund');
    expect(held).to.deep.include({ state: 'review' });
    await land(held!.gatewayIdempotencyKey);
    expectAmount(chargeOf(charged.payment.pspReference).refunded, '10', 'refunded at the dummy');
    // The 10.00 is still reserved for the held refund: nothing more can be refunded.
    expect(await codeOf(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }))).to.be.oneOf(['payment_busy', 'amount_exceeds']);

    now = new Date(now.getTime() + MIN_AGE_MS);
    expect((await service.reconcile({ minAgeMs: MIN_AGE_MS })).applied).to.deep.equal([held!.id]);
    const settled = await service.getPayment(payment.id);
    expect(settled.chargeStatus).to.equal('fully-refunded');
    expectAmount(settled.capturedAmount, '0');
    expectAmount(chargeOf(charged.payment.pspReference).refunded, '10', 'refunded once at the dummy');
  });
});

/**
 * A processor whose calls never answer in time (`hang`) or answer a lost
 * answer (`lose`: the plugin's own request timed out or dropped), and whose
 * status check answers `status`: either way the call may still land, so only
 * a check that shows the call settles it at once.
 */
class SlowGateway extends BasePlugin {
  static override id = 'test.slow';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  static status: { isSuccess: boolean; errorCode: TransactionErrorCode | null } = { isSuccess: false, errorCode: 'processing_error' };

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration, {}, { autoCapture: true });
  }

  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    if (payment.token === 'hang') return new Promise(() => undefined);
    return Promise.resolve({ ...this.answer(payment, false, 'processing_error'), rawResponse: { outcome_unknown: true } });
  }

  getTransactionStatus(input: { payment: PaymentData }): Promise<GatewayResponse> {
    return Promise.resolve(this.answer(input.payment, SlowGateway.status.isSuccess, SlowGateway.status.errorCode));
  }

  private answer(payment: PaymentData, isSuccess: boolean, errorCode: TransactionErrorCode | null): GatewayResponse {
    const id = `ch_${payment.idempotencyKey}`;
    return {
      isSuccess,
      actionRequired: false,
      kind: 'capture',
      amount: new Decimal(payment.amount),
      currency: payment.currency,
      transactionId: id,
      pspReference: id,
      error: isSuccess ? null : 'No record of this call',
      errorCode: isSuccess ? null : errorCode,
    };
  }
}

describe('ledger: what the status check right after an unknown outcome may settle', () => {
  let manager: PluginManager | null = null;

  afterEach(async () => {
    await manager?.close();
    manager = null;
  });

  function service() {
    manager = new PluginManager({
      plugins: [SlowGateway],
      config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.slow': { active: true } } }] },
      hookTimeoutMs: 40,
      logger: silentLogger(),
    });
    return new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger() });
  }

  const pay = (payments: PaymentService, token: string) => payments.pay({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token });

  it('after a timeout, a processing_error status (no record yet) holds for review; a decline the processor recorded settles', async () => {
    const payments = service();
    SlowGateway.status = { isSuccess: false, errorCode: 'processing_error' };
    const unknown = await rejection(pay(payments, 'hang'));
    expect(unknown.code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(unknown.details?.['paymentId'] as string);
    expect(held?.state).to.equal('review');

    SlowGateway.status = { isSuccess: false, errorCode: 'declined' };
    const declined = await rejection(pay(payments, 'hang'));
    expect(declined.code).to.equal('gateway_declined');
    const [failed] = await payments.listTransactions(declined.details?.['paymentId'] as string);
    expect(failed).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'declined' });

    SlowGateway.status = { isSuccess: true, errorCode: null };
    const charged = await pay(payments, 'hang');
    expect(charged.payment.chargeStatus).to.equal('fully-charged');
  });

  it('a lost answer the plugin marked (its own request timed out or dropped) is no call that is over: "no record" holds it, the processor\'s verdict settles it', async () => {
    const payments = service();
    SlowGateway.status = { isSuccess: false, errorCode: 'processing_error' };
    const err = await rejection(pay(payments, 'lose'));
    expect(err.code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(err.details?.['paymentId'] as string);
    expect(held).to.deep.include({ state: 'review', isSuccess: false });
    expect(held?.error).to.match(/may still land/);

    SlowGateway.status = { isSuccess: false, errorCode: 'declined' };
    const declined = await rejection(pay(payments, 'lose'));
    expect(declined.code).to.equal('gateway_declined');
    const [failed] = await payments.listTransactions(declined.details?.['paymentId'] as string);
    expect(failed).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'declined' });

    SlowGateway.status = { isSuccess: true, errorCode: null };
    expect((await pay(payments, 'lose')).payment.chargeStatus).to.equal('fully-charged');
  });
});
