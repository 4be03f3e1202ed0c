import { expect } from 'chai';
import sinon from 'sinon';
import {
  silentLogger,
  BasePlugin,
  Decimal,
  MemoryLedgerStore,
  PaymentService,
  PluginManager,
  gatewayConfigFromValues,
  type GatewayConfig,
  type GatewayResponse,
  type LedgerTx,
  type Payment,
  type PaymentData,
  type TransactionStatusInput,
} from '@payhost/core';
import { codeOf, expectAmount, key, rejection } from './helpers.js';

/**
 * A processor whose answers can get lost: with token "lost" the charge happens
 * but the plugin never answers (the manager times it out). `knows` decides
 * whether getTransactionStatus can tell afterwards.
 */
class LossyGateway extends BasePlugin {
  static override id = 'test.lossy';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  static charges = new Map<string, Decimal>();
  static knows = true;

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration, {}, { autoCapture: true });
  }

  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    LossyGateway.charges.set(String(payment.idempotencyKey), new Decimal(payment.amount));
    if (payment.token === 'lost') return new Promise(() => undefined);
    return Promise.resolve(this.charged(payment));
  }

  async getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse | null> {
    if (!LossyGateway.knows) return null;
    return LossyGateway.charges.has(String(input.payment.idempotencyKey)) ? this.charged(input.payment) : null;
  }

  private charged(payment: PaymentData): GatewayResponse {
    const id = `ch_${payment.idempotencyKey}`;
    return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal(payment.amount), currency: payment.currency, transactionId: id, pspReference: id, error: null };
  }
}

function service(options: { clock?: () => Date; waitTimeoutMs?: number } = {}) {
  const manager = new PluginManager({
    plugins: [LossyGateway],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.lossy': { active: true } } }] },
    hookTimeoutMs: 40,
    // Its timeouts are the point of these tests: logged, they would only clutter stderr.
    logger: silentLogger(),
  });
  const store = new MemoryLedgerStore();
  const clock = options.clock ? { clock: options.clock } : {};
  return { manager, store, payments: new PaymentService({ manager, store, ...clock, idempotency: { waitTimeoutMs: options.waitTimeoutMs ?? 150 } }) };
}

