import { expect } from 'chai';
import pg from 'pg';
import { PaymentService, isPayhostError, type LedgerStore, type PayhostError, type PluginManager } from '@payhost/core';
import { createPostgresStore } from '@payhost/store-postgres';
import { codeOf, key, makeManager, payInput, rejection } from '../../core/test/ledger/helpers.js';
import { describePostgres } from './support/postgres.js';

/**
 * A refund the processor carried out, whose apply step PostgreSQL then cancelled: the store's connections
 * have a short lock_timeout (`?options=-c lock_timeout=300`, as a role's setting would give them), and
 * another session holds the payment's row FOR UPDATE when the gateway has answered. The refund rejects with
 * store_unavailable (reason lock_timeout), not the driver's raw error; the ledger keeps the refund pending
 * with its amount reserved (no second refund of it), the same key is payment_busy, and once reconciliation
 * has asked the processor, the same key answers the refund, recorded once.
 */
describePostgres('ledger: an apply step PostgreSQL cancelled (lock_timeout) after the processor refunded', ({ url, newSchema, asOwner }) => {
  const schema = newSchema('cancelled_apply');
  let manager: PluginManager;
  let store: LedgerStore;
  let holder: pg.Client | undefined;

  afterEach(async () => {
    await holder?.end().catch(() => undefined);
    await manager.close();
    await store.close();
  });

  it('stays pending with the amount reserved; the same key answers the refund once after reconciliation', async () => {
    const withTimeout = new URL(url);
    withTimeout.searchParams.set('options', '-c lock_timeout=300');
    store = await createPostgresStore({ connectionString: withTimeout.toString(), schema, pool: { max: 4, connectionTimeoutMillis: 5_000 } });
    manager = makeManager();
    let holdOnce = true;
    const service = new PaymentService({
      manager,
      store,
      // A key in flight is payment_busy after a short wait (the default waits 30 s).
      idempotency: { pollMs: 5, maxPollMs: 20, waitTimeoutMs: 200 },
      faults: {
        // The processor has refunded: another session takes the payment's row before the apply step does.
        'after-gateway': async ({ operation, paymentId }) => {
          if (operation !== 'refund' || !holdOnce) return;
          holdOnce = false;
          holder = new pg.Client({ connectionString: url });
          await holder.connect();
          await holder.query('BEGIN');
          await holder.query(`SELECT id FROM "${schema}".payments WHERE id = $1 FOR UPDATE`, [paymentId]);
        },
      },
    });
    const paid = await service.pay(payInput({ total: '10.00' }));
    const paymentId = paid.payment.id;
    const k = key();
    const refund = () => service.refund({ paymentId, idempotencyKey: k, amount: '4.00' });

    const error = await rejection(refund());
    await holder!.query('COMMIT');
    expect(isPayhostError(error, 'store_unavailable'), String(error)).to.equal(true);
    expect((error as PayhostError).details).to.deep.equal({ store: 'postgres', reason: 'lock_timeout' });
    expect((error as PayhostError).message).to.match(/\(SQLSTATE 55P03\): its transaction rolled back; retry later with the same idempotency key$/);

    // Pending, its amount reserved: 6.00 is left to refund, not 10.00.
    const [pending] = (await service.listTransactions(paymentId)).filter((t) => t.kind === 'refund');
    expect(pending).to.include({ state: 'pending' });
    expect(pending!.amount.toFixed(2)).to.equal('4.00');
    expect(await codeOf(service.refund({ paymentId, idempotencyKey: key(), amount: '10.00' }))).to.equal('amount_exceeds');
    expect(await codeOf(refund())).to.equal('payment_busy');

    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.failed, JSON.stringify(report)).to.deep.equal([]);
    const answered = await refund();
    expect(answered.transaction).to.include({ id: pending!.id, kind: 'refund', isSuccess: true });
    expect(answered.payment.capturedAmount.toFixed(2)).to.equal('6.00');
    expect((await refund()).transaction.id).to.equal(pending!.id);
    const refunds = await asOwner(async (c) => (await c.query(`SELECT state FROM "${schema}".transactions WHERE payment_id = $1 AND kind = 'refund'`, [paymentId])).rows);
    expect(refunds).to.deep.equal([{ state: 'applied' }]);
  });
});
