import { expect } from 'chai';
import sinon from 'sinon';
import { MIGRATIONS, createPgliteStore, runMigrations, type SqlLedgerStore } from '@payhost/store-postgres';
import { CHANNEL, DUMMY_TOKENS, GATEWAY, GatedDummy, expectAmount, key, setup } from '../../core/test/ledger/helpers.js';
import { uid } from './fixtures.js';

/**
 * Migration 9 adds payments.billing, .shipping (jsonb) and .customer_ip_address (text), nullable: a ledger
 * upgraded from version 8 keeps its payments as they were, reads them with none of the three, and later
 * operations on them send null in PaymentData, as before.
 */
describe('store-postgres: migration 9 (payment addresses and customer IP address) on a version 8 ledger', function () {
  this.timeout(60_000);
  let store: SqlLedgerStore | undefined;
  afterEach(async () => {
    sinon.restore();
    await store?.close();
  });

  it('keeps the payments made before it, with null addresses and IP address, and operations on them go on', async () => {
    expect(MIGRATIONS).to.have.length(9);
    expect(MIGRATIONS[8]).to.match(/^\s*ALTER TABLE payments ADD COLUMN billing jsonb, ADD COLUMN shipping jsonb, ADD COLUMN customer_ip_address text;\s*$/);
    store = await createPgliteStore({ migrate: false });
    expect(await runMigrations(store.driver, { migrations: MIGRATIONS.slice(0, 8) })).to.equal(8);
    // A payment as version 8 wrote it (its columns only).
    const id = uid('pay');
    await store.driver.session((c) =>
      c.query(
        `INSERT INTO payments (id, channel, gateway, charge_status, total, authorized_amount, captured_amount, currency, customer_id, customer_email,
           token, psp_reference, to_confirm, is_active, store_payment_method, metadata, created_at, updated_at, version)
         VALUES ($1, $2, $3, 'not-charged', '25.50', '0', '0', 'USD', NULL, 'old@example.com', $4, NULL, false, true, false, '{"orderId":"o-8"}'::jsonb, now(), now(), 1)`,
        [id, CHANNEL, GATEWAY, DUMMY_TOKENS.success],
      ),
    );

    expect(await runMigrations(store.driver)).to.equal(9);
    const read = await store.getPayment(id);
    expect(read).to.deep.include({ billing: null, shipping: null, customerIpAddress: null, customerEmail: 'old@example.com', metadata: { orderId: 'o-8' }, version: 1 });
    expectAmount(read!.total, '25.50');

    const seen: Array<[string, unknown, unknown, unknown]> = [];
    for (const hook of ['processPayment', 'refundPayment'] as const) {
      const original = GatedDummy.prototype[hook];
      sinon.stub(GatedDummy.prototype, hook).callsFake(function (this: GatedDummy, p, previous) {
        seen.push([hook, p.billing, p.shipping, p.customerIpAddress]);
        return original.call(this, p, previous);
      });
    }
    const env = setup({ store, plugin: GatedDummy });
    try {
      expect((await env.service.process({ paymentId: id, idempotencyKey: key() })).payment.chargeStatus).to.equal('fully-charged');
      expect((await env.service.refund({ paymentId: id, idempotencyKey: key(), amount: '5.50' })).payment.chargeStatus).to.equal('partially-refunded');
      // A new payment on the upgraded ledger keeps what it is given.
      const { payment } = await env.service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '1.00', currency: 'USD', token: DUMMY_TOKENS.success, billing: { postalCode: '10001' }, customerIpAddress: '198.51.100.7' });
      expect((await store.getPayment(payment.id))?.billing?.postalCode).to.equal('10001');
      expect((await store.getPayment(payment.id))?.customerIpAddress).to.equal('198.51.100.7');
    } finally {
      await env.close();
    }
    expect(seen).to.deep.equal([
      ['processPayment', null, null, null],
      ['refundPayment', null, null, null],
      ['processPayment', { firstName: '', lastName: '', companyName: '', streetAddress1: '', streetAddress2: '', city: '', cityArea: '', postalCode: '10001', country: '', countryArea: '', phone: '' }, null, '198.51.100.7'],
    ]);
  });
});