describe('ledger: a gateway call whose outcome is unknown is never recorded as a final failure', () => {
  beforeEach(() => {
    LossyGateway.charges.clear();
    LossyGateway.knows = true;
  });

  it('a timed-out charge that the processor made is recorded as charged, once', async () => {
    const { payments, manager } = service();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '12.00', currency: 'USD', token: 'lost' });
    const result = await payments.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(result.payment.chargeStatus).to.equal('fully-charged');
    expect(result.payment.capturedAmount.toString()).to.equal('12');
    expect(LossyGateway.charges.size).to.equal(1);
    expect((await payments.listTransactions(payment.id)).map((t) => t.state)).to.deep.equal(['applied']);
    await manager.close();
  });

  /** A charge the processor made but whose answer was lost, while the processor cannot tell: outcome_unknown. */
  async function unknownCharge(payments: PaymentService): Promise<{ payment: Payment; k: string; err: Awaited<ReturnType<typeof rejection>> }> {
    LossyGateway.knows = false;
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '12.00', currency: 'USD', token: 'lost' });
    const k = key();
    const err = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: k }));
    return { payment, k, err };
  }

  it('when the processor cannot tell: outcome_unknown, held for review, and a retry neither charges again nor frees the amount', async () => {
    const { payments, manager } = service();
    const { payment, k, err } = await unknownCharge(payments);
    expect(err.code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);
    expect(held?.state).to.equal('review');
    expect(held?.errorCode).to.equal(null);
    expect(await codeOf(payments.process({ paymentId: payment.id, idempotencyKey: k }))).to.equal('payment_busy');
    expect(LossyGateway.charges.size).to.equal(1);
    expect((await payments.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
    await manager.close();
  });

  it('a retry of a key held for review longer than the wait answers payment_busy at once, without waiting again', async () => {
    // Every record is claimed an hour "ago"; a retry that waited would need the full minute and time the test out.
    const { manager, store, payments } = service({ clock: () => new Date(Date.now() - 3_600_000), waitTimeoutMs: 60_000 });
    const { k, payment } = await unknownCharge(payments);
    const reads = sinon.spy(store, 'getIdempotencyRecord');
    expect(await codeOf(payments.process({ paymentId: payment.id, idempotencyKey: k }))).to.equal('payment_busy');
    expect(reads.callCount, 'the reserve finds the key itself: no lookup, no polling').to.equal(0);
    await manager.close();
  });

  it('reconciliation asks again about a transaction in review and applies the answer once the processor can tell', async () => {
    const { payments, manager } = service();
    const { payment, k, err } = await unknownCharge(payments);
    expect(err.code).to.equal('outcome_unknown');
    const [held] = await payments.listTransactions(payment.id);

    // Still cannot tell: the row stays as it is.
    expect(await payments.reconcile({ minAgeMs: 0 })).to.deep.include({ checked: 1, applied: [], review: [], held: [held?.id] });
    expect((await payments.listTransactions(payment.id)).map((t) => t.state)).to.deep.equal(['review']);
    // Not asked at all when revisiting is off.
    LossyGateway.knows = true;
    expect((await payments.reconcile({ minAgeMs: 0, revisitReview: false })).checked).to.equal(0);

    const report = await payments.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [held?.id], review: [], held: [] });
    const [resolved] = await payments.listTransactions(payment.id);
    expect(resolved).to.deep.include({ id: held?.id, state: 'applied', isSuccess: true, kind: 'capture' });
    const after = await payments.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
    expect(after.capturedAmount.toString()).to.equal('12');
    // The client's retry with its key now gets the outcome, and nothing is charged again.
    const retry = await payments.process({ paymentId: payment.id, idempotencyKey: k });
    expect(retry.transaction.id).to.equal(held?.id);
    expect(LossyGateway.charges.size).to.equal(1);
    expect((await payments.reconcile({ minAgeMs: 0 })).checked).to.equal(0);
    await manager.close();
  });

  it("a processor event applying the charge while it is being held for review is not overwritten (nor counted twice later)", async () => {
    // The event is started right after the hold's read of the transaction; with the payment locked first (as
    // every writer does) it waits for the hold, otherwise it lands between the read and the stale write.
    // The hold goes on once the event has gone as far as it can: done, or waiting for a row lock.
    let interleave: (() => void) | null = null;
    let event: Promise<unknown> | null = null;
    let lockWaited: (() => void) | null = null;
    class InterleavingStore extends MemoryLedgerStore {
      override transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
        return super.transaction((tx) =>
          fn(
            Object.assign(Object.create(tx) as LedgerTx, {
              getTransaction: async (id: string) => {
                const row = await tx.getTransaction(id);
                const run = interleave;
                interleave = null;
                if (run) {
                  const waiting = new Promise<void>((resolve) => (lockWaited = resolve));
                  run(); // sends the event
                  const done = (event as unknown as Promise<unknown>).then(() => undefined, () => undefined);
                  await Promise.race([done, waiting]);
                }
                return row;
              },
            }),
          ),
        );
      }
    }
    const store = new InterleavingStore();
    // The memory store's lock table (its stand-in for row locks): acquire() is called only for a lock another transaction holds.
    const locks = (store as unknown as { locks: { acquire: (key: string) => Promise<unknown> } }).locks;
    const acquire = locks.acquire.bind(locks);
    locks.acquire = (lockKey: string) => {
      const pending = acquire(lockKey);
      (lockWaited as (() => void) | null)?.();
      return pending;
    };
    const manager = new PluginManager({ plugins: [LossyGateway], config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.lossy': { active: true } } }] }, hookTimeoutMs: 40, logger: silentLogger() });
    const payments = new PaymentService({ manager, store, idempotency: { waitTimeoutMs: 150 } });
    LossyGateway.knows = false;
    const status = sinon.stub(LossyGateway.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput) => {
      // The processor cannot tell yet; its webhook for the charge arrives as the ledger holds the transaction.
      interleave = () => {
        event = payments.applyGatewayEvent({
          gateway: 'test.lossy',
          eventId: 'evt-lost-charge',
          paymentId: input.payment.paymentId,
          gatewayIdempotencyKey: input.transaction.gatewayIdempotencyKey,
          response: { isSuccess: true, kind: 'capture', amount: '12.00', currency: 'USD', transactionId: 'ch_evt', pspReference: 'ch_evt' },
        });
      };
      return null;
    });
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '12.00', currency: 'USD', token: 'lost' });
    const k = key();
    const result = await payments.process({ paymentId: payment.id, idempotencyKey: k }).catch((err: Error) => err);
    expect(event, 'the event was sent during the hold').to.not.equal(null);
    await (event as Promise<unknown> | null); // assigned in the stub above: TypeScript's narrowing still sees null here
    status.restore();
    // Whichever answer the caller got, the ledger counts the charge once, and asking again changes nothing.
    LossyGateway.knows = true;
    await payments.reconcile({ minAgeMs: 0 });
    const after = await payments.getPayment(payment.id);
    expectAmount(after.capturedAmount, '12');
    expect((await payments.listTransactions(payment.id)).map((t) => [t.kind, t.state, t.isSuccess])).to.deep.equal([['capture', 'applied', true]]);
    const retry = await payments.process({ paymentId: payment.id, idempotencyKey: k });
    expect(retry.payment.capturedAmount.toString(), String(result)).to.equal('12');
    await manager.close();
  });
});
