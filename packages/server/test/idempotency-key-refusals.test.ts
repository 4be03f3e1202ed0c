import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { rawRequest } from '../../../tests/support/raw-http.js';
import { key, PAYMENT_KEY, startTestServer, type TestServer } from './support/harness.js';

/**
 * The payment API's refusals of an Idempotency-Key carry `details` a program can match on, as the
 * schema's refusals do (`in`, `field`, and a `reason`: several_keys, reserved_prefix), and a key
 * holding a card number is refused as the checkout's is (the key is stored in the ledger).
 */
describe("server: the payment API's Idempotency-Key refusals", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  const payment = { channel: 'us-store', amount: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };

  it('two keys (two header lines, or one joined): details { in: headers, field: idempotency-key, reason: several_keys }', async () => {
    const details = { in: 'headers', field: 'idempotency-key', reason: 'several_keys' };
    const body = JSON.stringify(payment);
    const twoLines = await rawRequest(
      t.url,
      `POST /payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nIdempotency-Key: first-key-0001\r\nIdempotency-Key: second-key-0002\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(twoLines.status).to.equal(400);
    expect((twoLines.body as { details?: unknown }).details).to.deep.equal(details);
    const joined = await t.request('POST', '/payments', { body: payment, headers: { 'idempotency-key': 'first-key-0001, second-key-0002' } });
    expect([joined.status, joined.body.code, joined.body.details]).to.deep.equal([400, 'invalid_input', details]);
  });

  it('a key in the checkout\'s namespace: details { in: headers, field: idempotency-key, reason: reserved_prefix }', async () => {
    const res = await t.request('POST', '/payments', { body: payment, idempotencyKey: 'checkout:abcdefgh' });
    expect([res.status, res.body.code], res.text).to.deep.equal([400, 'invalid_input']);
    expect(res.body.details).to.deep.equal({ in: 'headers', field: 'idempotency-key', reason: 'reserved_prefix' });
  });

  it('a key holding a card number: refused as the checkout refuses one (reason card_number), nothing recorded, the number never echoed', async () => {
    for (const cardKey of ['4242424242424242', 'order-4242-4242-4242-4242']) {
      const res = await t.request('POST', '/payments', { body: payment, idempotencyKey: cardKey });
      expect([res.status, res.body.code], `${cardKey}: ${res.text}`).to.deep.equal([400, 'invalid_input']);
      expect(res.body.details, cardKey).to.deep.equal({ field: 'idempotency-key', reason: 'card_number' });
      expect(res.text).to.not.include('4242424242424242').and.not.include('4242-4242');
      expect(await t.server.store.getIdempotencyRecord(cardKey)).to.equal(null);
    }
    expect(t.logs.filter((line) => line.includes('4242424242424242') || line.includes('4242-4242'))).to.deep.equal([]);
    // On a follow-up too; a key that is not a card number goes through.
    const paid = await t.request('POST', '/payments', { body: payment, idempotencyKey: key('card-free') });
    expect(paid.status, paid.text).to.equal(201);
    const refund = await t.request('POST', `/payments/${paid.body.payment.id as string}/refund`, { idempotencyKey: '4242424242424242' });
    expect([refund.status, refund.body.details?.reason]).to.deep.equal([400, 'card_number']);
  });
});
