import { expect } from 'chai';
import { followUpSettleMs, refundResponse } from '@payhost/plugin-stripe';
import { call, dec, expectFailure, expectSuccess, intentCreations, key, makePlugin, payment, useFakeStripe } from './helpers.js';

describe('stripe: operations against the fake (real SDK)', () => {
  const env = useFakeStripe();

  it('processPayment with auto_capture creates and confirms one captured PaymentIntent', async () => {
    const p = payment({ orderId: 'order-7', customerId: null });
    const res = await call(makePlugin(env.fake).processPayment(p, null));
    expectSuccess(res, 'capture', '10');
    expect(res.transactionId).to.match(/^pi_/);
    expect(res.pspReference).to.equal(res.transactionId);
    expect(res.currency).to.equal('USD');
    expect(res.cardInfo).to.include({ last4: '4242', brand: 'visa' });
    expect(res.rawResponse).to.include({ status: 'succeeded', amount_received: 1000 });
    expect(JSON.stringify(res.rawResponse)).to.not.include('_secret_');
    const [req] = intentCreations(env.fake);
    expect(req?.idempotencyKey).to.equal(p.idempotencyKey);
    expect(req?.account).to.equal(null);
    expect(req?.params).to.deep.include({ amount: '1000', currency: 'usd', capture_method: 'automatic', confirm: 'true', payment_method: 'pm_card_visa', description: 'Order order-7' });
    expect(req?.params['metadata']).to.deep.include({ payhost_payment_id: p.paymentId, payhost_channel: 'web', payhost_idempotency_key: p.idempotencyKey });
    expect(req?.params).to.not.have.property('transfer_data');
    expect(req?.params).to.not.have.property('application_fee_amount');
  });

  it('processPayment without auto_capture and authorizePayment only authorize (manual capture)', async () => {
    const res = await call(makePlugin(env.fake, { auto_capture: false }).processPayment(payment(), null));
    expectSuccess(res, 'auth', '10');
    const auth = await call(makePlugin(env.fake, { auto_capture: true }).authorizePayment(payment(), null));
    expectSuccess(auth, 'auth', '10');
    expect(intentCreations(env.fake).map((r) => r.params['capture_method'])).to.deep.equal(['manual', 'manual']);
  });

  it('captures partially (the rest is released), then refunds several times up to the captured amount', async () => {
    const plugin = makePlugin(env.fake);
    const auth = await call(plugin.authorizePayment(payment({ amount: dec('100.00') }), null));
    const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('60.00'), idempotencyKey: key() }), null));
    expectSuccess(cap, 'capture', '60');
    expect(cap.transactionId).to.equal(auth.transactionId);
    const capture = env.fake.requestsTo(/\/capture$/)[0];
    expect(capture?.params).to.deep.include({ amount_to_capture: '6000' });
    const first = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('25.00'), idempotencyKey: key() }), null));
    expectSuccess(first, 'refund', '25');
    expect(first.transactionId).to.match(/^re_/);
    expect(first.pspReference).to.equal(auth.pspReference);
    const second = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('35.00'), idempotencyKey: key() }), null));
    expectSuccess(second, 'refund', '35');
    expect(second.transactionId).to.not.equal(first.transactionId);
    const over = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('0.01'), idempotencyKey: key() }), null));
    expectFailure(over, 'processing_error', /already been refunded/);
    expect(over.kind).to.equal('refund');
    const refunds = env.fake.requestsTo('/v1/refunds', 'POST');
    expect(refunds.map((r) => r.params['amount'])).to.deep.equal(['2500', '3500', '1']);
    expect(refunds[0]?.params).to.deep.include({ payment_intent: auth.pspReference });
    expect(refunds[0]?.params).to.not.have.property('refund_application_fee');
  });

  it('a refund Stripe has not completed yet is refund_ongoing; failed and canceled refunds are refund_failed', async () => {
    const plugin = makePlugin(env.fake);
    const charged = await call(plugin.processPayment(payment({ token: 'pm_card_pendingRefund' }), null));
    const pending = await call(plugin.refundPayment(payment({ token: charged.transactionId, amount: dec('4.00'), idempotencyKey: key() }), null));
    expectSuccess(pending, 'refund_ongoing', '4');
    const base = { id: 're_1', object: 'refund', amount: 400, currency: 'usd', payment_intent: 'pi_1', charge: 'ch_1', metadata: {}, reason: null } as const;
    expect(refundResponse({ ...base, status: 'succeeded' } as never, null, false, null).kind).to.equal('refund');
    expect(refundResponse({ ...base, status: 'requires_action' } as never, null, false, null).kind).to.equal('refund_ongoing');
    for (const status of ['failed', 'canceled']) {
      const res = refundResponse({ ...base, status, failure_reason: 'expired_or_canceled_card' } as never, 'acct_1', false, null);
      expect(res).to.deep.include({ kind: 'refund_failed', isSuccess: false, errorCode: 'processing_error', transactionId: 'acct_1:re_1', pspReference: 'pi_1' });
      expect(res.error).to.match(/expired_or_canceled_card/);
    }
  });

  it('a capture above the authorization fails with Stripe\'s message and changes nothing', async () => {
    const plugin = makePlugin(env.fake);
    const auth = await call(plugin.authorizePayment(payment(), null));
    const over = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('10.01'), idempotencyKey: key() }), null));
    expectFailure(over, 'processing_error', /amount_to_capture/);
    expect(over.kind).to.equal('capture');
    expect(env.fake.paymentIntent(auth.pspReference ?? '')['status']).to.equal('requires_capture');
  });

  it('voidPayment cancels an authorization; a captured intent cannot be voided', async () => {
    const plugin = makePlugin(env.fake);
    const auth = await call(plugin.authorizePayment(payment(), null));
    const voided = await call(plugin.voidPayment(payment({ token: auth.transactionId, idempotencyKey: key() }), null));
    expectSuccess(voided, 'void', '10');
    expect(env.fake.paymentIntent(auth.pspReference ?? '')['status']).to.equal('canceled');
    const captured = await call(plugin.processPayment(payment(), null));
    const refused = await call(plugin.voidPayment(payment({ token: captured.transactionId, idempotencyKey: key() }), null));
    expectFailure(refused, 'processing_error', /status of succeeded/);
    expect(refused.kind).to.equal('void');
  });

  it('converts amounts with Stripe\'s exponents: JPY has none, KWD has three (see amounts.test.ts)', async () => {
    const plugin = makePlugin(env.fake);
    const jpy = await call(plugin.processPayment(payment({ amount: dec('1500'), currency: 'JPY' }), null));
    expectSuccess(jpy, 'capture', '1500');
    expect(jpy.currency).to.equal('JPY');
    const kwd = await call(plugin.processPayment(payment({ amount: dec('1.230'), currency: 'KWD' }), null));
    expectSuccess(kwd, 'capture', '1.23');
    expect(intentCreations(env.fake).map((r) => [r.params['amount'], r.params['currency']])).to.deep.equal([
      ['1500', 'jpy'],
      ['1230', 'kwd'],
    ]);
  });

  it('refuses tokens that are not Stripe ids, and follow-ups without an intent reference, without calling Stripe', async () => {
    const plugin = makePlugin(env.fake);
    expectFailure(await call(plugin.processPayment(payment({ token: '4242424242424242' }), null)), 'processing_error', /Unknown token/);
    expectFailure(await call(plugin.capturePayment(payment({ token: 'ch_123' }), null)), 'processing_error', /PaymentIntent reference/);
    expectFailure(await call(plugin.processPayment(payment({ token: null }), null)), 'processing_error', /not associated to an account on the processor and no token was passed/);
    expect(env.fake.requests).to.have.length(0);
  });

  it('an inactive plugin passes every hook through', async () => {
    const { StripeGatewayPlugin } = await import('@payhost/plugin-stripe');
    const { silentLogger } = await import('@payhost/core');
    const plugin = new StripeGatewayPlugin({ channel: 'web', active: false, configuration: StripeGatewayPlugin.defaultConfiguration, logger: silentLogger() });
    expect(await plugin.processPayment(payment(), null)).to.equal(undefined);
    expect(await plugin.getPaymentConfig({ channel: 'web' }, [])).to.equal(undefined);
  });
});

