import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, type PluginManager, type WebhookResponse } from '@payhost/core';
import { FakeFlutterwave, flutterwaveWebhook, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { issueTxRef, signatureMatches, verifHashMatches } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, inlinePayment, makeManager, makePlugin, payment, recordingLogger } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

describe('flutterwave: webhooks', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  before(async () => {
    fake = await FakeFlutterwave.start();
    manager = makeManager(fake);
  });
  after(async () => {
    await manager.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  function deliver(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>, method = 'POST'): Promise<WebhookResponse | null> {
    return manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method, headers: delivery.headers, rawBody: delivery.rawBody });
  }

  it('charge.completed (successful) is verified with the API and becomes a capture event for the bound payment', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '1500.50', 'NGN');
    fake.requests.length = 0;
    const response = (await deliver(fake.webhook('charge.completed', transaction.id)))!;
    expect(response.status).to.equal(200);
    expect(response.events).to.have.length(1);
    const [event] = response.events!;
    expect(event).to.deep.include({ eventId: `charge.completed:${transaction.id}:successful`, type: 'charge.completed', paymentId: 'pay-host-1', pspReference: String(transaction.id) });
    expect(event!.response).to.deep.include({ isSuccess: true, kind: 'capture', currency: 'NGN', transactionId: String(transaction.id) });
    expect(event!.response.amount.eq('1500.5')).to.equal(true);
    // No event time in Flutterwave's payload: the verified transaction's creation time.
    expect(event!.occurredAt?.toISOString()).to.equal(new Date(transaction.created_at).toISOString());
    expect(fake.requests.map((r) => r.path)).to.deep.equal([`/v3/transactions/${transaction.id}/verify`]);
  });

  it('trusts the API, not the payload: a payload claiming another amount or status yields the verified values', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '1500.50', 'NGN', { status: 'failed', processorResponse: 'Insufficient funds' });
    const forged = fake.webhook('charge.completed', transaction.id);
    const payload = { ...forged.payload, data: { ...(forged.payload['data'] as object), status: 'successful', amount: 999999 } };
    const response = (await deliver(flutterwaveWebhook(payload, fake.secretHash)))!;
    expect(response.events?.[0]?.response).to.deep.include({ isSuccess: false, kind: 'capture', errorCode: 'declined', error: 'Insufficient funds' });
    expect(response.events?.[0]?.eventId).to.equal(`charge.completed:${transaction.id}:failed`);
  });

  it('charge.completed checks what was paid against the amount and currency the tx_ref was issued for, as processPayment does: a mismatch is a failed capture', async () => {
    const plugin = makePlugin(fake);
    const cases: Array<[string, string, RegExp]> = [
      ['1.00', 'NGN', /is for 1 NGN, the payment expects 1500.5 NGN/],
      ['3000.00', 'NGN', /is for 3000 NGN, the payment expects 1500.5 NGN/],
      ['1500.50', 'KES', /is in KES, the payment is in NGN/],
    ];
    for (const [paid, paidCurrency, message] of cases) {
      const { transaction } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paid, paidCurrency });
      const response = (await deliver(fake.webhook('charge.completed', transaction.id)))!;
      expect(response.status).to.equal(200);
      const [event] = response.events!;
      expect(event).to.deep.include({ paymentId: 'pay-host-1', pspReference: String(transaction.id) });
      expect(event!.response).to.deep.include({ isSuccess: false, kind: 'capture', errorCode: 'processing_error' });
      expect(event!.response.error).to.match(message);
      expect(event!.response.rawResponse?.['code']).to.equal(paidCurrency === 'NGN' ? 'amount_mismatch' : 'currency_mismatch');
    }
  });

  it('charge.completed for a tx_ref with no signed amount (unbound, or issued before amounts were signed) names no payment: only one whose processPayment accepted it gets it', async () => {
    const legacy = issueTxRef(fake.secretKey, CHANNEL, 'pay-host-1');
    const paid = fake.pay({ tx_ref: legacy, amount: '1.00', currency: 'NGN' });
    const response = (await deliver(fake.webhook('charge.completed', paid.transaction_id)))!;
    expect(response.events?.map((e) => [e.paymentId, e.pspReference, e.response.kind, e.response.isSuccess])).to.deep.equal([[null, String(paid.transaction_id), 'capture', true]]);
  });

  it('refund.completed (v3 payload: no currency, no tx_ref): its transaction verified and the refund looked up with the API, it becomes a refund event', async () => {
    const plugin = makePlugin(fake);
    const { transaction, token } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    await call(plugin.processPayment(payment({ token }), null));
    const refund = await call(plugin.refundPayment(payment({ token: String(transaction.id), amount: new Decimal('100') }), null));
    const delivery = fake.webhook('refund.completed', Number(refund.transactionId));
    expect(delivery.payload['data']).to.include({ id: Number(refund.transactionId), AmountRefunded: 100, status: 'completed', TransactionId: transaction.id });
    expect(delivery.payload['data']).to.not.have.any.keys('currency', 'tx_ref', 'tx_id');
    fake.requests.length = 0;
    const response = (await deliver(delivery))!;
    expect(response.status).to.equal(200);
    expect(response.events?.[0]).to.deep.include({ eventId: `refund.completed:${refund.transactionId}`, paymentId: 'pay-host-1', pspReference: String(transaction.id) });
    expect(response.events?.[0]?.response).to.deep.include({ kind: 'refund', isSuccess: true, currency: 'NGN', transactionId: refund.transactionId });
    expect(response.events?.[0]?.response.amount.eq('100')).to.equal(true);
    expect(response.events?.[0]?.occurredAt?.toISOString()).to.equal(new Date(String((delivery.payload['data'] as Record<string, unknown>)['createdAt'])).toISOString());
    expect(fake.requests.map((r) => r.path), 'the transaction verified, the refund looked up').to.deep.equal([`/v3/transactions/${transaction.id}/verify`, `/v3/refunds/${refund.transactionId}`]);
    const ugx = await inlinePayment(fake, plugin, '50000', 'UGX');
    await call(plugin.processPayment(payment({ token: ugx.token, amount: new Decimal('50000'), currency: 'UGX' }), null));
    const ugxRefund = await call(plugin.refundPayment(payment({ token: String(ugx.transaction.id), amount: new Decimal('1000'), currency: 'UGX' }), null));
    const ugxEvent = (await deliver(fake.webhook('refund.completed', Number(ugxRefund.transactionId))))!.events?.[0];
    expect(ugxEvent?.response).to.deep.include({ currency: 'UGX', kind: 'refund' });
  });

  it('refund.completed: pending yields no event yet, failed is refund_failed, a foreign transaction none, a failed verify 503', async () => {
    const plugin = makePlugin(fake);
    const { transaction, token } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    await call(plugin.processPayment(payment({ token }), null));
    fake.state.refundStatus = 'pending';
    const refundId = Number((await call(plugin.refundPayment(payment({ token: String(transaction.id), amount: new Decimal('100') }), null))).transactionId);
    expect((await deliver(fake.webhook('refund.completed', refundId)))!).to.deep.include({ status: 200, events: [] });
    fake.state.settleRefund(refundId, 'failed');
    const failed = (await deliver(fake.webhook('refund.completed', refundId)))!.events?.[0];
    expect(failed?.response).to.deep.include({ kind: 'refund_failed', isSuccess: false, errorCode: 'processing_error' });
    fake.injectNetworkError({ path: '/verify' });
    expect((await deliver(fake.webhook('refund.completed', refundId)))!).to.deep.include({ status: 503, events: [] });
    const foreign = fake.pay({ tx_ref: 'payment-link-42', amount: '10', currency: 'NGN' });
    fake.state.refundStatus = 'completed';
    const foreignRefund = fake.state.refund(foreign.transaction_id, { amount: 5 });
    expect((await deliver(fake.webhook('refund.completed', foreignRefund.id)))!).to.deep.include({ status: 200, events: [] });
    expect((await deliver(flutterwaveWebhook({ event: 'refund.completed', data: { id: 1, status: 'completed' } }, fake.secretHash)))!.status).to.equal(400);
  });

  it('refund.completed is never for more than it can be: capped at what this process asked for, else bounded by the transaction; a failed one is still refund_failed', async () => {
    const plugin = makePlugin(fake);
    const { transaction, token } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    await call(plugin.processPayment(payment({ token }), null));
    // Flutterwave reporting the transaction's running total for a refund (its API, and so its webhook).
    const reporting = (refundId: number, amountRefunded: number) => {
      fake.state.findRefund(refundId).amount_refunded = amountRefunded;
      return fake.webhook('refund.completed', refundId);
    };
    fake.state.refundStatus = 'pending';
    const asked = Number((await call(plugin.refundPayment(payment({ token: String(transaction.id), amount: new Decimal('100') }), null))).transactionId);
    fake.state.settleRefund(asked);
    const capped = (await deliver(reporting(asked, 1500.5)))!.events?.[0]?.response;
    expect(capped?.kind).to.equal('refund');
    expect(capped?.amount.toFixed(), 'the amount asked').to.equal('100');
    // Made elsewhere (dashboard, another instance): more than the transaction's 1500.50 cannot be this refund's.
    fake.state.refundStatus = 'completed';
    const elsewhere = fake.state.refund(transaction.id, { amount: 10 });
    expect((await deliver(reporting(elsewhere.id, 1500.51)))!).to.deep.include({ status: 200, events: [], body: { received: true, applied: 0, ignored: 'refund_exceeds_transaction' } });
    // A failed refund moves no money: its event still settles what the ledger holds, whatever its figure.
    fake.state.refundStatus = 'failed';
    const declined = fake.state.refund(transaction.id, { amount: 10 });
    const failed = (await deliver(reporting(declined.id, 1500.51)))!.events?.[0]?.response;
    expect(failed).to.deep.include({ kind: 'refund_failed', isSuccess: false });
  });

  it('pending charges and other events yield no events', async () => {
    const pending = await inlinePayment(fake, makePlugin(fake), '10', 'NGN', { status: 'pending' });
    expect((await deliver(fake.webhook('charge.completed', pending.transaction.id)))!).to.deep.include({ status: 200, events: [] });
    expect((await deliver(flutterwaveWebhook({ event: 'transfer.completed', data: { id: 1 } }, fake.secretHash)))!).to.deep.include({ status: 200, events: [] });
  });

  it('transactions whose tx_ref the plugin did not issue (payment links, other channels) yield no events', async () => {
    const foreign = fake.pay({ tx_ref: 'payment-link-42', amount: '10', currency: 'NGN' });
    expect((await deliver(fake.webhook('charge.completed', foreign.transaction_id)))!).to.deep.include({ status: 200, events: [] });
    const other = await inlinePayment(fake, makePlugin(fake, {}, 'nairobi'), '10', 'NGN');
    expect((await deliver(fake.webhook('charge.completed', other.transaction.id)))!).to.deep.include({ status: 200, events: [] });
  });

  for (const [label, id] of [['order.42 (not tx_ref-safe)', 'order.42'], ['a 61-character id', 'p'.repeat(61)]] as const) {
    it(`the tx_ref carries ${label}: a pending charge is settled and a refund completed by their webhooks, naming the payment`, async () => {
      const plugin = makePlugin(fake);
      const { transaction, token, clientToken } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paymentId: id, status: 'pending' });
      expect(clientToken.tx_ref.length).to.be.at.most(100);
      expect((await call(plugin.processPayment(payment({ paymentId: id, token }), null))).kind).to.equal('pending');
      (fake.state.transactions.get(transaction.id) as { status: string }).status = 'successful';
      const charge = (await deliver(fake.webhook('charge.completed', transaction.id)))!;
      expect(charge.events?.map((e) => [e.paymentId, e.response.kind, e.response.isSuccess, e.response.amount.toFixed(2)])).to.deep.equal([[id, 'capture', true, '1500.50']]);
      fake.state.refundStatus = 'pending';
      const refund = await call(plugin.refundPayment(payment({ paymentId: id, token: String(transaction.id), amount: new Decimal('100') }), null));
      expect(refund.kind).to.equal('refund_ongoing');
      fake.state.settleRefund(refund.transactionId!, 'completed');
      const refunded = (await deliver(fake.webhook('refund.completed', Number(refund.transactionId))))!;
      expect(refunded.events?.map((e) => [e.paymentId, e.response.kind, e.response.amount.toFixed(2)])).to.deep.equal([[id, 'refund', '100.00']]);
    });
  }

  it('charge.completed and refund.completed for a tx_ref this plugin did not issue for the channel: acknowledged without an event, and a warning logged (no secret in it)', async () => {
    const { logger, lines } = recordingLogger('warn');
    const logged = makeManager(fake, {}, logger);
    try {
      const foreign = fake.pay({ tx_ref: 'payment-link-42', amount: '10', currency: 'NGN' });
      const refund = fake.state.refund(foreign.transaction_id, { amount: 5 });
      for (const delivery of [fake.webhook('charge.completed', foreign.transaction_id), fake.webhook('refund.completed', refund.id)]) {
        const response = (await logged.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: delivery.headers, rawBody: delivery.rawBody }))!;
        expect(response).to.deep.include({ status: 200, events: [] });
      }
      const warnings = lines.filter((l) => String(l['msg']).includes('did not issue'));
      expect(warnings.map((l) => [l['event'], l['transactionId'], l['txRef']])).to.deep.equal([
        ['charge.completed', foreign.transaction_id, 'payment-link-42'],
        ['refund.completed', foreign.transaction_id, 'payment-link-42'],
      ]);
      for (const secret of [fake.secretKey, fake.secretHash]) expect(JSON.stringify(lines)).to.not.include(secret);
    } finally {
      await logged.close();
    }
  });

  it('a duplicate delivery carries the same event id, so the host inbox applies it once', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '1500.50', 'NGN');
    const delivery = fake.webhook('charge.completed', transaction.id);
    const inbox = new Set<string>();
    let applied = 0;
    for (let i = 0; i < 3; i++) {
      for (const event of (await deliver(delivery))!.events ?? []) {
        if (inbox.has(event.eventId)) continue;
        inbox.add(event.eventId);
        applied += 1;
      }
    }
    expect(applied).to.equal(1);
  });

  it('refuses a missing or wrong verif-hash (401, no events, no API call); header case does not matter', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '1500.50', 'NGN');
    fake.requests.length = 0;
    for (const hash of [null, 'wrong', `${fake.secretHash} `, fake.secretHash.toUpperCase(), '']) {
      const response = (await deliver(fake.webhook('charge.completed', transaction.id, { secretHash: hash })))!;
      expect(response.status, String(hash)).to.equal(401);
      expect(response.events).to.deep.equal([]);
    }
    expect(fake.requests).to.deep.equal([]);
    const good = fake.webhook('charge.completed', transaction.id);
    expect((await deliver({ rawBody: good.rawBody, headers: { 'Verif-Hash': fake.secretHash } }))!.status).to.equal(200);
    expect(verifHashMatches(fake.secretHash, fake.secretHash)).to.equal(true);
    expect(verifHashMatches('x', '')).to.equal(false);
  });

  it('takes a flutterwave-signature header instead of verif-hash: the base64 HMAC-SHA256 of the raw body keyed by the secret hash, never the secret hash itself', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '20', 'NGN');
    const good = fake.webhook('charge.completed', transaction.id);
    const hmac = createHmac('sha256', fake.secretHash).update(good.rawBody).digest('base64');
    const signed = (await deliver({ rawBody: good.rawBody, headers: { 'content-type': 'application/json', 'Flutterwave-Signature': hmac } }))!;
    expect(signed.status).to.equal(200);
    expect(signed.events?.length).to.equal(1);
    fake.requests.length = 0;
    const otherBody = createHmac('sha256', fake.secretHash).update(Buffer.from('{"event":"charge.completed"}')).digest('base64');
    const otherKey = createHmac('sha256', 'not-the-secret-hash').update(good.rawBody).digest('base64');
    const hex = createHmac('sha256', fake.secretHash).update(good.rawBody).digest('hex');
    // The secret hash itself signs no body: in this header it is refused, as is any HMAC of another body or key.
    for (const signature of [fake.secretHash, otherBody, otherKey, hex, '', 'wrong']) {
      const response = (await deliver({ rawBody: good.rawBody, headers: { 'flutterwave-signature': signature } }))!;
      expect(response.status, signature).to.equal(401);
      expect(response.events).to.deep.equal([]);
    }
    expect(fake.requests, 'no API call for a refused delivery').to.deep.equal([]);
    expect(signatureMatches(hmac, good.rawBody, fake.secretHash)).to.equal(true);
    expect(signatureMatches(fake.secretHash, good.rawBody, fake.secretHash)).to.equal(false);
    expect(signatureMatches(hmac, good.rawBody, '')).to.equal(false);
  });

  it('405 for non-POST, 400 for non-events, 503 when verification fails (so Flutterwave retries) or no hash is configured', async () => {
    const { transaction } = await inlinePayment(fake, makePlugin(fake), '10', 'NGN');
    const good = fake.webhook('charge.completed', transaction.id);
    expect((await deliver(good, 'GET'))!.status).to.equal(405);
    expect((await deliver({ rawBody: Buffer.from('nope'), headers: good.headers }))!.status).to.equal(400);
    expect((await deliver(flutterwaveWebhook({ hello: 'world' }, fake.secretHash)))!.status).to.equal(400);
    expect((await deliver(flutterwaveWebhook({ event: 'charge.completed', data: { id: 'x' } }, fake.secretHash)))!.status).to.equal(400);
    fake.injectNetworkError({ path: '/verify' });
    const unverified = (await deliver(good))!;
    expect(unverified.status).to.equal(503);
    expect(unverified.events).to.deep.equal([]);
    const unconfigured = makeManager(fake, { secret_hash: '' });
    expect((await unconfigured.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: good.headers, rawBody: good.rawBody }))!.status).to.equal(503);
    await unconfigured.close();
  });
});
