import { expect } from 'chai';
import Stripe from 'stripe';
import type { FakeStripe } from '@payhost/testkit/stripe';
import { RETURN_URL, SECRET_KEY, call, dec, makePlugin, payment, useFakeStripe } from './helpers.js';

// Guard: reconciliation cancels the payment's own refused pi_ token (ownTokenVerdict/settleRefused), but a token that
// names another channel or another payment is refused first (adoptionRefusal) and never canceled: its own payment
// may still finish 3-D Secure on it.
describe('stripe reconciliation: a token of another channel or payment, open, for another amount', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;

  /** A 10.00 USD intent made on `channel` (naming `paymentId` when given), 3-D Secure pending. */
  async function openIntent(fake: FakeStripe, channel: string, paymentId?: string): Promise<string> {
    const secret = await call(makePlugin(fake, {}, channel).getClientToken({ amount: dec('10.00'), currency: 'USD', ...(paymentId ? { data: { paymentId } } : {}) }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_threeDSecure2Required', return_url: RETURN_URL });
    expect(fake.paymentIntent(id)['status']).to.equal('requires_action');
    return id;
  }

  /** The status check of a lost 12.00 charge of pay-mine on channel "web" whose token is `id`. */
  function statusOf(fake: FakeStripe, id: string) {
    const p = payment({ paymentId: 'pay-mine', token: id, amount: dec('12.00') });
    const transaction = { id: 't1', paymentId: 'pay-mine', kind: 'capture' as const, amount: dec('12.00'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-mine:t1', gatewayTransactionId: id, pspReference: id, createdAt: new Date() };
    return call(makePlugin(fake).getTransactionStatus({ transaction, payment: p }, null));
  }

  for (const [what, channel, paymentId, reason] of [
    ['another channel', 'other-shop', undefined, /belongs to channel "other-shop", not "web"/],
    ['another channel, naming this payment', 'other-shop', 'pay-mine', /belongs to channel "other-shop", not "web"/],
    ['another payment', 'web', 'pay-other', /belongs to another payment/],
  ] as const) {
    it(`${what}: refused definitely, never canceled, its 3-D Secure can still finish`, async () => {
      const id = await openIntent(env.fake, channel, paymentId);
      const res = await statusOf(env.fake, id);
      expect(res).to.deep.include({ isSuccess: false });
      expect(res?.rawResponse?.['outcome_unknown']).to.not.equal(true);
      expect(res?.error).to.match(reason);
      expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
      env.fake.completeThreeDSecure(id);
      expect(env.fake.paymentIntent(id)['status']).to.not.equal('canceled');
    });
  }
});
