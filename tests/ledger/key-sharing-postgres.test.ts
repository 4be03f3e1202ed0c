import { expect } from 'chai';
import { PaymentService, type LedgerStore, type PluginManager } from '@payhost/core';
import { createPostgresStore } from '@payhost/store-postgres';
import { GatedDummy, codeOf, key, makeManager, payInput } from '../../core/test/ledger/helpers.js';
import { describePostgres } from './support/postgres.js';

/**
 * Two stores on one PostgreSQL schema, a service on each (two instances of a host). A call with the
 * wrong parameters, waiting on a key the other instance holds, must not refuse the right request made
 * after it on the same instance: that one gets the stored outcome (the review's a / b / b repro).
 */
describePostgres('ledger: a retry with the right parameters on an instance where a wrong one is in flight', ({ url, newSchema }) => {
  let manager: PluginManager;
  let stores: LedgerStore[] = [];
  let run = 0;
  let a: PaymentService;
  let b: PaymentService;

  beforeEach(async () => {
    const schema = newSchema(`keyshare_${++run}`);
    const open = (): Promise<LedgerStore> => createPostgresStore({ connectionString: url, schema, pool: { max: 4, connectionTimeoutMillis: 5_000 } });
    // One after the other: the first creates the schema's tables.
    stores = [await open()];
    stores.push(await open());
    manager = makeManager({ plugin: GatedDummy });
    const idempotency = { pollMs: 5, maxPollMs: 20 };
    a = new PaymentService({ manager, store: stores[0] as LedgerStore, idempotency });
    b = new PaymentService({ manager, store: stores[1] as LedgerStore, idempotency });
  });

  afterEach(async () => {
    GatedDummy.gate.open();
    await manager.close();
    for (const store of stores) await store.close();
  });

  it('pay: [ok, idempotency_key_reused, the same ok]', async () => {
    const request = payInput({ total: '50' });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = a.pay(request);
    await arrived;
    const wrong = b.pay({ ...request, total: '51' });
    const right = b.pay(request);
    expect(await codeOf(wrong)).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    const [held, replayed] = await Promise.all([first, right]);
    expect(replayed).to.deep.equal(held);
    expect(held.payment.chargeStatus).to.equal('fully-charged');
    expect(await b.listTransactions(held.payment.id)).to.have.length(1);
  });

  it('refund: the same for an operation on an existing payment', async () => {
    const paid = await a.pay(payInput({ total: '10.00' }));
    const k = key();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const first = a.refund({ paymentId: paid.payment.id, idempotencyKey: k, amount: '3.00' });
    await arrived;
    const wrong = b.refund({ paymentId: paid.payment.id, idempotencyKey: k, amount: '4.00' });
    const right = b.refund({ paymentId: paid.payment.id, idempotencyKey: k, amount: '3' });
    expect(await codeOf(wrong)).to.equal('idempotency_key_reused');
    GatedDummy.gate.open();
    const [held, replayed] = await Promise.all([first, right]);
    expect(replayed).to.deep.equal(held);
    expect((await a.getPayment(paid.payment.id)).capturedAmount.toFixed(2)).to.equal('7.00');
  });
});
