import { expect } from 'chai';
import Stripe from 'stripe';
import { CHANNEL, SECRET_KEY, call, dec, expectSuccess, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
/** A percent fee with no fixed part: on a small charge it rounds to 0, so the intent carries none. */
const PERCENT_ONLY = { application_fee_percent: '1', application_fee_fixed: 'USD 0, EUR 0, JPY 0, KWD 0' };

// Review finding: a refund of a direct charge (REMOTE) always sent refund_application_fee=true, which Stripe refuses
// with a 400 ("Attempting to refund_application_fee on ch_..., but it has no application fee") when the charge carries
// no fee; a FORWARD partial capture scaling the fee to 0 then asked it back too. The refund failed as a whole.
describe('stripe: a refund asks for the application fee back only from a charge that has one', () => {
  const env = useFakeStripe();
  const refundParams = () => env.fake.requestsTo('/v1/refunds', 'POST').map((r) => r.params);
  const refundOf = (token: string, amount: string, data: Record<string, unknown> | null = null) => payment({ token, amount: dec(amount), idempotencyKey: key(), data });

  describe('the fake Stripe refuses what the charge does not have', () => {
    const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());

    it('refund_application_fee on a charge without a fee, reverse_transfer on one without a transfer: 400 invalid_request_error, nothing refunded', async () => {
      const intent = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
      for (const [param, message] of [
        ['refund_application_fee', /^Attempting to refund_application_fee on ch_\w+, but it has no application fee\.$/],
        ['reverse_transfer', /^Attempting to reverse_transfer on ch_\w+, but it has no transfer\.$/],
      ] as const) {
        const err = await sdk().refunds.create({ payment_intent: intent.id, amount: 100, [param]: true }).then(() => null, (e: Stripe.errors.StripeError) => e);
        expect(err, param).to.be.instanceOf(Stripe.errors.StripeInvalidRequestError);
        expect(err).to.deep.include({ statusCode: 400, param });
        expect(err?.message).to.match(message);
      }
      expect(env.fake.state.account(null).refunds.size).to.equal(0);
      // false asks nothing: taken as before.
      expect((await sdk().refunds.create({ payment_intent: intent.id, amount: 100, refund_application_fee: false, reverse_transfer: false })).status).to.equal('succeeded');
    });

    it('a charge whose fee is 0 has none to refund', async () => {
      const intent = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, application_fee_amount: 0 }, { stripeAccount: PROVIDER });
      const err = await sdk().refunds.create({ payment_intent: intent.id, refund_application_fee: true }, { stripeAccount: PROVIDER }).then(() => null, (e: Error) => e);
      expect(err?.message).to.match(/but it has no application fee/);
    });
  });

  describe('REMOTE (direct charges)', () => {
    const cases: { name: string; settings: Record<string, unknown>; amount: string; data?: Record<string, unknown> }[] = [
      { name: 'no fee configured', settings: {}, amount: '10.00' },
      { name: 'a percent fee rounding to 0 on a small charge', settings: PERCENT_ONLY, amount: '0.49' },
      { name: 'the payment\'s own fee "0" (data.applicationFee)', settings: PERCENT_ONLY, amount: '10.00', data: { applicationFee: '0' } },
    ];
    for (const c of cases) {
      it(`${c.name}: the refund sends no refund_application_fee, and Stripe takes it`, async () => {
        const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, ...c.settings });
        const charged = await call(plugin.processPayment(payment({ amount: dec(c.amount), data: c.data ?? null }), null));
        expectSuccess(charged, 'capture', c.amount);
        expect(env.fake.state.account(PROVIDER).paymentIntents.get(charged.pspReference ?? '')?.['application_fee_amount']).to.equal(null);
        env.fake.clearLog();
        expectSuccess(await call(plugin.refundPayment(refundOf(charged.transactionId, c.amount, c.data ?? null), null)), 'refund', c.amount);
        expect(refundParams()[0]).to.not.have.property('refund_application_fee');
        // The intent is read on the connected account first, as a platform charge's is.
        expect(env.fake.requests.map((r) => `${r.method} ${r.path.replace(/\w+_\w+$/, 'ID')} ${r.account}`)).to.deep.equal([`GET /v1/payment_intents/ID ${PROVIDER}`, `POST /v1/refunds ${PROVIDER}`]);
      });
    }

    it('a charge made without a fee is refunded without asking one back after a fee was configured (its terms, not the settings)', async () => {
      const charged = await call(makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER }).processPayment(payment({ amount: dec('20.00') }), null));
      const withFee = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, application_fee_percent: '5' });
      expectSuccess(await call(withFee.refundPayment(refundOf(charged.transactionId, '20.00'), null)), 'refund', '20');
      expect(refundParams()[0]).to.not.have.property('refund_application_fee');
    });

    it('a charge with a fee still refunds it, unless data.refundApplicationFee = false', async () => {
      const plugin = makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, ...PERCENT_ONLY });
      const charged = await call(plugin.processPayment(payment({ amount: dec('100.00') }), null));
      expect(env.fake.state.account(PROVIDER).paymentIntents.get(charged.pspReference ?? '')?.['application_fee_amount']).to.equal(100);
      expectSuccess(await call(plugin.refundPayment(refundOf(charged.transactionId, '10.00'), null)), 'refund', '10');
      expectSuccess(await call(plugin.refundPayment(refundOf(charged.transactionId, '10.00', { refundApplicationFee: false }), null)), 'refund', '10');
      expect(refundParams()[0]).to.deep.include({ refund_application_fee: 'true' });
      expect(refundParams()[1]).to.not.have.property('refund_application_fee');
    });

    it('through the ledger: the payment is refunded in full', async () => {
      const { manager, service } = makeLedger(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER });
      try {
        const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa' });
        const refunded = await service.refund({ paymentId: paid.payment.id, idempotencyKey: key(), amount: '10.00' });
        expect(refunded.payment.chargeStatus).to.equal('fully-refunded');
      } finally {
        await manager.close();
      }
    });
  });

  it('FORWARD: a partial capture scaling the fee to 0 sends 0 (left out, Stripe would keep the whole fee); the refund reverses the transfer and asks no fee', async () => {
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, ...PERCENT_ONLY, auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: dec('1.00') }), null));
    expect(env.fake.paymentIntent(auth.pspReference ?? '')['application_fee_amount']).to.equal(1);
    // 1 x 40 / 100 = 0.4, rounded half up: 0.
    const cap = await call(plugin.capturePayment(refundOf(auth.transactionId, '0.40'), null));
    expectSuccess(cap, 'capture', '0.4');
    expect(env.fake.requestsTo(/\/capture$/)[0]?.params).to.deep.include({ amount_to_capture: '40', application_fee_amount: '0' });
    expectSuccess(await call(plugin.refundPayment(refundOf(cap.transactionId, '0.40'), null)), 'refund', '0.4');
    expect(refundParams()[0]).to.deep.include({ reverse_transfer: 'true' });
    expect(refundParams()[0]).to.not.have.property('refund_application_fee');
  });

  it('FORWARD: an intent of the payment whose fee is 0 is adopted as one without a fee (not fee_mismatch)', async () => {
    const sdk = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    const intent = await sdk.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      application_fee_amount: 0,
      transfer_data: { destination: PROVIDER },
      metadata: { payhost_channel: CHANNEL },
    });
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER });
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('10.00'), token: intent.id }), null)), 'capture', '10');
  });
});
