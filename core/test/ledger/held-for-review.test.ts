import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, TRANSACTION_STATES, type FaultHooks, type GatewayResponse, type PaymentData, type PluginManager, type TransactionStatusInput } from '@payhost/core';
import { DUMMY_TOKENS, GatedDummy, codeOf, expectAmount, key, makeManager, payInput, rejection } from './helpers.js';

/**
 * A key whose transaction is held for review stays in flight until the review is settled; a retry
 * of it must say so at once, not wait out idempotency.waitTimeoutMs first. Every service here waits
 * up to a minute for another holder of a key: a retry that waited would time the test out.
 */
const WAIT = { waitTimeoutMs: 60_000 };

/** The payment_busy a retry of a held key gets: it names the transaction and says what to do. */
function expectHeld(err: Error & { code?: string; details?: Record<string, unknown> }, k: string, transactionId: string | undefined): void {
  expect(err.code).to.equal('payment_busy');
  expect(err.message).to.include('held for review').and.to.include('/admin/review');
  expect(err.details).to.deep.include({ idempotencyKey: k, transactionId });
}

describe('ledger: a retry of a key whose transaction is held for review answers payment_busy at once', () => {
  let manager: PluginManager;
  let store: MemoryLedgerStore;
  /** A service, as another process on the same store would run it (its own idempotency coordinator). */
  const instance = (faults?: FaultHooks): PaymentService => new PaymentService({ manager, store, idempotency: WAIT, ...(faults ? { faults } : {}) });

  beforeEach(() => {
    store = new MemoryLedgerStore();
    manager = makeManager({ plugin: GatedDummy });
  });
  afterEach(async () => {
    GatedDummy.gate.open();
    GatedDummy.canTell = true;
    await manager.close();
  });

  it('after outcome_unknown on pay: the retry (here and on another instance) is payment_busy, then the resolution answers it', async () => {
    const payments = instance();
    const input = payInput({ token: DUMMY_TOKENS.outcomeUnknownCharged });
    const lost = await rejection(payments.pay(input));
    expect(lost.code).to.equal('outcome_unknown');
    const { transactionId, paymentId } = lost.details as { transactionId: string; paymentId: string };

    expectHeld(await rejection(payments.pay(input)), input.idempotencyKey, transactionId);
    expectHeld(await rejection(instance().pay(input)), input.idempotencyKey, transactionId);
    expect((await store.getIdempotencyRecord(input.idempotencyKey))?.state, 'still in flight').to.equal('in_flight');
    // Another request under the key is still told so first.
    expect(await codeOf(payments.pay({ ...input, total: '11.00' }))).to.equal('idempotency_key_reused');

    await payments.resolveReview({ transactionId, outcome: 'succeeded', note: 'charged at the processor (test)' });
    const retry = await instance().pay(input);
    expect(retry.transaction).to.deep.include({ id: transactionId, state: 'applied', isSuccess: true });
    expect(retry.payment.id).to.equal(paymentId);
    expectAmount(retry.payment.capturedAmount, '10');
  });

  it('after outcome_unknown on process: the retry is payment_busy at once', async () => {
    const payments = instance();
    const payment = await payments.createPayment({ idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: DUMMY_TOKENS.outcomeUnknownNotCharged });
    const k = key();
    const lost = await rejection(payments.process({ paymentId: payment.id, idempotencyKey: k }));
    expect(lost.code).to.equal('outcome_unknown');
    expectHeld(await rejection(instance().process({ paymentId: payment.id, idempotencyKey: k })), k, (lost.details as { transactionId: string }).transactionId);
  });

  it('a retry already waiting for the first request answers as soon as that one holds its transaction for review', async () => {
    const first = instance();
    const input = payInput({ token: DUMMY_TOKENS.outcomeUnknownCharged });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const running = rejection(first.pay(input));
    await arrived;
    // Another instance gets the retry while the first request's gateway call runs: it waits for it.
    const retry = rejection(instance().pay(input));
    GatedDummy.gate.open();
    const lost = await running;
    expect(lost.code).to.equal('outcome_unknown');
    expectHeld(await retry, input.idempotencyKey, (lost.details as { transactionId: string }).transactionId);
  });

  it('reconciliation holding a crashed pending transaction for review: the retry is payment_busy at once, and gets the outcome once it is settled', async () => {
    let crash = true;
    const crashing = instance({
      'after-gateway': () => {
        if (crash) throw new Error('crash after the gateway call');
      },
    });
    const input = payInput();
    expect((await rejection(crashing.pay(input))).message).to.equal('crash after the gateway call');
    crash = false;
    const [pending] = await store.listPendingTransactions();
    expect(pending).to.deep.include({ state: 'pending', idempotencyKey: input.idempotencyKey });

    GatedDummy.canTell = false;
    const restarted = instance();
    expect((await restarted.reconcile({ minAgeMs: 0 })).review).to.deep.equal([pending?.id]);
    expectHeld(await rejection(restarted.pay(input)), input.idempotencyKey, pending?.id);

    GatedDummy.canTell = true;
    expect((await restarted.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([pending?.id]);
    const retry = await instance().pay(input);
    expect(retry.transaction).to.deep.include({ id: pending?.id, state: 'applied', isSuccess: true });
    // The states it went through (pending, review, applied) are the ones core lists, the API's enum.
    expect([...TRANSACTION_STATES].sort()).to.deep.equal(['applied', 'pending', 'review']);
  });
});

/**
 * A charge whose answer is lost (outcome_unknown) with the plugin's `error` and `transactionId`; its status check
 * cannot tell (with `status`: a status check whose own request was lost, saying that).
 */
class LostAnswerDummy extends GatedDummy {
  static answer: Partial<GatewayResponse> = {};
  static status: string | null = null;
  override async getTransactionStatus(input: TransactionStatusInput, previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (LostAnswerDummy.status === null) return super.getTransactionStatus(input, previous);
    return {
      isSuccess: false, actionRequired: false, kind: 'capture', amount: input.payment.amount, currency: input.payment.currency,
      transactionId: 'pi_9', errorCode: 'processing_error', error: LostAnswerDummy.status, rawResponse: { outcome_unknown: true, http: 504 },
    };
  }
  override async processPayment(p: PaymentData): Promise<GatewayResponse | undefined> {
    return {
      isSuccess: false, actionRequired: false, kind: 'capture', amount: p.amount, currency: p.currency,
      transactionId: '', errorCode: 'processing_error', error: 'lost', rawResponse: { outcome_unknown: true }, ...LostAnswerDummy.answer,
    };
  }
}

describe('ledger: what a held row says of the gateway\'s answer', () => {
  let manager: PluginManager;
  let payments: PaymentService;
  const CARD = '4111111111111111';
  beforeEach(() => {
    manager = makeManager({ plugin: LostAnswerDummy });
    payments = new PaymentService({ manager, store: new MemoryLedgerStore(), idempotency: WAIT });
    GatedDummy.canTell = false;
  });
  afterEach(async () => {
    GatedDummy.canTell = true;
    LostAnswerDummy.answer = {};
    LostAnswerDummy.status = null;
    await manager.close();
  });

  async function heldError(): Promise<string> {
    expect(await codeOf(payments.pay(payInput()))).to.equal('outcome_unknown');
    const [item] = await payments.listReview();
    return item?.transaction.error ?? '';
  }

  it('names the gateway\'s message and reference, a card number in either masked', async () => {
    LostAnswerDummy.answer = { error: `lost for card ${CARD}.`, transactionId: CARD };
    const error = await heldError();
    expect(error).to.not.include(CARD);
    expect(error).to.match(/held for review\. The gateway said: lost for card \[redacted\]\. Gateway reference: \[redacted\]\.$/);
  });

  it('is at most 2,000 characters, only the gateway\'s message cut (with an ellipsis): its reference kept', async () => {
    LostAnswerDummy.answer = { error: `<html>${'x'.repeat(5_000)}</html>`, transactionId: 'pi_x' };
    LostAnswerDummy.status = `<html>${'y'.repeat(5_000)}</html>`;
    const [first, check, ...more] = (await heldError()).split('; status check: ');
    expect(more).to.deep.equal([]);
    expect(first?.length).to.be.at.most(2000).and.at.least(1990);
    expect(first).to.match(/^The gateway did not say whether it acted; held for review\. The gateway said: <html>x+…\. Gateway reference: pi_x$/);
    // A status check's text likewise: at most 1,000 characters, its reference kept.
    expect(check?.length).to.be.at.most(1000).and.at.least(990);
    expect(check).to.match(/^The gateway said: <html>y+…\. Gateway reference: pi_9\.$/);
  });

  it('a plugin\'s own statusCheck key in its raw response is not taken for core\'s: the first reason stays whole', async () => {
    LostAnswerDummy.answer = { error: 'lost; status check: ok', transactionId: 'pi_9', rawResponse: { outcome_unknown: true, statusCheck: { said: 'ok. Gateway reference: pi_9.' } } };
    LostAnswerDummy.status = 'status endpoint timed out';
    const error = await heldError();
    expect(error).to.match(/held for review\. The gateway said: lost; status check: ok\. Gateway reference: pi_9; status check: The gateway said: status endpoint timed out\. Gateway reference: pi_9\.$/);
    const [item] = await payments.listReview();
    expect(item?.transaction.rawResponse).to.deep.equal({ outcome_unknown: true, statusCheck: { said: 'The gateway said: status endpoint timed out. Gateway reference: pi_9.', rawResponse: { outcome_unknown: true, http: 504 } } });
  });

  it('the first reason loses no more of its end on each status check pass (only core\'s final "." once)', async () => {
    LostAnswerDummy.answer = { error: 'lost', transactionId: 'ref..' };
    LostAnswerDummy.status = 'status endpoint timed out';
    const first = (await heldError()).split('; status check: ')[0];
    expect(first).to.match(/Gateway reference: ref\.\.\.?$/);
    for (const pass of [1, 2, 3]) {
      LostAnswerDummy.status = `status endpoint answered 50${pass}`;
      expect((await payments.reconcile({ minAgeMs: 0 })).held).to.have.length(1);
      const [item] = await payments.listReview();
      expect(item?.transaction.error).to.equal(`${first}; status check: The gateway said: status endpoint answered 50${pass}. Gateway reference: pi_9.`);
    }
  });
});
