import { expect } from 'chai';
import sinon from 'sinon';
import {
  MemoryLedgerStore,
  type ClaimAndInsertResult,
  type ClaimResult,
  type IdempotencyClaim,
  type LedgerStore,
  type LedgerTx,
  type Payment,
  type PaymentForOperation,
  type SettleWrites,
  type Transaction,
} from '@payhost/core';
import { CHANNEL, DUMMY_TOKENS, GATEWAY, codeOf, expectAmount, key, payInput, setup, type Setup } from './helpers.js';

type StepCall =
  | { step: 'claimAndCreate'; claim: IdempotencyClaim; payment: Payment; transaction: Transaction; result: ClaimResult }
  | { step: 'lockPaymentAndTransaction'; paymentId: string; transactionId: string; pspClaim?: { gateway: string; pspReference: string } }
  | { step: 'settle'; writes: SettleWrites }
  | { step: 'lockPaymentForOperation'; paymentId: string; key: string; result: PaymentForOperation }
  | { step: 'claimAndInsertTransaction'; claim: IdempotencyClaim; transaction: Transaction; result: ClaimAndInsertResult }
  | { step: 'transaction' };

/**
 * A memory store that offers the optional one-statement steps (as the SQL stores do), each made of
 * the basic calls, and records which the ledger used: the ledger must reach the same results through
 * them as through the basic calls, and use them where a payment's round trips are counted.
 */
class StepsStore extends MemoryLedgerStore {
  readonly calls: StepCall[] = [];
  /** Answers the next claimAndInsertTransaction calls with a taken key whose record is gone (released meanwhile). */
  releasedClaims = 0;
  /** Runs before the next claimAndInsertTransaction (another process claiming the key meanwhile). */
  beforeClaim: (() => Promise<void>) | null = null;

