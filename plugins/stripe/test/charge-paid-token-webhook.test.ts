import { expect } from 'chai';
import Stripe from 'stripe';
import type { PaymentService } from '@payhost/core';
import type { FakeStripe } from '@payhost/testkit/stripe';
import { CHANNEL, RETURN_URL, SECRET_KEY, call, dec, key, makeLedger, makePlugin, rejection, useFakeStripe } from './helpers.js';
import { paidInBrowser, succeededWebhook, withLedger } from './paid-intents.js';

// Question on 8f5a6d5: a pi_ token bound to its payment before the charge (metadata payhost_payment_id names it) that
// already took 10.00 for a 12.00 payment is held at charge time ("refund it in the Stripe dashboard"). Its
// payment_intent.succeeded names the payment. Pinned here: the event records the 10.00 as that payment's charge (the
// ledger's answer to a charge made outside a call), whichever comes first; applied after the hold it settles the held
// row, so the review item and its "refund it" leave the list in the same write. The plugin cannot refuse the event
// itself: it names no payment total (the 12.00 is only in the ledger). An unbound intent's event names no payment:
// the held row stays for the person.
describe('stripe: the payment_intent.succeeded of a paid pi_ token refused at charge time', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;

  /** A 12.00 USD payment brought with a client-token intent of 10.00 that names it (as data.paymentId does), paid in the browser. */
  async function boundAndPaid(fake: FakeStripe, service: PaymentService): Promise<{ paymentId: string; intentId: string }> {
    const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
    const intentId = secret.split('_secret_')[0] ?? '';
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: intentId });
    // The payment's id exists only once the payment does (its token is the intent): named here as getClientToken's data.paymentId names it.
    const sdk = new Stripe(SECRET_KEY, fake.sdkOptions());
    await sdk.paymentIntents.update(intentId, { metadata: { payhost_payment_id: created.id } });
    await sdk.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
    expect(fake.paymentIntent(intentId)['status']).to.equal('succeeded');
    return { paymentId: created.id, intentId };
  }

  async function reviewIds(service: PaymentService): Promise<string[]> {
    return (await service.listReviewPage({ limit: 10, after: null })).items.map((i) => i.transaction.id);
  }

  it('bound, delivered after the hold: settles the held row as a 10.00 charge; the review item leaves the list', async () => {
    await withLedger(makeLedger(env.fake), async ({ service, manager }) => {
      const { paymentId, intentId } = await boundAndPaid(env.fake, service);
      expect((await rejection(service.process({ paymentId, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
      const [held] = await service.listTransactions(paymentId);
      expect(held).to.deep.include({ kind: 'capture', state: 'review' });
      expect(held?.error).to.match(/refund it in the Stripe dashboard/);
      expect(await reviewIds(service)).to.deep.equal([held?.id]);

      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['applied']);
      const rows = await service.listTransactions(paymentId);
      expect(rows).to.have.length(1);
      expect(rows[0]).to.deep.include({ id: held?.id, kind: 'capture', state: 'applied', isSuccess: true, error: null, pspReference: intentId });
      expect(rows[0]?.amount.eq('10')).to.equal(true);
      const charged = await service.getPayment(paymentId);
      expect(charged).to.deep.include({ chargeStatus: 'partially-charged', pspReference: intentId });
      expect(charged.capturedAmount.eq('10')).to.equal(true);
      expect(await reviewIds(service)).to.deep.equal([]);
      expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.deep.equal([]);
    });
  });

  it('bound, delivered before the charge: recorded as a 10.00 charge, the charge then refused as already charged, nothing held', async () => {
    await withLedger(makeLedger(env.fake), async ({ service, manager }) => {
      const { paymentId, intentId } = await boundAndPaid(env.fake, service);
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['applied']);
      expect((await rejection(service.process({ paymentId, idempotencyKey: key() }))).code).to.equal('operation_not_allowed');
      const charged = await service.getPayment(paymentId);
      expect(charged).to.deep.include({ chargeStatus: 'partially-charged', pspReference: intentId });
      expect(charged.capturedAmount.eq('10')).to.equal(true);
      expect((await service.listTransactions(paymentId)).map((t) => [t.kind, t.state, t.isSuccess])).to.deep.equal([['capture', 'applied', true]]);
      expect(await reviewIds(service)).to.deep.equal([]);
    });
  });

  it('unbound: its event names no payment, so the held row stays for the person', async () => {
    await withLedger(makeLedger(env.fake), async ({ service, manager }) => {
      const intentId = await paidInBrowser(env.fake);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: intentId });
      expect((await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
      const [held] = await service.listTransactions(created.id);
      expect(await succeededWebhook(env.fake, service, manager)).to.deep.equal(['payment_not_found']);
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ id: held?.id, state: 'review' });
      expect(await reviewIds(service)).to.deep.equal([held?.id]);
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
    });
  });
});
