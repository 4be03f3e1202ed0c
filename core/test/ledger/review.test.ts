import { expect } from 'chai';
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
  type PaymentData,
} from '@payhost/core';
import { codeOf, expectAmount, key, rejection } from './helpers.js';

/**
 * A processor that acts but whose answers can get lost, and that can never
 * tell afterwards what it did (no getTransactionStatus): every lost call ends
 * in review, and only a person can settle it.
 */
class BlindGateway extends BasePlugin {
  static override id = 'test.blind';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  /** The next call's answer is lost (the manager times it out). */
  static loseNext = false;

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration, {}, { autoCapture: true });
  }

  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    return this.answer(payment, 'capture');
  }

  refundPayment(payment: PaymentData): Promise<GatewayResponse> {
    return this.answer(payment, 'refund');
  }

  private answer(payment: PaymentData, kind: 'capture' | 'refund'): Promise<GatewayResponse> {
    if (BlindGateway.loseNext) {
      BlindGateway.loseNext = false;
      return new Promise(() => undefined);
    }
    const id = `${kind}_${payment.idempotencyKey}`;
    return Promise.resolve({ isSuccess: true, actionRequired: false, kind, amount: new Decimal(payment.amount), currency: payment.currency, transactionId: id, pspReference: `pi_${payment.paymentId}`, error: null });
  }
}

function service() {
  const manager = new PluginManager({
    plugins: [BlindGateway],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.blind': { active: true } } }] },
    hookTimeoutMs: 40,
    // Its timeouts are the point of these tests: logged, they would only clutter stderr.
    logger: silentLogger(),
  });
  const store = new MemoryLedgerStore();
  return { manager, store, payments: new PaymentService({ manager, store, idempotency: { waitTimeoutMs: 100 } }) };
}

/** A 25.00 USD charge whose answer was lost: held for review under the client's key `k`. */
async function lostCharge(payments: PaymentService) {
  BlindGateway.loseNext = true;
  const k = key();
  const err = await rejection(payments.pay({ idempotencyKey: k, channel: 'web', total: '25.00', currency: 'USD', token: 'tok_blind' }));
  expect(err.code).to.equal('outcome_unknown');
  const paymentId = err.details?.['paymentId'] as string;
  const [held] = await payments.listTransactions(paymentId);
  expect(held?.state).to.equal('review');
  return { k, paymentId, held: held! };
}

/** A charged 20.00 USD payment and a 20.00 refund whose answer was lost (held for review). */
async function lostRefund(payments: PaymentService) {
  const charged = await payments.pay({ idempotencyKey: key(), channel: 'web', total: '20.00', currency: 'USD', token: 'tok_blind' });
  BlindGateway.loseNext = true;
  const k = key();
  expect(await codeOf(payments.refund({ paymentId: charged.payment.id, idempotencyKey: k }))).to.equal('outcome_unknown');
  const held = (await payments.listTransactions(charged.payment.id)).find((t) => t.kind === 'refund');
  expect(held?.state).to.equal('review');
  return { k, paymentId: charged.payment.id, held: held! };
}

