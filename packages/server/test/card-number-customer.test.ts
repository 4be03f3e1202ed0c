import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, startTestServer, type TestServer } from './support/harness.js';

describe('payment API: a card number in customerId or customerEmail is refused (400 invalid_input, reason card_number), never stored', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  const body = (overrides: Record<string, unknown>) => ({ channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.success, ...overrides });

  it('refuses the values a security review got stored, naming the field, never echoing the number; the key stays free', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ customerEmail: '4111111111111111@example.com' }, 'customerEmail'],
      [{ customerId: '4000056655665556' }, 'customerId'],
      [{ customerId: 'cust-4242 4242 4242 4242' }, 'customerId'],
    ];
    for (const [overrides, field] of cases) {
      const idempotencyKey = key('customer-card');
      const res = await t.request('POST', '/payments', { body: body(overrides), idempotencyKey });
      expect(res.status, field).to.equal(400);
      expect(res.body.code, field).to.equal('invalid_input');
      expect(res.body.details, field).to.deep.equal({ field, reason: 'card_number' });
      expect(res.text, field).to.not.match(/4111|4000056655665556|4242/);
      const fixed = await t.request('POST', '/payments', { body: body({ customerEmail: 'buyer@example.com', customerId: 'cust_1001' }), idempotencyKey });
      expect(fixed.status, field).to.equal(201);
      expect(fixed.body.payment).to.include({ customerEmail: 'buyer@example.com', customerId: 'cust_1001' });
    }
  });

  it('takes ordinary customer ids and addresses (numeric ids failing the Luhn check, UUIDs, long numbers)', async () => {
    for (const customerId of ['4000056655665557', '7b0c5f7e-7d3f-4a0e-9a8c-2f1c3e4d5a6b', '12345678901234567890123', 'cus_NffrFeUfNV2Hib']) {
      const res = await t.request('POST', '/payments', { body: body({ customerId, customerEmail: 'order-1717171717174@example.com' }), idempotencyKey: key('customer-ok') });
      expect(res.status, customerId).to.equal(201);
      expect(res.body.payment.customerId).to.equal(customerId);
    }
  });
});
