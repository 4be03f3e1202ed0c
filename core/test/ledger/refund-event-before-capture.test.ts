import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, silentLogger, type GatewayResponse, type LedgerStore, type PaymentData, type PluginManager, type TransactionStatusInput } from '@payhost/core';
import { createPostgresStore } from '@payhost/store-postgres';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { CHANNEL, DUMMY_TOKENS, DummyGatewayPlugin, GATEWAY, dummyStore, key, makeManager, rejection } from './helpers.js';

/**
 * A refund made on the processor's dashboard right after a capture took effect there, whose webhook
 * arrives before the capture's answer (review, MEDIUM). The event reports more than the ledger
 * counts as captured: it waits (payment_busy, capture_in_flight, nothing recorded) while the capture
 * is in flight, and the processor's retry counts it once the capture is recorded. It used to be held
 * for review for good (captured 10 in the ledger, refunded at the processor, every operation refused).
 * A capture held for review (its answer lost) is no reason to wait: the event is held beside it.
 */
class LateCaptureDummy extends DummyGatewayPlugin {
  /** Set by the test: resolves when the capture has taken effect at the dummy. */
  static landed: (() => void) | null = null;
  /** Set by the test: the capture's answer waits for it. */
  static answer: Promise<void> | null = null;
  /** The answer is lost (outcome unknown), and the dummy cannot tell what became of the call. */
  static lose = false;

  static reset(): void {
    LateCaptureDummy.landed = null;
    LateCaptureDummy.answer = null;
    LateCaptureDummy.lose = false;
  }

  override async capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    const response = await super.capturePayment(p, v);
    LateCaptureDummy.landed?.();
    if (LateCaptureDummy.answer) await LateCaptureDummy.answer;
    if (!LateCaptureDummy.lose) return response;
    return { isSuccess: false, actionRequired: false, kind: 'capture', amount: p.amount, currency: p.currency, transactionId: '', error: 'connection reset', errorCode: 'processing_error', rawResponse: { outcome_unknown: true } };
  }

  override async getTransactionStatus(input: TransactionStatusInput, previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return LateCaptureDummy.lose ? undefined : super.getTransactionStatus(input, previous);
  }
}

/** A 10.00 refund made on the dummy's dashboard, and the keyless event its webhook sends. */
async function dashboardRefund(paymentId: string, psp: string) {
  const dashboard = new DummyGatewayPlugin({ channel: CHANNEL, active: true, configuration: { ...DummyGatewayPlugin.defaultConfiguration, supported_currencies: 'USD' }, logger: silentLogger() });
  const base = { currency: 'USD', token: psp, paymentId, graphqlPaymentId: paymentId, billing: null, shipping: null, orderId: null, customerIpAddress: null, customerEmail: 'buyer@example.com', customerId: null, reuseSource: false, data: null };
  const refund = await dashboard.refundPayment({ ...base, amount: new Decimal('10.00'), idempotencyKey: `dashboard-${randomUUID()}` }, null);
  expect(refund?.isSuccess, 'the dashboard refund').to.equal(true);
  return {
    gateway: GATEWAY,
    channel: CHANNEL,
    eventId: `evt-${randomUUID()}`,
    paymentId,
    pspReference: psp,
    gatewayIdempotencyKey: null,
    response: { isSuccess: true, actionRequired: false, kind: 'refund' as const, amount: '10.00', transactionId: refund!.transactionId, pspReference: psp },
  };
}