describe('stripe: intent status -> transaction kind', () => {
  const env = useFakeStripe();

  const cases: Array<[string, string, boolean]> = [
    ['requires_action', 'action_to_confirm', true],
    ['requires_confirmation', 'action_to_confirm', true],
    ['requires_payment_method', 'action_to_confirm', true],
    ['processing', 'pending', false],
    ['requires_capture', 'auth', false],
    ['succeeded', 'capture', false],
  ];
  for (const [status, kind, actionRequired] of cases) {
    it(`${status} -> ${kind}`, async () => {
      const plugin = makePlugin(env.fake, { auto_capture: false });
      const auth = await call(plugin.authorizePayment(payment(), null));
      env.fake.setIntentStatus(auth.pspReference ?? '', status);
      // read through the reconciliation hook: it only retrieves (confirmPayment would confirm requires_confirmation)
      const transaction = { id: 't', paymentId: 'p', kind: 'confirm' as const, amount: dec('10'), currency: 'USD', gatewayIdempotencyKey: 'payhost:confirm:p:t', gatewayTransactionId: auth.transactionId, pspReference: auth.pspReference ?? null, createdAt: new Date() };
      const res = await call(plugin.getTransactionStatus({ transaction, payment: payment({ token: auth.transactionId }) }, null));
      expect(res?.isSuccess).to.equal(true);
      expect(res?.kind).to.equal(kind);
      expect(res?.actionRequired).to.equal(actionRequired);
      if (actionRequired) expect(res?.actionRequiredData).to.include({ paymentIntentId: auth.pspReference, type: 'stripe_payment_intent' }).and.to.have.property('clientSecret').that.matches(/_secret_/);
    });
  }

  it('canceled -> void for voidPayment, and a failure for anything else', async () => {
    const plugin = makePlugin(env.fake, { auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment(), null));
    expectSuccess(await call(plugin.voidPayment(payment({ token: auth.transactionId, idempotencyKey: key() }), null)), 'void', '10');
    const confirmed = await call(plugin.confirmPayment(payment({ token: auth.transactionId, idempotencyKey: key() }), null));
    expectFailure(confirmed, 'processing_error', /canceled/);
  });

  it('a processing card gives pending, then the settled intent confirms as captured', async () => {
    const plugin = makePlugin(env.fake);
    const res = await call(plugin.processPayment(payment({ token: 'pm_card_processing' }), null));
    expectSuccess(res, 'pending', '10');
    env.fake.settleProcessing(res.pspReference ?? '');
    const done = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key() }), null));
    expectSuccess(done, 'capture', '10');
    expect(done.transactionAlreadyProcessed).to.equal(true);
  });
});

