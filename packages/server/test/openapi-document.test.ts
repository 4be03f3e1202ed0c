import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { CHARGE_STATUSES, MemoryLedgerStore, REVIEW_REASONS, TRANSACTION_ERROR_CODES, TRANSACTION_KINDS, TRANSACTION_STATES } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { ADMIN_KEY, key, startServer, startTestServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The OpenAPI document as a client generator reads it: named schemas with their required fields and
 * enums (core's lists), a description for every response, per route only the statuses it can answer,
 * and 405 described. The server's real answers fit the schemas it publishes.
 */

type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  additionalProperties?: boolean | Schema;
};
type Operation = {
  operationId?: string;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Schema }> }>;
};
type Document = {
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses?: Record<string, { description: string; headers?: Record<string, unknown>; content: Record<string, { schema: Schema }> }> };
};

/**
 * The problems of `value` against an OpenAPI 3.0 schema (the subset the document uses: $ref, type,
 * nullable, required, properties, items, enum); [] when it fits.
 */
function misfits(doc: Document, schema: Schema, value: unknown, at = '$'): string[] {
  if (schema.$ref) return misfits(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!, value, at);
  if (value === null) return schema.nullable ? [] : [`${at} is null`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of the enum`];
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type && schema.type !== actual && !(schema.type === 'number' && actual === 'integer')) return [`${at} is ${actual}, not ${schema.type}`];
  const problems: string[] = [];
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...misfits(doc, schema.items!, item, `${at}[${i}]`)));
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${at}.${name} is missing`);
    for (const [name, property] of Object.entries(schema.properties ?? {})) if (name in object) problems.push(...misfits(doc, property, object[name], `${at}.${name}`));
  }
  return problems;
}

