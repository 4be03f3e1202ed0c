import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, isPayhostError, type Payment } from '@payhost/core';
import type { FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, call, expectFailure, key, ledgerSuite, makePlugin, payment } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

/** Answers about the request, not the transaction: none of them says whether the customer paid. */
const UNANSWERED: Array<[number, string]> = [
  [429, 'Too many requests'],
  [401, 'Invalid authorization key'],
  [403, 'Forbidden'],
];

describe('flutterwave charges the API has not settled yet (verify refused, verify still pending)', () => {
  const suite = ledgerSuite();

  /** The host's checkout with core's ledger: unbound client token, Inline, payment created from its result, tx_ref pinned. */
  async function checkout(status?: 'pending'): Promise<{ payment: Payment; id: number; txRef: string }> {
    const { fake, manager, service } = suite;
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: '1500.50', currency: 'NGN', ...(status ? { status } : {}) });
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: JSON.stringify(callback) });
    return { payment: created, id: callback.transaction_id, txRef: token.tx_ref };
  }

  async function webhook(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>) {
    const response = (await suite.manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
    const results = [];
    for (const event of response.events ?? []) results.push(await suite.service.applyGatewayEvent({ ...event, gateway: GATEWAY }));
    return { response, results };
  }

  /** A charge.completed delivery whose body says `claimed` for a transaction the API answers `pending`. */
  function deliveryClaiming(id: number, claimed: 'successful' | 'failed' | 'pending'): FlutterwaveWebhookDelivery {
    const tx = suite.fake.state.transactions.get(id) as { status: string };
    const before = tx.status;
    tx.status = claimed;
    try {
      return suite.fake.webhook('charge.completed', id);
    } finally {
      tx.status = before;
    }
  }

  for (const [status, message] of UNANSWERED) {
    it(`processPayment: a verify answered ${status} is outcome_unknown, with the transaction id and tx_ref kept`, async () => {
      const plugin = makePlugin(suite.fake);
      const token = JSON.parse(await plugin.getClientToken({ amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: 'pay-host-1' } }, null) as string) as { tx_ref: string };
      const { transaction: _t, ...callback } = suite.fake.pay({ tx_ref: token.tx_ref, amount: '1500.50', currency: 'NGN' });
      suite.fake.injectError({ path: '/verify' }, status, message);
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(callback) }), null));
      expectFailure(response, 'processing_error', new RegExp(`^${message}$`));
      expect(response).to.deep.include({ kind: 'capture', pspReference: String(callback.transaction_id) });
      expect(response.rawResponse).to.deep.include({ outcome_unknown: true, tx_ref: token.tx_ref });
      expect(response.rawResponse?.['flutterwave']).to.deep.include({ http_status: status });
    });

    it(`a paid Inline checkout whose verify is answered ${status} is held for review, never declined; reconciliation records it charged, and charge.completed then finds it applied`, async () => {
      const { fake, service } = suite;
      const { payment: created, id, txRef } = await checkout();
      // Refused twice: processPayment's verify and the ledger's status check right after it.
      fake.injectError({ path: '/verify', times: 2 }, status, message);
      const error = await service.process({ paymentId: created.id, idempotencyKey: key(), data: { txRef } }).then(() => expect.fail('outcome unknown'), (e: unknown) => e);
      expect(error, String(error)).to.not.be.instanceOf(GatewayDeclinedError);
      expect(isPayhostError(error, 'outcome_unknown'), String(error)).to.equal(true);
      expect((await service.listTransactions(created.id)).map((t) => [t.kind, t.state, t.isSuccess])).to.deep.equal([['capture', 'review', false]]);
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
      // The ledger claims the transaction id only once charged: the delivery waits (404, Flutterwave retries), nothing is recorded.
      const delivery = fake.webhook('charge.completed', id);
      const early = await webhook(delivery).then(() => null, (e: unknown) => e);
      expect(isPayhostError(early, 'payment_not_found'), String(early)).to.equal(true);
      expect((await service.listTransactions(created.id)).map((t) => t.state)).to.deep.equal(['review']);
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(1);
      const charged = await service.getPayment(created.id);
      expect(charged.chargeStatus).to.equal('fully-charged');
      expect(charged.capturedAmount.eq('1500.5')).to.equal(true);
      const retried = await webhook(delivery);
      expect(retried.response.status).to.equal(200);
      expect(retried.results.map((r) => r.status)).to.deep.equal(['already_applied']);
      expect((await service.getPayment(created.id)).capturedAmount.eq('1500.5')).to.equal(true);
    });
  }

  it('"No transaction was found" is an answer: a definite failure, recorded as such (not held for review)', async () => {
    const { service } = suite;
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: JSON.stringify({ transaction_id: 999999999, tx_ref: 'ph-unknown' }) });
    const error = await service.process({ paymentId: created.id, idempotencyKey: key() }).then(() => expect.fail('declined'), (e: unknown) => e);
    expect(error, String(error)).to.be.instanceOf(GatewayDeclinedError);
    const [recorded, ...rest] = await service.listTransactions(created.id);
    expect(rest).to.deep.equal([]);
    expect(recorded).to.deep.include({ kind: 'capture', state: 'applied', isSuccess: false });
    expect(recorded?.error).to.match(/No transaction was found/);
    expect(recorded?.rawResponse?.['outcome_unknown']).to.equal(false);
  });

  it('charge.completed saying successful while verify still says pending: 503 charge_not_settled, nothing applied; the redelivery once verify says successful charges the payment', async () => {
    const { fake, service } = suite;
    const { payment: created, id, txRef } = await checkout('pending');
    expect((await service.process({ paymentId: created.id, idempotencyKey: key(), data: { txRef } })).payment.chargeStatus).to.equal('pending');
    const delivery = deliveryClaiming(id, 'successful');
    const early = await webhook(delivery);
    expect(early.response.status).to.equal(503);
    expect(early.response.body).to.deep.include({ code: 'charge_not_settled' });
    expect(early.results).to.deep.equal([]);
    expect((await service.getPayment(created.id)).chargeStatus).to.equal('pending');
    (fake.state.transactions.get(id) as { status: string }).status = 'successful';
    const redelivered = await webhook(delivery);
    expect(redelivered.response.status).to.equal(200);
    expect(redelivered.results.map((r) => r.status)).to.deep.equal(['applied']);
    const charged = await service.getPayment(created.id);
    expect(charged.chargeStatus).to.equal('fully-charged');
    expect(charged.capturedAmount.eq('1500.5')).to.equal(true);
  });

  it('charge.completed for a bound tx_ref: a delivery saying successful or failed waits (503) while verify says pending; one saying pending is acknowledged (200, no event)', async () => {
    const { fake, manager, service } = suite;
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: 'none-yet' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: created.id } })) as { tx_ref: string };
    const { transaction_id: id } = fake.pay({ tx_ref: token.tx_ref, amount: '1500.50', currency: 'NGN', status: 'pending' });
    for (const claimed of ['successful', 'failed'] as const) {
      const { response, results } = await webhook(deliveryClaiming(id, claimed));
      expect([response.status, response.body], claimed).to.deep.equal([503, { code: 'charge_not_settled', message: `Flutterwave still reports transaction ${id} as pending; the delivery says ${claimed}` }]);
      expect(results, claimed).to.deep.equal([]);
    }
    const pending = await webhook(deliveryClaiming(id, 'pending'));
    expect(pending.response).to.deep.include({ status: 200, events: [] });
    expect(await service.listTransactions(created.id)).to.deep.equal([]);
    (fake.state.transactions.get(id) as { status: string }).status = 'successful';
    const settled = await webhook(deliveryClaiming(id, 'successful'));
    expect(settled.results.map((r) => [r.status, r.payment.chargeStatus])).to.deep.equal([['applied', 'fully-charged']]);
  });
});
