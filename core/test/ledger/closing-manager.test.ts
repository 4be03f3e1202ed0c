import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, type FaultHooks } from '@payhost/core';
import { CHANNEL, codeOf, key, makeManager, payInput } from './helpers.js';

/**
 * A manager closed while an operation of the ledger is between its reserve step and its gateway call
 * refuses the call (shutting_down): the key must not keep that refusal, or its retry on an instance
 * that is up would replay it forever.
 */
describe('ledger: an operation caught by its manager closing', () => {
  it('pay: refused with shutting_down, recorded as a failed attempt, and the same key then pays on another manager', async () => {
    const store = new MemoryLedgerStore();
    const first = makeManager();
    // Closes the manager after the payment and its pending transaction are written, before the gateway call.
    const faults: FaultHooks = { 'after-pending': () => first.close() };
    const closing = new PaymentService({ manager: first, store, faults });
    const request = payInput();
    expect(await codeOf(closing.pay(request))).to.equal('shutting_down');
    expect(await store.getIdempotencyRecord(request.idempotencyKey), 'the key is free again').to.equal(null);

    const second = makeManager();
    const up = new PaymentService({ manager: second, store });
    try {
      const retried = await up.pay(request);
      expect(retried.payment.chargeStatus).to.equal('fully-charged');
      // A replay now answers the success.
      expect(await up.pay(request)).to.deep.equal(retried);
    } finally {
      await second.close();
    }
  });

  it('refund: the failed attempt keeps nothing reserved, and the retry with the same key refunds', async () => {
    const store = new MemoryLedgerStore();
    const payer = makeManager();
    const paid = await new PaymentService({ manager: payer, store }).pay(payInput());
    await payer.close();
    const first = makeManager();
    const closing = new PaymentService({ manager: first, store, faults: { 'after-pending': () => first.close() } });
    const refundKey = key();
    expect(await codeOf(closing.refund({ paymentId: paid.payment.id, idempotencyKey: refundKey, amount: '10.00' }))).to.equal('shutting_down');
    const [, failed] = await store.listTransactions(paid.payment.id);
    expect(failed).to.deep.include({ kind: 'refund', state: 'applied', isSuccess: false });

    const second = makeManager();
    try {
      const refunded = await new PaymentService({ manager: second, store }).refund({ paymentId: paid.payment.id, idempotencyKey: refundKey, amount: '10.00' });
      expect(refunded.payment.chargeStatus).to.equal('fully-refunded');
      expect(refunded.payment.channel).to.equal(CHANNEL);
    } finally {
      await second.close();
    }
  });
});
