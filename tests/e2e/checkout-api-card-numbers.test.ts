import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { call, startCheckoutServer, type CheckoutServer } from './support.js';

const pay = (overrides: Record<string, unknown> = {}) => ({
  channel: 'us-store',
  gateway: 'payhost.dummy',
  amount: '25.00',
  currency: 'USD',
  token: 'tok_dummy_success.visa.4242.12.2034',
  ...overrides,
});

describe('checkout API: a card number in the token or nameOnCard is refused (400 invalid_input, reason card_number)', () => {
  let server: CheckoutServer;
  const post = (body: unknown, idempotencyKey: string) => call(server.url, 'POST', '/checkout/api/payments', { body, idempotencyKey });

  before(async () => {
    server = await startCheckoutServer();
  });
  after(async () => {
    await server?.close();
  });

  it('refuses a token or a name holding one, without echoing it; the same key then takes the corrected payment; tokens with last 4 digits pass', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ token: 'tok_dummy_success.visa.4242424242424242.12.2034' }, 'token'],
      [{ token: 'x4242424242424242' }, 'token'],
      [{ token: '４２４２４２４２４２４２４２４２' }, 'token'],
      [{ nameOnCard: '4242424242424242' }, 'nameOnCard'],
      [{ nameOnCard: 'Ada 4242 4242 4242 4242' }, 'nameOnCard'],
    ];
    for (const [overrides, field] of cases) {
      const key = randomUUID();
      const refused = await post(pay(overrides), key);
      expect(refused.status, field).to.equal(400);
      expect(refused.body.code, field).to.equal('invalid_input');
      expect(refused.body.details, field).to.deep.equal({ field, reason: 'card_number' });
      expect(refused.body.message, field).to.match(/looks like a card number/);
      expect(refused.text, field).to.not.match(/4242|[\uff10-\uff19]/);
      const paid = await post(pay({ nameOnCard: 'Ada Lovelace' }), key);
      expect(paid.status, field).to.equal(201);
      expect(paid.body.transaction.isSuccess, field).to.equal(true);
    }
    // The dummy's tokens (brand, last 4 digits, expiry) and names with digits that are not a card number pass.
    for (const body of [pay(), pay({ token: 'tok_dummy_success' }), pay({ nameOnCard: 'Ada Lovelace 4242' }), pay({ nameOnCard: 'Order 4242424242424241' })]) {
      const paid = await post(body, randomUUID());
      expect(paid.status, JSON.stringify(body)).to.equal(201);
    }
  });
});
