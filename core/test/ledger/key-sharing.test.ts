import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService } from '@payhost/core';
import { GatedDummy, codeOf, expectAmount, key, payInput, setup, type Setup } from './helpers.js';

/**
 * One process shares a call in flight with the repeats of the same request only (same key, same
 * parameters). A call with other parameters waiting on a key another process holds must not hand its
 * refusal (idempotency_key_reused) to the right request made after it on the same instance: that one
 * gets the stored outcome, as docs/payment-lifecycle.md promises across processes.
 */
describe('ledger: in-flight calls are shared by key and parameters', () => {
  let env: Setup;
  afterEach(async () => {
    GatedDummy.gate.open();
    await env?.close();
  });

  /** A second service on the same store: another process, with its own in-flight calls. */
  function otherInstance(): PaymentService {
    return new PaymentService({ manager: env.manager, store: env.store, idempotency: { pollMs: 1, maxPollMs: 5 } });
  }

  it('pay: a wrong-parameters call does not refuse the right one made after it while another instance holds the key', async () => {
    env = setup({ plugin: GatedDummy, store: new MemoryLedgerStore() });
    const b = otherInstance();
    const request = payInput({ total: '50' });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = env.service.pay(request);
    await arrived;
    const wrong = b.pay({ ...request, total: '51' });
    const right = b.pay({ ...request, total: '50.00' });
    expect(await codeOf(wrong)).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    const [held, replayed] = await Promise.all([first, right]);
    expect(replayed).to.deep.equal(held);
    expect(held.payment.chargeStatus).to.equal('fully-charged');
    // One payment, charged once.
    expect(await env.service.listTransactions(held.payment.id)).to.have.length(1);
  });

  it('capture: the same, for an operation on an existing payment', async () => {
    env = setup({ plugin: GatedDummy, store: new MemoryLedgerStore() });
    const b = otherInstance();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const k = key();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '4.00' });
    await arrived;
    const wrong = b.capture({ paymentId: payment.id, idempotencyKey: k, amount: '5.00' });
    const right = b.capture({ paymentId: payment.id, idempotencyKey: k, amount: '4' });
    expect(await codeOf(wrong)).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    const [held, replayed] = await Promise.all([first, right]);
    expect(replayed).to.deep.equal(held);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '4');
  });

  it('one instance: the wrong call is refused by the key the first call claimed, the right one shares it', async () => {
    env = setup({ plugin: GatedDummy, store: new MemoryLedgerStore() });
    const request = payInput({ total: '50' });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = env.service.pay(request);
    await arrived;
    const wrong = env.service.pay({ ...request, total: '51' });
    const right = env.service.pay(request);
    expect(await codeOf(wrong)).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    const [held, replayed] = await Promise.all([first, right]);
    expect(replayed).to.deep.equal(held);
    expect(await env.service.listTransactions(held.payment.id)).to.have.length(1);
  });
});
