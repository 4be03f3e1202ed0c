import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, PaymentService, type PaymentData } from '@payhost/core';
import { GatedDummy, codeOf, key, setup, type Setup } from './helpers.js';
import { answersAs, restoreAfterEach } from './support/pending-charges.js';

// Rows are listed by created_at, each from its instance's clock: with clocks apart, an earlier decline of the
// same gateway transaction id sorts after the later attempt answered pending. No order decides anything: the
// decline settles nothing, and reconciliation asks the gateway (pending-charges.ts).
describe('ledger: two instances with clocks 30 s apart, the decline recorded by the one ahead', () => {
  let env: Setup;
  restoreAfterEach(() => env);
  const answer = answersAs('pi_1');

  it('the later charge answered pending stays pending: reconciliation asks the gateway, which still shows it processing', async () => {
    const answers = [answer('capture', { isSuccess: false, error: 'declined', errorCode: 'declined' }), answer('pending')];
    sinon.stub(GatedDummy.prototype, 'processPayment').callsFake(async (_p: PaymentData) => answers.shift() ?? answer('capture', { transactionId: 'pi_2' }));
    const asked: string[] = [];
    sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(async (input) => {
      asked.push(input.transaction.id);
      return answer('pending');
    });
    const store = new MemoryLedgerStore();
    env = setup({ plugin: GatedDummy, store });
    const ahead = new PaymentService({ manager: env.manager, store, clock: () => new Date(Date.now() + 30_000) });
    const payment = await env.create();
    expect(await codeOf(ahead.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('gateway_declined');
    const second = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(second.payment.chargeStatus).to.equal('pending');
    const listed = await store.listTransactions(payment.id);
    expect(listed.map((t) => t.kind), 'the decline sorts after the pending row').to.deep.equal(['pending', 'capture']);

    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report).to.deep.include({ checked: 1, applied: [], held: [second.transaction.id], failed: [] });
    expect(asked).to.deep.equal([second.transaction.id]);
    expect((await env.service.getPayment(payment.id)).chargeStatus).to.equal('pending');
    expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: key() })), 'no second charge').to.equal('operation_not_allowed');
  });
});
