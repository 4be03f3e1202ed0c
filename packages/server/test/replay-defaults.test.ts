import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, startTestServer, type TestServer } from './support/harness.js';

/**
 * What "the same request" is for a retry of POST /payments (README, Idempotency): `action` is compared
 * with its default filled in, `gateway` as sent. A retry spelling out `action: "process"` replays; one
 * adding the channel's default gateway is another request (409 idempotency_key_reused).
 */
describe('server: a retry that spells out a default', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(() => t.close());

  // us-store's default USD gateway is payhost.dummy.
  const payment = { channel: 'us-store', amount: '3.00', currency: 'USD', token: DUMMY_TOKENS.success };

  it('action: "process" added: the same request, the first answer replayed', async () => {
    const idempotencyKey = key('action');
    const first = await t.request('POST', '/payments', { body: payment, idempotencyKey });
    expect(first.status, first.text).to.equal(201);
    const retry = await t.request('POST', '/payments', { body: { ...payment, action: 'process' }, idempotencyKey });
    expect(retry.status, retry.text).to.equal(201);
    expect(retry.body.transaction.id).to.equal(first.body.transaction.id);
  });

  it("the channel's default gateway added: another request, 409 idempotency_key_reused (and the reverse)", async () => {
    const idempotencyKey = key('gateway');
    const first = await t.request('POST', '/payments', { body: payment, idempotencyKey });
    expect(first.status, first.text).to.equal(201);
    expect(first.body.payment.gateway).to.equal('payhost.dummy');
    const retry = await t.request('POST', '/payments', { body: { ...payment, gateway: 'payhost.dummy' }, idempotencyKey });
    expect([retry.status, retry.body.code], retry.text).to.deep.equal([409, 'idempotency_key_reused']);

    const named = key('gateway-named');
    expect((await t.request('POST', '/payments', { body: { ...payment, gateway: 'payhost.dummy' }, idempotencyKey: named })).status).to.equal(201);
    const without = await t.request('POST', '/payments', { body: payment, idempotencyKey: named });
    expect([without.status, without.body.code], without.text).to.deep.equal([409, 'idempotency_key_reused']);
  });
});