  override transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    this.calls.push({ step: 'transaction' });
    return super.transaction((tx) => fn(this.withSteps(tx)));
  }

  async claimAndCreate(claim: IdempotencyClaim, payment: Payment, transaction: Transaction): Promise<ClaimResult> {
    const result = await super.transaction(async (tx) => {
      const claimed = await tx.claimIdempotencyKey(claim.key, claim.requestHash, claim.now);
      if (!claimed.claimed) return claimed;
      await tx.insertPayment(payment);
      await tx.insertTransaction(transaction);
      return claimed;
    });
    this.calls.push({ step: 'claimAndCreate', claim, payment, transaction, result });
    return result;
  }

  private withSteps(tx: LedgerTx): LedgerTx {
    const calls = this.calls;
    const store = this;
    const steps: Partial<LedgerTx> = {
      // Only reads, as the SQL stores' step does: the key's committed record, not a claim.
      async lockPaymentForOperation(paymentId, key) {
        const payment = await tx.getPayment(paymentId, { forUpdate: true });
        const result = { payment, transactions: payment ? await tx.listTransactions(paymentId) : [], record: await store.getIdempotencyRecord(key) };
        calls.push({ step: 'lockPaymentForOperation', paymentId, key, result });
        return result;
      },
      async claimAndInsertTransaction(claim, transaction) {
        let result: ClaimAndInsertResult;
        const before = store.beforeClaim;
        store.beforeClaim = null;
        if (before) await before();
        if (store.releasedClaims > 0) {
          store.releasedClaims -= 1;
          result = { claimed: false, record: null };
        } else {
          result = await tx.claimIdempotencyKey(claim.key, claim.requestHash, claim.now);
          if (result.claimed) await tx.insertTransaction(transaction);
        }
        calls.push({ step: 'claimAndInsertTransaction', claim, transaction, result });
        return result;
      },
      async lockPaymentAndTransaction(paymentId, transactionId, options = {}) {
        calls.push({ step: 'lockPaymentAndTransaction', paymentId, transactionId, ...(options.pspClaim ? { pspClaim: options.pspClaim } : {}) });
        return { payment: await tx.getPayment(paymentId, { forUpdate: true }), transaction: await tx.getTransaction(transactionId) };
      },
      async settle(writes) {
        calls.push({ step: 'settle', writes });
        await tx.updateTransaction(writes.transaction);
        if (writes.payment && !(await tx.updatePayment(writes.payment.next, writes.payment.expectedVersion))) throw new Error('version');
        if (writes.account) await tx.upsertCustomerAccount(writes.account);
        if (writes.idempotency) await tx.completeIdempotencyKey(writes.idempotency.key, writes.idempotency.response, writes.idempotency.now);
      },
    };
    return new Proxy(tx, {
      get(target, property, receiver) {
        if (property in steps) return steps[property as keyof LedgerTx];
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  steps(): string[] {
    return this.calls.map((c) => c.step);
  }
}

describe('ledger: the optional one-statement store steps', () => {
  let env: Setup;
  let store: StepsStore;
  beforeEach(() => {
    store = new StepsStore();
    env = setup({ store });
  });
  afterEach(async () => {
    await env?.close();
  });

  it('pay(): claimAndCreate, then one transaction that locks with the PSP reference to claim and settles everything at once', async () => {
    const request = payInput();
    const result = await env.service.pay(request);
    expect(result.payment.chargeStatus).to.equal('fully-charged');
    expect(store.steps()).to.deep.equal(['claimAndCreate', 'transaction', 'lockPaymentAndTransaction', 'settle']);
    const [created, , lock, settled] = store.calls;
    if (created?.step !== 'claimAndCreate' || lock?.step !== 'lockPaymentAndTransaction' || settled?.step !== 'settle') throw new Error('unreachable');
    expect(created.claim.key).to.equal(request.idempotencyKey);
    expect(created.transaction).to.deep.include({ paymentId: created.payment.id, state: 'pending', idempotencyKey: request.idempotencyKey });
    expect(lock).to.deep.include({ paymentId: result.payment.id, transactionId: result.transaction.id });
    expect(lock.pspClaim).to.deep.equal({ gateway: GATEWAY, pspReference: result.payment.pspReference });
    expect(settled.writes.transaction).to.deep.include({ id: result.transaction.id, state: 'applied', isSuccess: true });
    expect(settled.writes.payment?.expectedVersion).to.equal(1);
    expect(settled.writes.payment?.next.version).to.equal(2);
    expect(settled.writes.idempotency?.key).to.equal(request.idempotencyKey);
    expect(settled.writes.account).to.equal(undefined);
    expect((await env.store.getIdempotencyRecord(request.idempotencyKey))?.state).to.equal('done');
  });

  it('a repeat of a recorded key is answered through claimAndCreate, which writes nothing', async () => {
    const request = payInput();
    const first = await env.service.pay(request);
    store.calls.length = 0;
    const again = await env.service.pay(request);
    expect(again).to.deep.equal(first);
    expect(store.steps()).to.deep.equal(['claimAndCreate']);
    const [call] = store.calls;
    if (call?.step !== 'claimAndCreate') throw new Error('unreachable');
    expect(call.result.claimed).to.equal(false);
    expect(await env.store.getPayment(call.payment.id)).to.equal(null);
  });

  it('a charge with the card on file reserves the classic way (claim first, then the account lookup), and a missing card writes nothing', async () => {
    expect(await codeOf(env.service.pay(payInput({ token: null, customerId: 'nobody' })))).to.equal('no_payment_source');
    expect(store.steps()).to.deep.equal(['transaction']);
  });

  it('a decline settles the failed transaction and the key, not the payment', async () => {
    const request = payInput({ token: DUMMY_TOKENS.declined });
    expect(await codeOf(env.service.pay(request))).to.equal('gateway_declined');
    const settled = store.calls.find((c) => c.step === 'settle');
    if (settled?.step !== 'settle') throw new Error('no settle');
    expect(settled.writes.payment).to.equal(undefined);
    expect(settled.writes.transaction).to.deep.include({ state: 'applied', isSuccess: false });
    expect(settled.writes.idempotency?.key).to.equal(request.idempotencyKey);
  });

  it('a refund settles through the same step; storePaymentMethod settles the card on file with the charge', async () => {
    const paid = await env.service.pay(payInput({ customerId: 'cust-42', storePaymentMethod: true }));
    const account = store.calls.find((c): c is Extract<StepCall, { step: 'settle' }> => c.step === 'settle')?.writes.account;
    expect(account).to.deep.include({ customerId: 'cust-42', channel: CHANNEL, gateway: GATEWAY });
    store.calls.length = 0;
    const refunded = await env.service.refund({ paymentId: paid.payment.id, amount: '4.00', idempotencyKey: key() });
    expectAmount(refunded.payment.capturedAmount, '6');
    expect(store.steps()).to.deep.equal(['transaction', 'lockPaymentForOperation', 'claimAndInsertTransaction', 'transaction', 'lockPaymentAndTransaction', 'settle']);
    const lock = store.calls[4];
    if (lock?.step !== 'lockPaymentAndTransaction') throw new Error('unreachable');
    expect(lock.pspClaim, 'the payment has its PSP reference: nothing to claim').to.equal(undefined);
  });

  it('a refund reserves with lockPaymentForOperation (payment, its transactions, the key) then claimAndInsertTransaction', async () => {
    const paid = await env.service.pay(payInput());
    store.calls.length = 0;
    const k = key();
    const reads = sinon.spy(store, 'getIdempotencyRecord');
    const refunded = await env.service.refund({ paymentId: paid.payment.id, amount: '4.00', idempotencyKey: k });
    const [, locked, claimed] = store.calls;
    if (locked?.step !== 'lockPaymentForOperation' || claimed?.step !== 'claimAndInsertTransaction') throw new Error('unreachable');
    expect(locked).to.deep.include({ paymentId: paid.payment.id, key: k });
    expect(locked.result.payment?.version).to.equal(paid.payment.version);
    expect(locked.result.transactions.map((t) => t.id)).to.deep.equal([paid.transaction.id]);
    expect(locked.result.record).to.equal(null);
    expect(claimed.claim).to.deep.include({ key: k });
    expect(claimed.transaction).to.deep.include({ id: refunded.transaction.id, state: 'pending', kind: 'refund', idempotencyKey: k });
    expect(claimed.result).to.deep.equal({ claimed: true });
    expect(reads.callCount, 'only the step read the key: no lookup before it').to.equal(1);
    reads.restore();
  });

  it('a repeated refund is answered from the record lockPaymentForOperation read, before any check and without a claim', async () => {
    const paid = await env.service.pay(payInput());
    const request = { paymentId: paid.payment.id, amount: '10.00', idempotencyKey: key() };
    const first = await env.service.refund(request);
    store.calls.length = 0;
    // All is refunded: the checks would refuse a new refund, but the recorded one answers.
    expect(await env.service.refund(request)).to.deep.equal(first);
    expect(store.steps()).to.deep.equal(['transaction', 'lockPaymentForOperation']);
    expect(await codeOf(env.service.refund({ ...request, amount: '9.00' }))).to.equal('idempotency_key_reused');
  });

  it('a key taken meanwhile answers its record and writes nothing; a key released meanwhile reserves again', async () => {
    const paid = await env.service.pay(payInput());
    const taken = key();
    store.beforeClaim = () => store.transaction(async (tx) => void (await tx.claimIdempotencyKey(taken, 'another request', new Date())));
    expect(await codeOf(env.service.refund({ paymentId: paid.payment.id, amount: '4.00', idempotencyKey: taken }))).to.equal('idempotency_key_reused');
    const claimed = store.calls.find((c) => c.step === 'claimAndInsertTransaction');
    if (claimed?.step !== 'claimAndInsertTransaction') throw new Error('unreachable');
    expect(claimed.result).to.deep.include({ claimed: false });
    expect(await env.service.listTransactions(paid.payment.id)).to.have.length(1);
    store.calls.length = 0;
    store.releasedClaims = 1;
    const refunded = await env.service.refund({ paymentId: paid.payment.id, amount: '4.00', idempotencyKey: key() });
    expectAmount(refunded.payment.capturedAmount, '6');
    expect(store.steps()).to.deep.equal([
      ...['transaction', 'lockPaymentForOperation', 'claimAndInsertTransaction'],
      ...['transaction', 'lockPaymentForOperation', 'claimAndInsertTransaction'],
      ...['transaction', 'lockPaymentAndTransaction', 'settle'],
    ]);
    expect((await env.service.listTransactions(paid.payment.id)).map((t) => t.kind)).to.deep.equal(['capture', 'refund']);
  });

  it('a refund of a missing payment, or over what is captured, writes nothing and leaves the key free', async () => {
    const paid = await env.service.pay(payInput());
    const k = key();
    expect(await codeOf(env.service.refund({ paymentId: 'nope', idempotencyKey: k }))).to.equal('payment_not_found');
    expect(await codeOf(env.service.refund({ paymentId: paid.payment.id, amount: '11.00', idempotencyKey: k }))).to.equal('amount_exceeds');
    expect(store.calls.filter((c) => c.step === 'claimAndInsertTransaction')).to.have.length(0);
    expect(await env.store.getIdempotencyRecord(k)).to.equal(null);
    expect(await env.service.listTransactions(paid.payment.id)).to.have.length(1);
  });
});

/** The same service results on a store with the steps and one without. */
describe('ledger: results with and without the optional store steps', () => {
  async function lifecycle(store: LedgerStore) {
    const env = setup({ store });
    try {
      const paid = await env.service.pay(payInput({ action: 'authorize' }));
      const captured = await env.service.capture({ paymentId: paid.payment.id, amount: '7.00', idempotencyKey: key() });
      const refunded = await env.service.refund({ paymentId: paid.payment.id, amount: '2.00', idempotencyKey: key() });
      const authorized = await env.service.pay(payInput({ action: 'authorize' }));
      const voided = await env.service.void({ paymentId: authorized.payment.id, idempotencyKey: key() });
      const transactions = [...(await env.service.listTransactions(paid.payment.id)), ...(await env.service.listTransactions(authorized.payment.id))];
      const shape = (p: Payment) => ({ chargeStatus: p.chargeStatus, authorized: p.authorizedAmount.toFixed(2), captured: p.capturedAmount.toFixed(2), version: p.version });
      return {
        paid: shape(paid.payment),
        captured: shape(captured.payment),
        refunded: shape(refunded.payment),
        voided: shape(voided.payment),
        transactions: transactions.map((t) => [t.kind, t.state, t.isSuccess, t.amount.toFixed(2)]),
      };
    } finally {
      await env.close();
    }
  }

  it('authorize, partial capture, partial refund; authorize, void: the same payments and transactions', async () => {
    expect(await lifecycle(new StepsStore())).to.deep.equal(await lifecycle(new MemoryLedgerStore()));
  });
});