describe('ledger: a person resolves a transaction held for review', () => {
  beforeEach(() => {
    BlindGateway.loseNext = false;
  });

  it('lists held transactions with their payments, and a success counts the charge and answers the client\'s key', async () => {
    const { payments, manager } = service();
    const { k, paymentId, held } = await lostCharge(payments);
    const listed = await payments.listReview();
    expect(listed.map((item) => [item.transaction.id, item.payment.id, item.payment.gateway])).to.deep.equal([[held.id, paymentId, 'test.blind']]);

    const resolved = await payments.resolveReview({ transactionId: held.id, outcome: 'succeeded', pspReference: 'pi_dashboard_1', note: 'Dashboard shows pi_dashboard_1 succeeded (checked by ana)' });
    expect(resolved.transaction).to.deep.include({ id: held.id, state: 'applied', isSuccess: true, kind: 'capture', pspReference: 'pi_dashboard_1' });
    expect(resolved.transaction.rawResponse?.['resolvedByOperator']).to.deep.include({ outcome: 'succeeded', note: 'Dashboard shows pi_dashboard_1 succeeded (checked by ana)' });
    const payment = await payments.getPayment(paymentId);
    expect(payment.chargeStatus).to.equal('fully-charged');
    expectAmount(payment.capturedAmount, '25');
    expect(payment.pspReference).to.equal('pi_dashboard_1');

    // The client's retry of the checkout gets the outcome; nothing is held any more, and a second resolution is refused.
    const retry = await payments.pay({ idempotencyKey: k, channel: 'web', total: '25.00', currency: 'USD', token: 'tok_blind' });
    expect(retry.transaction.id).to.equal(held.id);
    expect(retry.payment.chargeStatus).to.equal('fully-charged');
    expect(await payments.listReview()).to.deep.equal([]);
    const again = await rejection(payments.resolveReview({ transactionId: held.id, outcome: 'failed', note: 'second thoughts' }));
    expect(again.code).to.equal('transaction_not_in_review');
    expect(again.details).to.deep.include({ state: 'applied' });
    expectAmount((await payments.getPayment(paymentId)).capturedAmount, '25');
    await manager.close();
  });

  it('a failure releases the reserved refund amount and the client\'s key replays the failure', async () => {
    const { payments, manager } = service();
    const { k, paymentId, held } = await lostRefund(payments);
    // While held, the refund's 20.00 stays reserved.
    expect(await codeOf(payments.refund({ paymentId, idempotencyKey: key(), amount: '1.00' }))).to.equal('amount_exceeds');

    const resolved = await payments.resolveReview({ transactionId: held.id, outcome: 'failed', errorCode: 'declined', note: 'No refund in the dashboard' });
    // The note is the operators' (kept in rawResponse): the client reads the errorCode's message.
    expect(resolved.transaction).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'declined', error: 'The refund was declined' });
    expect(resolved.payment.chargeStatus).to.equal('fully-charged');
    const replay = await rejection(payments.refund({ paymentId, idempotencyKey: k }));
    expect(replay).to.deep.include({ code: 'gateway_declined', message: 'The refund was declined' });
    expect(replay.details).to.deep.include({ transactionId: held.id, errorCode: 'declined' });
    // Released: the whole amount can be refunded again.
    const refund = await payments.refund({ paymentId, idempotencyKey: key() });
    expect(refund.payment.chargeStatus).to.equal('fully-refunded');
    await manager.close();
  });

  it('a success for less than asked counts only that amount and frees the rest', async () => {
    const { payments, manager } = service();
    const { paymentId, held } = await lostRefund(payments);
    const resolved = await payments.resolveReview({ transactionId: held.id, outcome: 'succeeded', amount: '4.50', gatewayTransactionId: 're_123', note: 'Dashboard: partial refund re_123 of 4.50' });
    expectAmount(resolved.transaction.amount, '4.5');
    expect(resolved.transaction.gatewayTransactionId).to.equal('re_123');
    expect(resolved.payment.chargeStatus).to.equal('partially-refunded');
    expectAmount(resolved.payment.capturedAmount, '15.5');
    const rest = await payments.refund({ paymentId, idempotencyKey: key() });
    expectAmount(rest.transaction.amount, '15.5');
    await manager.close();
  });

  it("a refund resolved as succeeded needs the processor's refund id: its later event is then not counted again", async () => {
    const { payments, manager } = service();
    const { paymentId, held } = await lostRefund(payments);
    const missing = await rejection(payments.resolveReview({ transactionId: held.id, outcome: 'succeeded', note: 'Dashboard: refunded 20.00' }));
    expect(missing.code).to.equal('invalid_input');
    expect(missing.details).to.deep.include({ field: 'gatewayTransactionId' });
    expect((await payments.listTransactions(paymentId)).find((t) => t.id === held.id)?.state).to.equal('review');

    const resolved = await payments.resolveReview({ transactionId: held.id, outcome: 'succeeded', gatewayTransactionId: 're_dash', note: 'Dashboard: re_dash 20.00' });
    expect(resolved.payment.chargeStatus).to.equal('fully-refunded');
    const event = await payments.applyGatewayEvent({ gateway: 'test.blind', eventId: 'evt-re-dash', paymentId, response: { isSuccess: true, kind: 'refund', amount: '20.00', transactionId: 're_dash' } });
    expect(event.status).to.equal('already_applied');
    expectAmount((await payments.getPayment(paymentId)).capturedAmount, '0');
    await manager.close();
  });

  it('a refund id the ledger already counted (its event came meanwhile) is refused for a held refund', async () => {
    const { payments, manager } = service();
    const { paymentId, held } = await lostRefund(payments);
    // A refund of another amount: recorded as a refund of its own.
    const own = await payments.applyGatewayEvent({ gateway: 'test.blind', eventId: 'evt-re-5', paymentId, response: { isSuccess: true, kind: 'refund', amount: '5.00', transactionId: 're_5' } });
    expect(own.status).to.equal('applied');
    const err = await rejection(payments.resolveReview({ transactionId: held.id, outcome: 'succeeded', amount: '5.00', gatewayTransactionId: 're_5', note: 'Dashboard: re_5' }));
    expect(err.code).to.equal('invalid_input');
    expect(err.details).to.deep.include({ field: 'gatewayTransactionId', recordedTransactionId: own.transaction!.id });
    expectAmount((await payments.getPayment(paymentId)).capturedAmount, '15');
    await manager.close();
  });

  it('bad resolutions are refused with typed errors and change nothing', async () => {
    const { payments, manager, store } = service();
    const { paymentId, held } = await lostRefund(payments);
    const before = JSON.stringify([await store.getPayment(paymentId), await store.listTransactions(paymentId)]);
    const attempts: Array<[Record<string, unknown>, string]> = [
      [{ transactionId: 'no-such-transaction', outcome: 'failed', note: 'x' }, 'transaction_not_found'],
      [{ transactionId: held.id, outcome: 'failed' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'failed', note: '   ' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'maybe', note: 'x' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'succeeded', note: 'x', amount: '20.01' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'succeeded', note: 'x', amount: '1.001' }, 'invalid_amount'],
      [{ transactionId: held.id, outcome: 'succeeded', note: 'x', kind: 'capture' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'succeeded', note: 'x', errorCode: 'declined' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'failed', note: 'x', errorCode: 'made_up' }, 'invalid_input'],
      [{ transactionId: held.id, outcome: 'failed', note: 'x', amount: '1.00' }, 'invalid_input'],
    ];
    for (const [input, code] of attempts) {
      expect(await codeOf(payments.resolveReview(input as never)), JSON.stringify(input)).to.equal(code);
    }
    // An applied transaction is not for a person to change.
    const [charge] = await payments.listTransactions(paymentId);
    expect(await codeOf(payments.resolveReview({ transactionId: charge!.id, outcome: 'failed', note: 'x' }))).to.equal('transaction_not_in_review');
    expect(JSON.stringify([await store.getPayment(paymentId), await store.listTransactions(paymentId)])).to.equal(before);
    await manager.close();
  });
});