function scenarios(open: () => Promise<LedgerStore>): void {
  let store: LedgerStore;
  let manager: PluginManager;
  let service: PaymentService;
  let release: () => void = () => undefined;

  beforeEach(async () => {
    LateCaptureDummy.reset();
    store = await open();
    manager = makeManager({ plugin: LateCaptureDummy, configuration: { auto_capture: false } });
    service = new PaymentService({ manager, store });
  });
  afterEach(async () => {
    release();
    LateCaptureDummy.reset();
    await manager.close();
    await store.close();
  });

  /** Authorizes 10.00, then starts a capture that lands at the dummy and whose answer waits for `release`. */
  async function captureLanded() {
    const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, action: 'authorize' });
    const paymentId = paid.payment.id;
    const psp = paid.payment.pspReference as string;
    const landed = new Promise<void>((resolve) => (LateCaptureDummy.landed = resolve));
    LateCaptureDummy.answer = new Promise<void>((resolve) => (release = resolve));
    const capture = service.capture({ paymentId, idempotencyKey: key() }).then(
      (r) => r,
      (e: unknown) => e as Error & { code?: string },
    );
    await landed;
    expect(dummyStore.findCharge(CHANNEL, psp)!.captured.toString()).to.equal('10');
    const pending = (await service.listTransactions(paymentId)).find((t) => t.kind === 'capture');
    return { paymentId, psp, capture, pending: pending! };
  }

  it('waits (capture_in_flight, nothing recorded) while the capture is in flight; the retry counts the refund', async () => {
    const { paymentId, psp, capture, pending } = await captureLanded();
    const event = await dashboardRefund(paymentId, psp);
    const busy = await rejection(service.applyGatewayEvent(event));
    expect(busy.code).to.equal('payment_busy');
    expect(busy.details).to.deep.include({ reason: 'capture_in_flight', paymentId, transactionIds: [pending.id] });
    expect((await service.listTransactions(paymentId)).map((t) => t.kind)).to.deep.equal(['auth', 'capture']);
    release();
    await capture;
    // The processor retries the same delivery: its id was not recorded, so it applies now.
    expect((await service.applyGatewayEvent(event)).status).to.equal('applied');
    expect((await service.applyGatewayEvent({ ...event, eventId: `${event.eventId}-2` })).status).to.equal('already_applied');
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.review).to.deep.equal([]);
    const payment = await service.getPayment(paymentId);
    const charge = dummyStore.findCharge(CHANNEL, psp)!;
    expect(payment.capturedAmount.toString(), 'ledger captured == dummy captured - refunded').to.equal(charge.captured.minus(charge.refunded).toString());
    expect(payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expect(await service.listReview()).to.deep.equal([]);
  });

  it('a capture held for review (answer lost, the gateway cannot tell) is not waited for: the event is held beside it, naming it', async () => {
    LateCaptureDummy.lose = true;
    const { paymentId, psp, capture, pending } = await captureLanded();
    release();
    expect(((await capture) as { code?: string }).code).to.equal('outcome_unknown');
    const event = await dashboardRefund(paymentId, psp);
    const held = await service.applyGatewayEvent(event);
    expect(held.status).to.equal('held');
    expect(held.transaction?.error).to.include(`capture ${pending.id}`).and.to.include('settle the capture first');
    expect((await service.listReview()).map((i) => i.transaction.id).sort()).to.deep.equal([pending.id, held.transaction!.id].sort());
    // The person settles both as the dashboard shows them: the ledger then agrees with the processor.
    await service.resolveReview({ transactionId: pending.id, outcome: 'succeeded', note: 'dashboard: captured 10.00' });
    await service.resolveReview({ transactionId: held.transaction!.id, outcome: 'succeeded', note: 'dashboard: refunded 10.00' });
    const payment = await service.getPayment(paymentId);
    const charge = dummyStore.findCharge(CHANNEL, psp)!;
    expect(payment.capturedAmount.toString()).to.equal(charge.captured.minus(charge.refunded).toString());
    expect(payment.chargeStatus).to.equal('fully-refunded');
  });
}

describe('ledger: a refund event that overtakes the answer of the capture it refunds (memory store)', () => {
  scenarios(async () => new MemoryLedgerStore());
});

describe('ledger: a refund event that overtakes the answer of the capture it refunds (PGlite)', function () {
  this.timeout(60_000);
  scenarios(openMigratedPgliteStore);
});

describePostgres('ledger: a refund event that overtakes the answer of the capture it refunds', (pgc) => {
  scenarios(() => createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('refund_before_capture'), pool: { max: 4 } }));
});