describe('server: the OpenAPI document, as a client generator reads it', () => {
  let t: TestServer;
  let doc: Document;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
    doc = (await t.request('GET', '/openapi.json', { key: null })).body;
  });
  after(() => t.close());

  const responseSchema = (path: string, method: string, status: string): Schema => doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema;

  it('names its schemas by their $id (no def-0, def-1), and refers to them by name', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).to.include.members(['Error', 'Payment', 'Transaction', 'PaymentResult', 'PaymentWithTransactions', 'ReviewItem', 'PaymentGateway', 'PluginConfiguration']);
    expect(names.filter((name) => /^def-\d+$/.test(name))).to.deep.equal([]);
    expect(responseSchema('/payments', 'post', '201')).to.deep.equal({ $ref: '#/components/schemas/PaymentResult' });
    expect(responseSchema('/payments/{id}', 'get', '200')).to.deep.equal({ $ref: '#/components/schemas/PaymentWithTransactions' });
    expect(responseSchema('/payments/{id}', 'get', '404')).to.deep.equal({ $ref: '#/components/schemas/Error' });
  });

  it('requires every field of Payment and Transaction, with the enums of core (charge status, kind, state, error code)', () => {
    const { Payment, Transaction, PaymentResult, PaymentWithTransactions, ReviewItem } = doc.components.schemas;
    expect([...Payment!.required!].sort()).to.deep.equal(Object.keys(Payment!.properties!).sort());
    expect([...Transaction!.required!].sort()).to.deep.equal(Object.keys(Transaction!.properties!).sort());
    expect(Payment!.properties!['chargeStatus']!.enum).to.deep.equal([...CHARGE_STATUSES]);
    expect(Transaction!.properties!['kind']!.enum).to.deep.equal([...TRANSACTION_KINDS]);
    expect(Transaction!.properties!['state']!.enum).to.deep.equal([...TRANSACTION_STATES]);
    expect(Transaction!.properties!['errorCode']).to.deep.include({ nullable: true, enum: [...TRANSACTION_ERROR_CODES, null] });
    expect(PaymentResult!.required).to.deep.equal(['payment', 'transaction']);
    expect(PaymentWithTransactions!.required).to.deep.equal(['payment', 'transactions']);
    expect(ReviewItem!.required).to.deep.equal(['payment', 'transaction', 'reason', 'gatewayIdempotencyKey']);
    expect(ReviewItem!.properties!['reason']!.enum).to.deep.equal([...REVIEW_REASONS]);
  });

  it('describes every response (no "Default Response")', () => {
    const undescribed: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!response.description || response.description === 'Default Response') undescribed.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(undescribed).to.deep.equal([]);
    expect(doc.paths['/payments/{id}']!['get']!.responses['404']!.description).to.include('payment_not_found');
  });

  it('lists per route only the statuses it can answer: a read never 409, 422, 502 or 504', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]![method]!.responses).sort();
    expect(statuses('/payments/{id}', 'get')).to.deep.equal(['200', '400', '401', '404', '500', '503']);
    expect(statuses('/admin/review', 'get')).to.deep.equal(['200', '400', '401', '500', '503']);
    expect(statuses('/channels/{channel}/gateways', 'get')).to.deep.equal(['200', '400', '401', '404', '500', '503']);
    expect(statuses('/admin/global/plugins/{plugin}', 'get')).to.deep.equal(['200', '400', '401', '404', '500', '503']);
    expect(statuses('/admin/global/plugins/{plugin}', 'put')).to.deep.equal(['200', '400', '401', '404', '412', '413', '415', '500', '502', '503']);
    expect(statuses('/admin/review/{transactionId}', 'post')).to.deep.equal(['200', '400', '401', '404', '409', '413', '415', '500', '503']);
    // An operation that calls a gateway can answer all of them.
    expect(statuses('/payments/{id}/refund', 'post')).to.deep.equal(['200', '400', '401', '402', '404', '409', '413', '415', '422', '500', '502', '503', '504']);
  });

  it('names every operation (operationId), each name once, the checkout API\'s included', async () => {
    const document = testConfigDocument();
    const withCheckout = await startServer({ ...document, server: { ...(document['server'] as object), checkout: true } }, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
    let full: Document;
    try {
      full = (await withCheckout.request('GET', '/openapi.json', { key: null })).body as Document;
    } finally {
      await withCheckout.close();
    }
    const ids = Object.values(full.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
    expect(ids).to.include.members(['checkoutCreatePayment', 'checkoutConfirmPayment', 'checkoutCancelPayment', 'checkoutGetPayment']);
    expect(ids.length).to.be.at.least(28);
    expect(ids.filter((id) => typeof id !== 'string' || id === '')).to.deep.equal([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).to.deep.equal([]);
    expect(doc.paths['/payments']!['post']!.operationId).to.equal('createPayment');
    expect(doc.paths['/payments/{id}/capture']!['post']!.operationId).to.equal('capturePayment');
  });

  it('describes an operation\'s answer as the snapshot a replay repeats, not the payment now', () => {
    for (const [path, method] of [['/payments', 'post'], ['/payments/{id}/refund', 'post']] as const) {
      const description = doc.paths[path]![method]!.responses[path === '/payments' ? '201' : '200']!.description;
      expect(description, path).to.include('same Idempotency-Key').and.include('GET /payments/{id}');
      expect(description, path).not.to.include('as it is now');
    }
  });

  it("webhook routes: the server's refusals with the Error schema, 409 and 500 included, the 404 naming payment_not_found", () => {
    for (const path of ['/plugins/channel/{channel}/{plugin}/{subpath}', '/plugins/global/{plugin}/{subpath}']) {
      const responses = doc.paths[path]!['post']!.responses;
      expect(Object.keys(responses).sort(), path).to.deep.equal(['200', '400', '404', '409', '413', '500', '503']);
      for (const status of ['400', '404', '409', '413', '500', '503']) expect(responseSchema(path, 'post', status), `${path} ${status}`).to.deep.equal({ $ref: '#/components/schemas/Error' });
      expect(responses['404']!.description).to.include('payment_not_found').and.include('unknown_plugin');
      expect(responses['409']!.description).to.include('payment_busy');
    }
  });

  it('names every path parameter as a client generator can (the webhook wildcard is {subpath}, not {*}), each declared', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const named = [...path.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!);
      for (const name of named) expect(name, path).to.match(/^[A-Za-z][A-Za-z0-9_]*$/);
      for (const [method, operation] of Object.entries(item)) {
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
        expect(declared.sort(), `${method} ${path}`).to.deep.equal([...named].sort());
      }
    }
    expect(doc.paths).to.have.property('/plugins/global/{plugin}/{subpath}');
    // The route itself is unchanged: a webhook under the global plugin still reaches the plugin's hook.
    const hook = await t.request('POST', '/plugins/global/test.answers/any/sub/path', { key: null, raw: '{}', headers: { 'content-type': 'application/json' } });
    expect(hook.status, hook.text).to.not.be.oneOf([404, 405]);
  });

  it('admin plugin configuration: If-Match on PUT and DELETE, ETag on every 200', () => {
    for (const path of ['/admin/channels/{channel}/plugins/{plugin}', '/admin/global/plugins/{plugin}']) {
      for (const method of ['put', 'delete']) {
        const ifMatch = doc.paths[path]![method]!.parameters?.find((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'if-match');
        expect(ifMatch, `${method} ${path}`).to.deep.include({ required: false });
      }
      for (const method of ['get', 'put', 'delete']) expect(doc.paths[path]![method]!.responses['200']!.headers, `${method} ${path}`).to.have.property('ETag');
    }
  });

  it('describes 431 and 408, which any request can be answered, once (as 405 is)', () => {
    expect(doc.components.responses?.['HeadersTooLarge']?.description).to.include('headers_too_large');
    expect(doc.components.responses?.['RequestTimeout']?.description).to.include('request_timeout');
    expect(doc.info.description).to.include('431 headers_too_large').and.include('408 request_timeout');
  });

  it('names PaymentSource, with its required fields, and a stored card listed fits it', async () => {
    const source = doc.components.schemas['PaymentSource']!;
    expect(source.required).to.deep.equal(['id', 'gateway', 'creditCardInfo']);
    expect(source.properties!['creditCardInfo']).to.deep.include({ nullable: true, required: ['last4', 'expYear', 'expMonth', 'brand', 'nameOnCard'] });
    const path = '/customers/{id}/payment-sources';
    expect(responseSchema(path, 'get', '200').properties!['sources']!.items).to.deep.equal({ $ref: '#/components/schemas/PaymentSource' });
    const customerId = `doc-${randomUUID()}`;
    const stored = await t.request('POST', '/payments', {
      body: { channel: 'us-store', amount: '5.00', currency: 'USD', token: DUMMY_TOKENS.success, customerId, storePaymentMethod: true },
      idempotencyKey: key('doc'),
    });
    expect(stored.status, stored.text).to.equal(201);
    const listed = await t.request('GET', `/customers/${customerId}/payment-sources?channel=us-store`);
    expect(listed.body.sources).to.have.length(1);
    expect(misfits(doc, responseSchema(path, 'get', '200'), listed.body)).to.deep.equal([]);
  });

  it('describes 405 method_not_allowed with its Allow header, which GET /payments answers', async () => {
    const notAllowed = doc.components.responses?.['MethodNotAllowed'];
    expect(notAllowed?.description).to.include('method_not_allowed');
    expect(notAllowed?.headers).to.have.property('Allow');
    expect(doc.info.description).to.include('405 method_not_allowed').and.include('Allow');
    const answer = await t.request('GET', '/payments');
    expect(answer.status).to.equal(405);
    expect(answer.headers.get('allow')).to.equal('POST');
    expect(misfits(doc, notAllowed!.content['application/json']!.schema, answer.body)).to.deep.equal([]);
  });

  it("answers what its schemas say: a payment, its replay, a decline, a read, a capture, the review list (nulls written, never left out)", async () => {
    // Not a vacuous check: the schemas the answers are held to require their fields (nulls included).
    expect(doc.components.schemas['Payment']!.required).to.include.members(['customerId', 'customerEmail', 'pspReference']);
    expect(doc.components.schemas['Transaction']!.required).to.include.members(['errorCode', 'error', 'actionRequiredData']);
    const body = { channel: 'eu-store', amount: '10.00', currency: 'EUR', token: DUMMY_TOKENS.success };
    const idempotencyKey = key('doc');
    const created = await t.request('POST', '/payments', { body, idempotencyKey });
    expect(created.status, created.text).to.equal(201);
    expect(created.body.payment).to.include({ customerId: null, customerEmail: null });
    expect(misfits(doc, responseSchema('/payments', 'post', '201'), created.body)).to.deep.equal([]);
    const replayed = await t.request('POST', '/payments', { body, idempotencyKey });
    expect(replayed.status).to.equal(201);
    expect(replayed.body).to.deep.equal(created.body);

    const declined = await t.request('POST', '/payments', { body: { ...body, token: DUMMY_TOKENS.declined }, idempotencyKey: key('doc') });
    expect(declined.status).to.equal(402);
    expect(misfits(doc, responseSchema('/payments', 'post', '402'), declined.body)).to.deep.equal([]);
    const failed = await t.request('GET', `/payments/${declined.body.details.paymentId}`);
    expect(failed.body.transactions.some((x: { errorCode: string | null }) => x.errorCode !== null)).to.equal(true);
    expect(misfits(doc, responseSchema('/payments/{id}', 'get', '200'), failed.body)).to.deep.equal([]);

    const captured = await t.request('POST', `/payments/${created.body.payment.id}/capture`, { idempotencyKey: key('doc') });
    expect(captured.status).to.equal(200);
    expect(misfits(doc, responseSchema('/payments/{id}/capture', 'post', '200'), captured.body)).to.deep.equal([]);
    const read = await t.request('GET', `/payments/${created.body.payment.id}`);
    expect(misfits(doc, responseSchema('/payments/{id}', 'get', '200'), read.body)).to.deep.equal([]);
    const review = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(misfits(doc, responseSchema('/admin/review', 'get', '200'), review.body)).to.deep.equal([]);
    const missing = await t.request('GET', `/payments/${randomUUID()}`);
    expect(misfits(doc, responseSchema('/payments/{id}', 'get', '404'), missing.body)).to.deep.equal([]);
  });
});
