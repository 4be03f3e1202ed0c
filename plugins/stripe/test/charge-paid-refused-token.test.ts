import { expect } from 'chai';
import Stripe from 'stripe';
import { GatewayDeclinedError } from '@payhost/core';
import type { FakeStripe } from '@payhost/testkit/stripe';
import { CHANNEL, RETURN_URL, SECRET_KEY, call, dec, key, makeLedger, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { paidInBrowser, withLedger } from './paid-intents.js';

// Review finding: at charge time a pi_ token that had already taken the money (succeeded) but was refused for this
// payment (another amount, currency or Connect terms: the customer paid 10.00 through Stripe.js, the payment is
// 12.00) was a definite failure with no reference: the payment was recorded failed, nobody was told, and the money
// stayed at Stripe unrecorded. Now it is held for a person (outcome_unknown) naming the intent and the refund to make,
// as reconciliation answers it (fad3190). An intent of another payment, or not payhost's, stays a definite refusal.
describe('stripe: a pi_ token refused at charge time after it took the money', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;
  const REFUND_IT = /took the customer's money \(1000 usd, minor units; succeeded\), not recorded as this payment's charge: refund it in the Stripe dashboard, then resolve this transaction as failed/;

  /** A client-token intent for 10.00 USD naming `paymentId`, paid in the browser. */
  async function paidFor(fake: FakeStripe, paymentId: string, settings: Record<string, string> = {}): Promise<string> {
    const secret = await call(makePlugin(fake, settings).getClientToken({ amount: dec('10.00'), currency: 'USD', data: { paymentId } }, null));
    const id = secret.split('_secret_')[0] ?? '';
    await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
    expect(fake.paymentIntent(id)['status']).to.equal('succeeded');
    return id;
  }

  it('paid 10.00 for a 12.00 payment (unbound, or bound to it from the start): outcome_unknown naming the intent and the refund, nothing canceled or bound', async () => {
    const unbound = await paidInBrowser(env.fake);
    for (const [id, paymentId] of [[unbound, 'pay-12'], [await paidFor(env.fake, 'pay-own'), 'pay-own']] as const) {
      const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId, token: id, amount: dec('12.00') }), null));
      expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
      expect(res.rawResponse).to.deep.include({ outcome_unknown: true, intent_status: 'succeeded' });
      expect(res.error).to.match(new RegExp(`PaymentIntent ${id} is for 1000 usd, not 1200 usd \\(minor units\\)\\. Yet the intent`)).and.match(REFUND_IT);
      expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');
    }
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.deep.equal([]);
    expect(env.fake.paymentIntent(unbound)['metadata']).to.not.have.property('payhost_payment_id');
  });

  it('paid with another Connect fee: held the same way, the refusal code kept', async () => {
    const before = { mode: 'FORWARD', connected_account_id: 'acct_1ProviderAAAAAAA', application_fee_percent: '2.5' };
    const id = await paidFor(env.fake, 'pay-fee', before);
    const res = await call(makePlugin(env.fake, { ...before, application_fee_percent: '3' }).processPayment(payment({ paymentId: 'pay-fee', token: id, amount: dec('10.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id });
    expect(res.rawResponse).to.deep.include({ code: 'fee_mismatch', outcome_unknown: true, intent_status: 'succeeded' });
    expect(res.error).to.match(/application fee of 25, not this payment's 30 /).and.match(REFUND_IT);
  });

  it('through the ledger: held for review, the review item naming the intent and "refund it"; not charged', async () => {
    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const id = await paidInBrowser(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: id });
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
      const [row] = await service.listTransactions(created.id);
      expect(row).to.deep.include({ state: 'review', pspReference: null });
      const item = (await service.listReviewPage({ limit: 10, after: null })).items.find((i) => i.transaction.id === row?.id);
      expect(item?.transaction.error).to.include(`PaymentIntent ${id}`).and.include(`Gateway reference: ${id}`).and.match(REFUND_IT);
      expect(item?.transaction.rawResponse).to.deep.include({ outcome_unknown: true, intent_status: 'succeeded' });
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
      expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');
    });
  });

  it('an intent bound to another payment, or not payhost\'s, paid for another amount: still a definite refusal naming why, nothing held', async () => {
    const other = await paidFor(env.fake, 'pay-other');
    const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId: 'pay-mine', token: other, amount: dec('12.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: '' });
    expect(res.error).to.match(/belongs to another payment/).and.not.match(/refund it/);
    expect(res.rawResponse?.['outcome_unknown']).to.not.equal(true);

    const foreign = await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, return_url: RETURN_URL });
    expect(foreign.status).to.equal('succeeded');
    const res2 = await call(makePlugin(env.fake).processPayment(payment({ token: foreign.id, amount: dec('12.00') }), null));
    expect(res2).to.deep.include({ isSuccess: false, transactionId: '' });
    expect(res2.error).to.match(/not created through payhost/);
    expect(res2.rawResponse?.['outcome_unknown']).to.not.equal(true);

    await withLedger(makeLedger(env.fake), async ({ service }) => {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: other });
      const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      expect(err.message).to.match(/belongs to another payment/);
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'applied', isSuccess: false });
      expect((await service.listReviewPage({ limit: 10, after: null })).items).to.deep.equal([]);
    });
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.deep.equal([]);
  });
});
