import { expect } from 'chai';
import Stripe from 'stripe';
import { GatewayDeclinedError, type PaymentService } from '@payhost/core';
import { CHANNEL, SECRET_KEY, WEBHOOK_SECRET, call, dec, expectFailure, expectSuccess, key, makeLedger, makePlugin, payment, rejection, useFakeStripe, RETURN_URL } from './helpers.js';

/** A pi_ token confirmed in the browser, as Stripe.js does with the client secret. */
async function browserConfirms(fake: { sdkOptions(): object }, clientSecret: string): Promise<string> {
  const id = clientSecret.split('_secret_')[0] ?? '';
  await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
  return id;
}

// One paid PaymentIntent must never pay several payments (audit: stripe-pi-replay).
describe('stripe: adopting an existing PaymentIntent (pi_ token)', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());
  const pay = async (service: PaymentService, token: string) => {
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token });
    return { created, result: service.process({ paymentId: created.id, idempotencyKey: key() }) };
  };

  it('a client-token intent pays the first payment that brings it; the next payment with the same intent is refused', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const secret = await call(makePlugin(env.fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
      const intentId = await browserConfirms(env.fake, secret);
      const first = await pay(service, intentId);
      expect((await first.result).payment.chargeStatus).to.equal('fully-charged');
      // The intent is now bound to that payment.
      expect(env.fake.paymentIntent(intentId)['metadata']).to.deep.include({ payhost_payment_id: first.created.id, payhost_channel: CHANNEL });

      const second = await pay(service, intentId);
      const err = await rejection(second.result);
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      expect(err.message).to.match(/belongs to another payment/);
      const after = await service.getPayment(second.created.id);
      expect(after.chargeStatus).to.equal('not-charged');
      expect(after.capturedAmount.eq(0)).to.equal(true);
      expect(after.pspReference).to.equal(null);
    } finally {
      await manager.close();
    }
  });

  it('two payments bringing one unbound intent at the same time: exactly one is charged, whichever binds it', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const secret = await call(makePlugin(env.fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
      const intentId = await browserConfirms(env.fake, secret);
      // Both read the intent unbound before either writes its metadata (Stripe has no compare-and-set): the
      // plugin may accept it twice, and the ledger's PSP reference claim keeps the second from counting.
      const [a, b] = await Promise.all([pay(service, intentId), pay(service, intentId)]);
      const results = await Promise.allSettled([a.result, b.result]);
      const charged = results.filter((r) => r.status === 'fulfilled');
      expect(charged).to.have.length(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused?.reason).to.be.instanceOf(GatewayDeclinedError);
      const payments = await Promise.all([a, b].map((p) => service.getPayment(p.created.id)));
      expect(payments.map((p) => p.chargeStatus).sort()).to.deep.equal(['fully-charged', 'not-charged']);
      expect(payments.filter((p) => p.pspReference === intentId)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });

  it('an intent the plugin created for one payment cannot pay another', async () => {
    const plugin = makePlugin(env.fake);
    const paid = await call(plugin.processPayment(payment(), null));
    expectSuccess(paid, 'capture', '10');
    const replay = await call(plugin.processPayment(payment({ token: paid.pspReference }), null));
    expectFailure(replay, 'processing_error', /belongs to another payment/);
    expect(replay.pspReference).to.equal(null);
    expect(env.fake.requestsTo(/^\/v1\/payment_intents\/pi_\w+$/, 'POST')).to.have.length(0); // nothing written to the intent
  });

  it('an intent of another channel, or one without payhost metadata, is refused', async () => {
    const plugin = makePlugin(env.fake);
    const foreign = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    expectFailure(await call(plugin.processPayment(payment({ token: foreign.id }), null)), 'processing_error', /not created through payhost/);
    const otherChannel = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_channel: 'mobile' } });
    expectFailure(await call(plugin.processPayment(payment({ token: otherChannel.id }), null)), 'processing_error', /belongs to channel "mobile", not "web"/);
    expect(env.fake.paymentIntent(foreign.id)['metadata']).to.deep.equal({});
  });

  it('the intent is checked before anything else: a refused intent is not confirmed', async () => {
    const plugin = makePlugin(env.fake);
    const waiting = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', metadata: { payhost_payment_id: 'someone-else', payhost_channel: CHANNEL } });
    expect(waiting.status).to.equal('requires_confirmation');
    expectFailure(await call(plugin.processPayment(payment({ token: waiting.id }), null)), 'processing_error', /belongs to another payment/);
    expect(env.fake.paymentIntent(waiting.id)['status']).to.equal('requires_confirmation');
  });

  // Stripe refuses to confirm an intent whose automatic payment methods allow redirects (getClientToken's) without a
  // return_url, even for a card: the confirmation the plugin makes for such an intent needs data.returnUrl.
  it('a client-token intent waiting for server-side confirmation is confirmed only with data.returnUrl (Stripe requires a return_url)', async () => {
    const plugin = makePlugin(env.fake);
    const secret = await call(plugin.getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await sdk().paymentIntents.update(id, { payment_method: 'pm_card_visa' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_confirmation');
    const refused = await call(plugin.processPayment(payment({ paymentId: 'pay-return', token: id }), null));
    expectFailure(refused, 'processing_error', /return_url/);
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_confirmation');
    const paid = await call(plugin.processPayment(payment({ paymentId: 'pay-return', token: id, idempotencyKey: key(), data: { returnUrl: RETURN_URL } }), null));
    expectSuccess(paid, 'capture', '10');
    expect(env.fake.requestsTo(/\/confirm$/).at(-1)?.params).to.deep.include({ return_url: RETURN_URL });
  });

  it('reconciliation does not adopt an intent of another payment, nor one never bound to this payment unless it is its own paid token', async () => {
    const plugin = makePlugin(env.fake);
    const paid = await call(plugin.processPayment(payment({ paymentId: 'pay-A' }), null));
    const statusOf = (paymentId: string, token: string, options: { amount?: string; reference?: string } = {}) => {
      const amount = dec(options.amount ?? '10');
      const transaction = { id: 't1', paymentId, kind: 'capture' as const, amount, currency: 'USD', gatewayIdempotencyKey: `payhost:process:${paymentId}:t1`, gatewayTransactionId: options.reference ?? null, pspReference: null, createdAt: new Date() };
      return call(plugin.getTransactionStatus({ transaction, payment: payment({ paymentId, token, amount }) }, null));
    };
    const own = await statusOf('pay-A', paid.pspReference ?? '');
    expect(own).to.deep.include({ isSuccess: true, kind: 'capture', pspReference: paid.pspReference });
    const other = await statusOf('pay-B', paid.pspReference ?? '');
    expect(other).to.deep.include({ isSuccess: false, kind: 'capture', pspReference: null });
    expect(other?.error).to.match(/belongs to another payment/);

    // Unbound (the charge's read failed before it bound the intent): its own paid token, for its amount, is its charge
    // (the ledger's PSP reference claim keeps it to one payment: adoption-read-failure.test.ts); nothing is written.
    const secret = await call(plugin.getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const unbound = await browserConfirms(env.fake, secret);
    expect(await statusOf('pay-C', unbound)).to.deep.include({ isSuccess: true, kind: 'capture', pspReference: unbound });
    expect(env.fake.paymentIntent(unbound)['metadata']).to.not.have.property('payhost_payment_id');
    // Its own token the customer can still pay (not confirmed yet, 3-D Secure pending): cannot tell yet, never a failure,
    // or the charge Stripe.js may still make would go unrecorded (bind-failure-open-intent.test.ts).
    const waiting = (await call(plugin.getClientToken({ amount: dec('10.00'), currency: 'USD' }, null))).split('_secret_')[0] ?? '';
    expect(env.fake.paymentIntent(waiting)['status']).to.equal('requires_payment_method');
    expect(await statusOf('pay-C', waiting)).to.equal(null);
    // Its own paid token for another amount took money the charge refused: held for a person ("cannot tell",
    // outcome_unknown, naming the intent), never recorded as the charge nor as a failure (refused-open-intent.test.ts).
    const tookMoney = await statusOf('pay-C', unbound, { amount: '20' });
    expect(tookMoney).to.deep.include({ isSuccess: false, transactionId: unbound });
    expect(tookMoney?.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(tookMoney?.error).to.match(/took the customer's money .*refund it in the Stripe dashboard/);
    // Anything else unbound never became the payment's charge: another token, another payment's open intent, and its own
    // open token for another amount (canceled first: refused-open-intent.test.ts).
    for (const never of [
      await statusOf('pay-C', 'pm_card_visa', { reference: unbound }),
      await statusOf('pay-C', 'pm_card_visa', { reference: waiting }),
      await statusOf('pay-C', waiting, { amount: '20' }),
    ]) {
      expect(never).to.deep.include({ isSuccess: false });
      expect(never?.error).to.match(/never bound to this payment/);
    }
    expect(env.fake.paymentIntent(waiting)['status']).to.equal('canceled');
  });

  it('webhook events of intents payhost did not create are acknowledged, not turned into ledger events', async () => {
    await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const res = await call(makePlugin(env.fake).webhook(env.fake.webhook(env.fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET), null));
    expect(res).to.deep.include({ status: 200, events: [] });
    expect(res.body).to.deep.include({ handled: false });
  });
});
