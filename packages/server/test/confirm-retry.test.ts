import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, startTestServer, type TestServer } from './support/harness.js';

/**
 * POST /payments/:id/confirm after a failed 3-D Secure, with the dummy gateway: the payment keeps
 * `toConfirm`, so the answers must agree with it (a confirm can still succeed, with another card),
 * and once nothing waits for confirmation the ledger refuses a confirm without recording anything.
 */
describe('server API: confirming again after a failed 3-D Secure', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  const confirm = (id: string, body?: Record<string, unknown>) => t.request('POST', `/payments/${id}/confirm`, { idempotencyKey: key('confirm'), ...(body ? { body } : {}) });

  /** A 10.00 USD payment on us-store (auto-capture) whose 3-D Secure confirmation was just declined. */
  async function failedConfirmation(): Promise<string> {
    const created = await t.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '10.00', token: DUMMY_TOKENS.threeDSecureFail }, idempotencyKey: key('pay') });
    expect(created.status, created.text).to.equal(201);
    const id = created.body.payment.id as string;
    const failed = await confirm(id);
    expect(failed.status, failed.text).to.equal(402);
    expect(failed.body.details).to.include({ errorCode: 'declined' });
    expect((await t.request('GET', `/payments/${id}`)).body.payment).to.include({ toConfirm: true, isActive: true, chargeStatus: 'not-charged' });
    return id;
  }

  it('still waiting: a confirm without another card is 402 declined saying so; with another card (data.token) it charges', async () => {
    const id = await failedConfirmation();

    const again = await confirm(id, {});
    expect(again.status, again.text).to.equal(402);
    expect(again.body.code).to.equal('gateway_declined');
    expect(again.body.details).to.include({ paymentId: id, errorCode: 'declined' });
    expect(again.body.message).to.match(/confirm again with another card/).and.not.match(/does not require confirmation/);
    expect((await t.request('GET', `/payments/${id}`)).body.payment.toConfirm).to.equal(true);

    const charged = await confirm(id, { data: { token: DUMMY_TOKENS.success } });
    expect(charged.status, charged.text).to.equal(200);
    expect(charged.body.transaction).to.include({ kind: 'capture', isSuccess: true, amount: '10.00' });
    expect(charged.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '10.00', toConfirm: false });
  });

  it('nothing waits any more (charged, or closed with a void): 422 operation_not_allowed, and the payment and its transactions are unchanged', async () => {
    const charged = await failedConfirmation();
    expect((await confirm(charged, { data: { token: DUMMY_TOKENS.success } })).status).to.equal(200);
    const voided = await failedConfirmation();
    const closed = await t.request('POST', `/payments/${voided}/void`, { idempotencyKey: key('void') });
    expect(closed.status, closed.text).to.equal(200);
    expect(closed.body.payment).to.include({ isActive: false, toConfirm: false });

    for (const id of [charged, voided]) {
      const before = (await t.request('GET', `/payments/${id}`)).body;
      const refused = await confirm(id, { data: { token: DUMMY_TOKENS.success } });
      expect(refused.status, refused.text).to.equal(422);
      expect(refused.body.code).to.equal('operation_not_allowed');
      expect(refused.body.details).to.include({ paymentId: id, operation: 'confirm' });
      expect((await t.request('GET', `/payments/${id}`)).body, 'nothing recorded').to.deep.equal(before);
    }
  });
});
