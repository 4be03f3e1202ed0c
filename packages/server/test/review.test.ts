import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, key, startTestServer, type TestServer } from './support/harness.js';

describe('server API: transactions held for review (admin)', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  /** A captured 50.00 USD payment on the signed gateway, and a 13.13 refund whose outcome is unknown (held for review). */
  async function heldRefund(): Promise<{ paymentId: string; transactionId: string; refundKey: string }> {
    const created = await t.request('POST', '/payments', { body: { channel: 'us-store', gateway: 'test.signed', currency: 'USD', amount: '50.00', token: 'tok_signed' }, idempotencyKey: key() });
    expect(created.status).to.equal(201);
    const paymentId = created.body.payment.id as string;
    expect((await t.request('POST', `/payments/${paymentId}/capture`, { idempotencyKey: key() })).status).to.equal(200);
    const refundKey = key('refund');
    const lost = await t.request('POST', `/payments/${paymentId}/refund`, { body: { amount: '13.13' }, idempotencyKey: refundKey });
    expect(lost.status).to.equal(502);
    expect(lost.body.code).to.equal('outcome_unknown');
    return { paymentId, transactionId: lost.body.details.transactionId as string, refundKey };
  }

  it('lists held transactions with their payments, only with the admin key', async () => {
    const { paymentId, transactionId } = await heldRefund();
    const list = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(list.status).to.equal(200);
    const item = list.body.items.find((i: { transaction: { id: string } }) => i.transaction.id === transactionId);
    expect(item.transaction).to.include({ state: 'review', kind: 'refund', amount: '13.13', paymentId });
    expect(item.reason).to.equal('held_for_review');
    expect(item.payment).to.include({ id: paymentId, gateway: 'test.signed', pspReference: `sig_${paymentId}`, capturedAmount: '50.00' });
    // What the gateway call carried as its Idempotency-Key: searchable in a processor's request log.
    const held = (await t.server.payments.listTransactions(paymentId)).find((tx) => tx.id === transactionId);
    expect(item.gatewayIdempotencyKey).to.be.a('string').and.equal(held?.gatewayIdempotencyKey);
    for (const k of [undefined, null]) {
      const refused = await t.request('GET', '/admin/review', k === null ? { key: null } : {});
      expect(refused.status).to.equal(401);
    }
    const refused = await t.request('POST', `/admin/review/${transactionId}`, { body: { outcome: 'failed', note: 'x' } });
    expect(refused.status, 'the payment key cannot resolve').to.equal(401);
  });

  it('a resolution moves the money, answers the client\'s retry, and cannot be made twice', async () => {
    const { paymentId, transactionId, refundKey } = await heldRefund();
    const resolved = await t.request('POST', `/admin/review/${transactionId}`, {
      key: ADMIN_KEY,
      body: { outcome: 'succeeded', gatewayTransactionId: 're_dashboard_1', note: 'Dashboard shows re_dashboard_1 for 13.13 (ana)' },
    });
    expect(resolved.status).to.equal(200);
    expect(resolved.body.transaction).to.include({ id: transactionId, state: 'applied', isSuccess: true, gatewayTransactionId: 're_dashboard_1' });
    expect(resolved.body.payment).to.include({ chargeStatus: 'partially-refunded', capturedAmount: '36.87' });

    const retry = await t.request('POST', `/payments/${paymentId}/refund`, { body: { amount: '13.13' }, idempotencyKey: refundKey });
    expect(retry.status).to.equal(200);
    expect(retry.body.transaction.id).to.equal(transactionId);
    const again = await t.request('POST', `/admin/review/${transactionId}`, { key: ADMIN_KEY, body: { outcome: 'failed', note: 'changed my mind' } });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('transaction_not_in_review');
    const listed = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(listed.body.items.map((i: { transaction: { id: string } }) => i.transaction.id)).not.to.include(transactionId);
    const payment = await t.request('GET', `/payments/${paymentId}`);
    expect(payment.body.payment.capturedAmount).to.equal('36.87');
  });

  it('another operation of the payment under a new key answers 409 payment_busy (held_for_review) while the refund is held, not a final 422', async () => {
    const { paymentId, transactionId } = await heldRefund();
    const voided = await t.request('POST', `/payments/${paymentId}/void`, { idempotencyKey: key() });
    expect(voided.status).to.equal(409);
    expect(voided.body.code).to.equal('payment_busy');
    expect(voided.body.details).to.include({ reason: 'held_for_review', transactionId, kind: 'refund', operation: 'void' });
    expect(voided.body.message).to.include(`transaction ${transactionId} (refund, operation refund) is held for review`);
  });

  it('takes the transaction id in upper case (UUIDs are case-insensitive)', async () => {
    const { transactionId } = await heldRefund();
    const resolved = await t.request('POST', `/admin/review/${transactionId.toUpperCase()}`, { key: ADMIN_KEY, body: { outcome: 'failed', note: 'No refund in the dashboard (ana)' } });
    expect(resolved.status, resolved.text).to.equal(200);
    expect(resolved.body.transaction).to.include({ id: transactionId, state: 'applied', isSuccess: false });
  });

  it('refuses bad resolutions with 4xx codes and leaves the transaction held', async () => {
    const { paymentId, transactionId } = await heldRefund();
    const cases: Array<[string, unknown, number, string]> = [
      [transactionId, { outcome: 'succeeded' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'perhaps', note: 'x' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'succeeded', note: '' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'succeeded', note: 'x', amount: '13.14' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'succeeded', note: 'x', amount: -1 }, 400, 'invalid_input'],
      [transactionId, { outcome: 'succeeded', note: 'x', kind: 'capture' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'failed', note: 'x', errorCode: 'oops' }, 400, 'invalid_input'],
      [transactionId, { outcome: 'failed', note: 'x', extra: true }, 400, 'invalid_input'],
      ['00000000-0000-4000-8000-000000000000', { outcome: 'failed', note: 'x' }, 404, 'transaction_not_found'],
      // Not an id the ledger makes (transaction ids are UUIDs): malformed, as for payment ids.
      ['not-a-uuid', { outcome: 'failed', note: 'x' }, 400, 'invalid_input'],
    ];
    for (const [id, body, status, code] of cases) {
      const res = await t.request('POST', `/admin/review/${id}`, { key: ADMIN_KEY, body });
      expect([res.status, res.body.code], JSON.stringify(body)).to.deep.equal([status, code]);
    }
    const after = await t.request('GET', `/payments/${paymentId}`);
    expect(after.body.payment.capturedAmount).to.equal('50.00');
    expect(after.body.transactions.find((x: { id: string }) => x.id === transactionId).state).to.equal('review');
  });

  it('answers a page at a time: ?limit= and ?after= the nextCursor, oldest first, nextCursor null on the last page', async () => {
    for (let i = 0; i < 3; i++) await heldRefund();
    const whole = await t.request('GET', '/admin/review?limit=1000', { key: ADMIN_KEY });
    expect(whole.status).to.equal(200);
    expect(whole.body.nextCursor).to.equal(null);
    const all = whole.body.items.map((i: { transaction: { id: string } }) => i.transaction.id) as string[];
    expect(all.length).to.be.greaterThan(3);
    const paged: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const path: string = `/admin/review?limit=2${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
      const page = await t.request('GET', path, { key: ADMIN_KEY });
      expect(page.status, path).to.equal(200);
      expect(page.body.items.length).to.be.at.most(2);
      paged.push(...page.body.items.map((i: { transaction: { id: string } }) => i.transaction.id));
      after = page.body.nextCursor as string | null;
      pages += 1;
    } while (after !== null && pages < 50);
    expect(paged).to.deep.equal(all);
    expect(pages).to.equal(Math.ceil(all.length / 2));
    // No query: the first (default) page, with its cursor key present.
    const first = await t.request('GET', '/admin/review', { key: ADMIN_KEY });
    expect(Object.keys(first.body).sort()).to.deep.equal(['items', 'nextCursor']);
  });

  it('refuses a bad page query: 400 invalid_input (a cursor it did not give: details.reason invalid_cursor)', async () => {
    const forged = await t.request('GET', '/admin/review?after=bm9wZQ', { key: ADMIN_KEY });
    expect([forged.status, forged.body.code]).to.deep.equal([400, 'invalid_input']);
    expect(forged.body.details).to.deep.include({ field: 'after', reason: 'invalid_cursor' });
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'limit=', 'after=', 'page=2']) {
      const res = await t.request('GET', `/admin/review?${query}`, { key: ADMIN_KEY });
      expect([res.status, res.body.code], query).to.deep.equal([400, 'invalid_input']);
      expect(res.body.details.in, query).to.equal('querystring');
    }
  });

  it('is in the OpenAPI document behind the admin key', async () => {
    const doc = (await t.request('GET', '/openapi.json', { key: null })).body;
    expect(doc.paths['/admin/review'].get.security).to.deep.equal([{ adminKey: [] }]);
    const list = doc.paths['/admin/review'].get;
    expect(list.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name).sort()).to.deep.equal(['after', 'limit']);
    expect(list.responses['200'].content['application/json'].schema.required).to.deep.equal(['items', 'nextCursor']);
    expect(list.responses['400']).to.be.an('object');
    expect(doc.paths['/admin/review/{transactionId}'].post.requestBody.content['application/json'].schema.required).to.deep.equal(['outcome', 'note']);
  });
});
