import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { ADMIN_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The server on PostgreSQL with a short lock_timeout for its connections (here `?options=-c lock_timeout=300`
 * in DATABASE_URL, as a role's setting would give it), while another session holds the payment's row FOR
 * UPDATE: the refund answers 503 store_unavailable (details.reason lock_timeout, retry with the same key),
 * logged as `ledger database unavailable`, not 500 internal_error logged as `unhandled error`. Once the row
 * is free, the same key refunds, once.
 */
describePostgres('server: PostgreSQL cancels a statement (lock_timeout)', (pgc) => {
  const schema = pgc.newSchema('cancelled_server');
  let server: TestServer | undefined;
  let holder: pg.Client | undefined;

  after(async () => {
    await holder?.end().catch(() => undefined);
    await server?.close();
  });

  it('answers 503 store_unavailable (reason lock_timeout), logs it as the database unavailable; the same key refunds once the row is free', async () => {
    const url = new URL(pgc.url);
    url.searchParams.set('options', '-c lock_timeout=300');
    const base = testConfigDocument({ pluginSettingsPollMs: 3_600_000 });
    server = await startServer({ ...base, server: { ...(base['server'] as object), databaseSchema: schema } }, { DATABASE_URL: url.toString() });
    const paid = await server.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success }, idempotencyKey: randomUUID() });
    expect(paid.status, paid.text).to.equal(201);
    const paymentId = paid.body.payment.id as string;

    holder = new pg.Client({ connectionString: pgc.url });
    await holder.connect();
    await holder.query('BEGIN');
    expect((await holder.query(`SELECT id FROM "${schema}".payments WHERE id = $1 FOR UPDATE`, [paymentId])).rows).to.have.length(1);
    const key = randomUUID();
    const refund = () => server!.request('POST', `/payments/${paymentId}/refund`, { body: { amount: '4.00' }, idempotencyKey: key });
    const refused = await refund();
    await holder.query('COMMIT');
    expect(refused.status, refused.text).to.equal(503);
    expect(refused.body).to.deep.include({ code: 'store_unavailable', details: { store: 'postgres', reason: 'lock_timeout' } });
    expect(refused.body.message).to.equal(
      'The ledger database (postgres) cancelled a statement waiting for a lock another session holds (lock_timeout) (SQLSTATE 55P03): its transaction rolled back; retry later with the same idempotency key',
    );
    const logged = server.logs.map((line) => JSON.parse(line) as { msg: string; err?: { message?: string; code?: string } });
    expect(logged.filter((line) => line.msg === 'unhandled error')).to.deep.equal([]);
    expect(logged.filter((line) => line.msg === 'ledger database unavailable').map((line) => line.err?.code)).to.include('55P03');

    const refunded = await refund();
    expect(refunded.status, refunded.text).to.equal(200);
    expect(refunded.body.payment.capturedAmount).to.equal('6.00');
    const again = await refund();
    expect(again.body).to.deep.equal(refunded.body);
    const refunds = await pgc.asOwner(async (c) => (await c.query(`SELECT amount::text AS amount, state FROM "${schema}".transactions WHERE payment_id = $1 AND kind = 'refund'`, [paymentId])).rows);
    expect(refunds).to.deep.equal([{ amount: '4', state: 'applied' }]);

    // An admin change cancelled the same way says the database cancelled it, not that it refuses writes.
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE "${schema}".plugin_settings IN ACCESS EXCLUSIVE MODE`);
    const adminChange = await server.request('PUT', '/admin/channels/us-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { active: false } });
    await holder.query('COMMIT');
    expect(adminChange.status, adminChange.text).to.equal(503);
    expect(adminChange.body).to.deep.include({
      code: 'store_unavailable',
      message: 'Plugin configuration not changed: the ledger database cancelled the write (lock_timeout) to save the change; retry it later (GET the configuration first)',
      details: { plugin: 'payhost.dummy', channel: 'us-store', reason: 'lock_timeout', store: 'postgres' },
    });
  });
});
