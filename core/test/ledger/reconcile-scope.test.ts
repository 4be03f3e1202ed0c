import { expect } from 'chai';
import sinon from 'sinon';
import { PaymentService, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GatedDummy, key, payInput, setup, type Setup } from './helpers.js';

// A server's start-up pass, before it listens, resolves only what a crash left, within a budget: charges answered
// pending and refunds still ongoing (one gateway call each, maybe for days) wait for its periodic passes.
describe('ledger: reconcile() options settling and budgetMs', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** `count` payments whose charge a crash left pending (before the gateway call), and a service without the crash. */
  async function crashed(count: number) {
    env = setup({ plugin: GatedDummy, faults: { 'after-pending': () => { throw new Error('crash'); } } });
    for (let n = 0; n < count; n++) await env.service.pay(payInput()).catch(() => undefined);
    const rows = await env.store.listPendingTransactions();
    expect(rows).to.have.length(count);
    return { service: new PaymentService({ manager: env.manager, store: env.store }), rows };
  }

  it('settling: false resolves the crash leftover and leaves a charge answered pending unasked and uncounted', async () => {
    const { service, rows } = await crashed(1);
    // A charge the processor answered pending (its process call not crashed).
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (p: PaymentData): Promise<GatewayResponse> => ({
      isSuccess: true, actionRequired: false, error: null, kind: 'pending', amount: p.amount, currency: p.currency, transactionId: 'ch_1',
    }));
    const payment = await env.create();
    const { transaction: pending } = await service.process({ paymentId: payment.id, idempotencyKey: key() });
    const asked = sinon.spy(GatedDummy.prototype, 'getTransactionStatus');
    const askedAbout = () => asked.getCalls().map((c) => (c.args[0] as TransactionStatusInput).transaction.id);

    const startup = await service.reconcile({ minAgeMs: 0, settling: false });
    expect(startup).to.deep.include({ checked: 1, applied: [rows[0]!.id], held: [], skipped: [], failed: [] });
    expect(askedAbout()).to.deep.equal([rows[0]!.id]);
    // The periodic pass (the default) asks about it.
    const periodic = await service.reconcile({ minAgeMs: 0 });
    expect(periodic).to.deep.include({ checked: 1, held: [pending.id] });
    expect(askedAbout()).to.deep.equal([rows[0]!.id, pending.id]);
  });

  it('budgetMs: once spent, the transactions not reached are reported skipped and left pending for the next pass', async () => {
    const { service, rows } = await crashed(3);
    // Each status answer takes 60 ms, and cannot tell.
    const asked: string[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input: TransactionStatusInput) => {
      asked.push(input.transaction.id);
      await new Promise((resolve) => setTimeout(resolve, 60));
      return undefined;
    });
    const report = await service.reconcile({ minAgeMs: 0, budgetMs: 30 });
    // The one in progress when the budget ran out is finished, not cut short.
    expect(report).to.deep.include({ checked: 3, applied: [], review: [rows[0]!.id], skipped: [rows[1]!.id, rows[2]!.id], failed: [] });
    expect(asked).to.deep.equal([rows[0]!.id]);
    expect((await env.store.listPendingTransactions()).map((t) => t.id)).to.deep.equal([rows[1]!.id, rows[2]!.id]);
    // Without a budget, the next pass takes the rest.
    expect((await service.reconcile({ minAgeMs: 0, revisitReview: false })).review).to.deep.equal([rows[1]!.id, rows[2]!.id]);
  });
});