describe('stripe: reconciliation reads what Stripe can tell', () => {
  const env = useFakeStripe();
  const hour = 3_600_000;

  /** A charge transaction whose call never reached Stripe (the process died first), created `ageMs` ago. */
  function lostCharge(ageMs: number) {
    const p = payment();
    const gatewayIdempotencyKey = `payhost:process:${p.paymentId}:t`;
    const transaction = { id: 't', paymentId: p.paymentId, kind: 'capture' as const, amount: dec('10'), currency: 'USD', gatewayIdempotencyKey, gatewayTransactionId: null, pspReference: null, createdAt: new Date(Date.now() - ageMs) };
    return { transaction, payment: { ...p, idempotencyKey: gatewayIdempotencyKey } };
  }

  it('a charge its search does not find is not "never made" while Stripe\'s search index may still lag (up to an hour in outages)', async () => {
    const plugin = makePlugin(env.fake);
    expect(await call(plugin.getTransactionStatus(lostCharge(30 * 60_000), null)), '30 minutes').to.equal(null);
    expect(await call(plugin.getTransactionStatus(lostCharge(90 * 60_000), null)), '90 minutes').to.equal(null);
    const old = await call(plugin.getTransactionStatus(lostCharge(3 * hour), null));
    expectFailure(old as never, 'processing_error', /never took effect/);
  });

  it('a refund or capture Stripe does not show is "never made" only once its request cannot still be running (followUpSettleMs)', async () => {
    const plugin = makePlugin(env.fake);
    const charged = await call(plugin.processPayment(payment(), null));
    const auth = await call(makePlugin(env.fake, { auto_capture: false }).authorizePayment(payment(), null));
    // A refund and a capture whose requests timed out here: Stripe may still carry them out.
    const status = (kind: 'refund' | 'capture', reference: string | null, ageMs: number) => {
      const p = payment({ token: reference, idempotencyKey: key() });
      const transaction = { id: 't', paymentId: p.paymentId, kind, amount: dec('10'), currency: 'USD', gatewayIdempotencyKey: String(p.idempotencyKey), gatewayTransactionId: null, pspReference: reference, createdAt: new Date(Date.now() - ageMs) };
      return call(plugin.getTransactionStatus({ transaction, payment: p }, null));
    };
    expect(await status('refund', charged.pspReference ?? null, 60_000), 'refund, a minute old').to.equal(null);
    expect(await status('capture', auth.pspReference ?? null, 60_000), 'capture, a minute old').to.equal(null);
    expectFailure((await status('refund', charged.pspReference ?? null, hour)) as never, 'processing_error', /never took effect/);
    expectFailure((await status('capture', auth.pspReference ?? null, hour)) as never, 'processing_error', /never took effect/);
    // Five minutes at least; longer when one request (every SDK retry included) may take longer.
    expect(followUpSettleMs({ timeoutMs: 10_000, maxNetworkRetries: 1 })).to.equal(5 * 60_000);
    expect(followUpSettleMs({ timeoutMs: 120_000, maxNetworkRetries: 2 })).to.equal(720_000);
  });

  it('finds a refund made with the key on any page of the intent\'s refunds (more than 100)', async () => {
    const plugin = makePlugin(env.fake);
    const charged = await call(plugin.processPayment(payment({ amount: dec('150.00') }), null));
    const first = payment({ token: charged.transactionId, amount: dec('1.00'), idempotencyKey: key() });
    expectSuccess(await call(plugin.refundPayment(first, null)), 'refund', '1');
    for (let i = 0; i < 100; i++) await call(plugin.refundPayment(payment({ token: charged.transactionId, amount: dec('1.00'), idempotencyKey: key() }), null));
    const transaction = { id: 'r', paymentId: first.paymentId, kind: 'refund' as const, amount: dec('1'), currency: 'USD', gatewayIdempotencyKey: `payhost:refund:${first.paymentId}:r`, gatewayTransactionId: null, pspReference: charged.pspReference ?? null, createdAt: new Date() };
    // The refund of the first call, which is on the second page (Stripe lists newest first).
    const res = await call(plugin.getTransactionStatus({ transaction: { ...transaction, gatewayIdempotencyKey: String(first.idempotencyKey) }, payment: first }, null));
    expectSuccess(res as never, 'refund', '1');
  });
});
