import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, leakingLines, startTestServer, type TestServer } from './support/harness.js';

/** Card numbers as they reached the payment API in a security review, and each field that held one. */
const FULL_WIDTH = '４２４２４２４２４２４２４２４２';
const SENT_NUMBERS = ['4242424242424242', FULL_WIDTH, '5555555555554444', '4111111111111111', '4000056655665556'];

describe('payment API: a card number in a token, metadata, data, customerId or customerEmail is refused (400 invalid_input, reason card_number), never stored', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  const body = (overrides: Record<string, unknown>) => ({ channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success, ...overrides });

  it('refuses each (token, metadata, data, customerId, customerEmail), says which field, never echoes the number; the key stays free for a corrected request; ids and order numbers pass', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ token: 'tok_dummy_success.visa.4242424242424242.12.2034' }, 'token'],
      [{ token: 'x4242424242424242' }, 'token'],
      [{ token: FULL_WIDTH }, 'token'],
      [{ metadata: { note: 'card 4242 4242 4242 4242 exp 12/30' } }, 'metadata.note'],
      [{ metadata: { order: { lines: ['5555-5555-5555-4444'] } } }, 'metadata.order.lines[0]'],
      [{ data: { nameOnCard: '4242424242424242' } }, 'data.nameOnCard'],
      [{ customerEmail: '4111111111111111@example.com' }, 'customerEmail'],
      [{ customerId: '4000056655665556' }, 'customerId'],
      [{ customerId: 'cust-4242 4242 4242 4242' }, 'customerId'],
    ];
    for (const [overrides, field] of cases) {
      const idempotencyKey = key('card');
      const res = await t.request('POST', '/payments', { body: body(overrides), idempotencyKey });
      expect(res.status, field).to.equal(400);
      expect(res.body.code, field).to.equal('invalid_input');
      expect(res.body.details, field).to.deep.equal({ field, reason: 'card_number' });
      expect(res.body.message, field).to.match(/looks like a card number/);
      for (const number of SENT_NUMBERS) expect(res.text, field).to.not.include(number);
      expect(res.text, field).to.not.match(/4242|5555/);
      // Nothing was recorded under the key: the corrected request goes through with it.
      const fixed = await t.request('POST', '/payments', { body: body({ metadata: { note: 'card ending 4242' } }), idempotencyKey });
      expect(fixed.status, field).to.equal(201);
      const stored = await t.request('GET', `/payments/${fixed.body.payment.id}`);
      expect(stored.body.payment.metadata).to.deep.equal({ note: 'card ending 4242' });
    }
    // Processor ids, long order numbers failing the Luhn check and timestamps are taken.
    const metadata = { pm: 'pm_1NqFjK2eZvKYlo2C0Jx4R2Qb', rzp: 'pay_29QQoUBi66xm2f', flw: 'FLW-MOCK-539111aa4a9ad9d14ae1d5cbe8ad2c6e', order: 'ORD-4242424242424241', at: '1717171717174', ref: 'MC-1585230950502' };
    const res = await t.request('POST', '/payments', { body: body({ metadata, data: { nameOnCard: 'Ada Lovelace' } }), idempotencyKey: key('ok') });
    expect(res.status).to.equal(201);
    expect(res.body.payment.metadata).to.deep.equal(metadata);
  });

  it('takes ordinary customer ids and addresses (numeric ids failing the Luhn check, UUIDs, long numbers)', async () => {
    for (const customerId of ['4000056655665557', '7b0c5f7e-7d3f-4a0e-9a8c-2f1c3e4d5a6b', '12345678901234567890123', 'cus_NffrFeUfNV2Hib']) {
      const res = await t.request('POST', '/payments', { body: body({ customerId, customerEmail: 'order-1717171717174@example.com' }), idempotencyKey: key('customer-ok') });
      expect(res.status, customerId).to.equal(201);
      expect(res.body.payment).to.include({ customerId, customerEmail: 'order-1717171717174@example.com' });
    }
  });
  it("refuses confirm's data holding a card number, and the payment still waits for its confirmation", async () => {
    const created = await t.request('POST', '/payments', { body: body({ token: DUMMY_TOKENS.threeDSecure }), idempotencyKey: key('3ds') });
    expect(created.status).to.equal(201);
    const id: string = created.body.payment.id;
    const refused = await t.request('POST', `/payments/${id}/confirm`, { body: { data: { note: 'retry with 4242424242424242' } }, idempotencyKey: key('confirm') });
    expect(refused.status).to.equal(400);
    expect(refused.body.details).to.deep.equal({ field: 'data.note', reason: 'card_number' });
    const confirmed = await t.request('POST', `/payments/${id}/confirm`, { body: { data: { note: 'ok' } }, idempotencyKey: key('confirm') });
    expect(confirmed.status).to.equal(200);
    expect(confirmed.body.transaction.isSuccess).to.equal(true);
    // This test runs last: no request of this file wrote a number it sent to a log line.
    expect(t.logs.length).to.be.greaterThan(5);
    expect(leakingLines(t.logs, SENT_NUMBERS)).to.deep.equal([]);
  });
});
