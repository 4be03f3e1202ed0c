import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { call, startCheckoutServer, type CheckoutServer } from './support.js';
import { rawRequest } from '../support/raw-http.js';

/**
 * The public checkout API as HTTP clients and client generators meet it, consistent with the payment
 * API: null for an optional field is absent, one Idempotency-Key header, and an OpenAPI document that
 * lists per route only the statuses it can answer, each described, with the payment read as the named
 * `PaymentWithTransactions`.
 */

type Response = { description?: string; content?: Record<string, { schema: { $ref?: string } }> };
type Schema = { required?: string[] };

const pay = (overrides: Record<string, unknown> = {}) => ({
  channel: 'us-store',
  gateway: 'payhost.dummy',
  amount: '25.00',
  currency: 'USD',
  token: 'tok_dummy_success.visa.4242.12.2034',
  ...overrides,
});

describe('checkout API: as HTTP clients and the OpenAPI document meet it', () => {
  let server: CheckoutServer;
  const post = (path: string, body: unknown, idempotencyKey: string = randomUUID(), headers: Record<string, string> = {}) => call(server.url, 'POST', path, { body, idempotencyKey, headers });

  before(async () => {
    server = await startCheckoutServer();
  });
  after(async () => {
    await server?.close();
  });

  describe('optional fields sent as null', () => {
    it('POST /checkout/api/payments takes a null gateway and nameOnCard as absent, and a retry without them replays it', async () => {
      const key = randomUUID();
      const created = await post('/checkout/api/payments', pay({ gateway: null, nameOnCard: null }), key);
      expect(created.status, created.text).to.equal(201);
      expect(created.body.payment).to.include({ gateway: 'payhost.dummy', chargeStatus: 'fully-charged' });
      const retried = await post('/checkout/api/payments', pay({ gateway: undefined }), key);
      expect(retried.status, retried.text).to.equal(201);
      expect(retried.body.transaction.id).to.equal(created.body.transaction.id);
    });

    it('still refuses null for a required field and for a field the body does not have', async () => {
      const refused: Array<[Record<string, unknown>, string, Record<string, string>]> = [
        [pay({ token: null }), 'Invalid body.token: must be string', { in: 'body', field: 'token', keyword: 'type' }],
        [pay({ amount: null }), 'Invalid body.amount: must be a decimal amount as a string, such as "10.00" (at most 15 digits before the point and 4 after, no sign)', { in: 'body', field: 'amount', keyword: 'type' }],
        [pay({ customerId: null }), 'Invalid body: unknown field "customerId"', { in: 'body', field: 'customerId', keyword: 'additionalProperties' }],
      ];
      for (const [body, message, details] of refused) {
        const res = await post('/checkout/api/payments', body);
        expect([res.status, res.body], JSON.stringify(body)).to.deep.equal([400, { code: 'invalid_input', message, details }]);
      }
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      const confirm = await post(`/checkout/api/payments/${created.body.payment.id}/confirm`, { data: null });
      expect(confirm.body).to.deep.equal({ code: 'invalid_input', message: 'Invalid body: unknown field "data"', details: { in: 'body', field: 'data', keyword: 'additionalProperties' } });
    });
  });

  describe('one Idempotency-Key', () => {
    const SEND_ONE = { code: 'invalid_input', message: 'Send one Idempotency-Key header: this request has several (or one with values joined by ", ")', details: { in: 'headers', field: 'idempotency-key', reason: 'several_keys' } };

    it('two values joined by ", " (as fetch sends two) are refused on pay, confirm and cancel, and nothing is charged', async () => {
      const created = await post('/checkout/api/payments', pay({ token: 'tok_dummy_3ds' }));
      const id = created.body.payment.id as string;
      const joined = `${randomUUID()}, ${randomUUID()}`;
      for (const path of ['/checkout/api/payments', `/checkout/api/payments/${id}/confirm`, `/checkout/api/payments/${id}/cancel`]) {
        const res = await post(path, path === '/checkout/api/payments' ? pay() : {}, joined);
        expect([res.status, res.body], path).to.deep.equal([400, SEND_ONE]);
      }
      expect((await call(server.url, 'GET', `/checkout/api/payments/${id}`)).body.payment).to.include({ toConfirm: true, chargeStatus: 'not-charged' });
    });

    it('two header lines are refused the same way', async () => {
      const body = JSON.stringify(pay());
      const { host } = new URL(server.url);
      const res = await rawRequest(
        server.url,
        `POST /checkout/api/payments HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nIdempotency-Key: ${randomUUID()}\r\nIdempotency-Key: ${randomUUID()}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect([res.status, res.body]).to.deep.equal([400, SEND_ONE]);
    });
  });

  describe('/openapi.json', () => {
    let doc: { paths: Record<string, Record<string, { responses: Record<string, Response> }>>; components: { schemas: Record<string, Schema> } };
    before(async () => {
      doc = (await call(server.url, 'GET', '/openapi.json')).body;
    });
    const responses = (path: string, method: string) => doc.paths[path]![method]!.responses;
    const statuses = (path: string, method: string) => Object.keys(responses(path, method)).sort();
    // 429: the checkout's POSTs are rate limited per client address (server.checkoutRateLimitMax).
    const OPERATION = ['400', '402', '404', '409', '413', '415', '422', '429', '500', '502', '503', '504'];

    it('lists per checkout route only the statuses it can answer (no 401: it takes no key; a read no 409, 422, 429, 502 or 504)', () => {
      expect(statuses('/checkout/api/channels', 'get')).to.deep.equal(['200', '500', '503']);
      expect(statuses('/checkout/api/channels/{channel}/gateways', 'get')).to.deep.equal(['200', '400', '404', '500', '503']);
      expect(statuses('/checkout/api/payments', 'post')).to.deep.equal(['201', ...OPERATION]);
      expect(statuses('/checkout/api/payments/{id}/confirm', 'post')).to.deep.equal(['200', ...OPERATION]);
      expect(statuses('/checkout/api/payments/{id}/cancel', 'post')).to.deep.equal(['200', ...OPERATION]);
      expect(statuses('/checkout/api/payments/{id}', 'get')).to.deep.equal(['200', '400', '404', '500', '503']);
    });

    it('describes every checkout response, 402 and the 404 of a payment the checkout did not create included', () => {
      const undescribed: string[] = [];
      for (const [path, item] of Object.entries(doc.paths).filter(([path]) => path.startsWith('/checkout/api/'))) {
        for (const [method, operation] of Object.entries(item)) {
          for (const [status, response] of Object.entries(operation.responses)) {
            if (!response.description || response.description === 'Default Response') undescribed.push(`${method} ${path} ${status}`);
          }
        }
      }
      expect(undescribed).to.deep.equal([]);
      expect(responses('/checkout/api/payments', 'post')['402']!.description).to.include('gateway_declined');
      expect(responses('/checkout/api/payments/{id}/cancel', 'post')['404']!.description).to.include('payment_not_found').and.include('did not create');
      expect(responses('/checkout/api/payments/{id}', 'get')['404']!.description).to.include('did not create');
    });

    it('answers a payment read as the named PaymentWithTransactions, every required field written', async () => {
      expect(responses('/checkout/api/payments/{id}', 'get')['200']!.content!['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/PaymentWithTransactions' });
      const { Payment, Transaction } = doc.components.schemas;
      const declined = await post('/checkout/api/payments', pay({ token: 'tok_dummy_declined' }));
      const read = await call(server.url, 'GET', `/checkout/api/payments/${declined.body.details.paymentId}`);
      expect(read.status).to.equal(200);
      expect(Object.keys(read.body).sort()).to.deep.equal(['payment', 'transactions']);
      expect(Payment!.required!.filter((name) => !(name in read.body.payment))).to.deep.equal([]);
      expect(read.body.transactions).to.have.length(1);
      expect(Transaction!.required!.filter((name) => !(name in read.body.transactions[0]))).to.deep.equal([]);
    });
  });
});
