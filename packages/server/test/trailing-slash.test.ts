import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, startTestServer, type TestServer } from './support/harness.js';

/**
 * A path with a trailing slash is not the path without it: `/payments/` is not `/payments/:id` with an
 * empty id (which made `POST /payments/` a 405 "use GET or HEAD" and `GET /payments/` a "params.id must
 * be a UUID"). Every such path is 404 route_not_found, the message naming the path without the slash.
 */
describe('server: trailing slashes are not accepted (404 route_not_found)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  it('POST and GET /payments/: 404 route_not_found, hinting at /payments', async () => {
    for (const method of ['POST', 'GET']) {
      const res = await t.request(method, '/payments/', { ...(method === 'POST' ? { body: { channel: 'us-store', amount: '1.00', currency: 'USD' } } : {}), idempotencyKey: 'slash-key-0001' });
      expect(res.status, `${method} ${res.text}`).to.equal(404);
      expect(res.headers.get('allow'), method).to.equal(null);
      expect(res.body).to.deep.equal({ code: 'route_not_found', message: `No route ${method} /payments/ (paths take no trailing slash: /payments)` });
    }
  });

  it('an empty parameter elsewhere is 404 too, a key or none; the paths without the slash answer as before', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, key] of [
      ['GET', '/admin/review/', ADMIN_KEY],
      ['PUT', '/admin/global/plugins/', ADMIN_KEY],
      ['GET', '/channels//gateways', undefined],
      ['POST', `/payments/${id}/capture/`, undefined],
    ] as const) {
      const res = await t.request(method, path, { key, ...(method === 'PUT' ? { body: {} } : {}) });
      expect([res.status, res.body.code], `${method} ${path}: ${res.text}`).to.deep.equal([404, 'route_not_found']);
    }
    const notAllowed = await t.request('GET', '/payments');
    expect([notAllowed.status, notAllowed.headers.get('allow')]).to.deep.equal([405, 'POST']);
    const missing = await t.request('GET', `/payments/${id}`);
    expect([missing.status, missing.body.code]).to.deep.equal([404, 'payment_not_found']);
    const review = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(review.status).to.equal(200);
  });
});
