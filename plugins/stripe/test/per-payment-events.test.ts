import { expect } from 'chai';
import Stripe from 'stripe';
import type { PaymentService } from '@payhost/core';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
/** The connected account a payment names itself (data.connectedAccountId). */
const SELLER = 'acct_seller42';
/** A connected account of the platform that a customer controls (any Stripe user can be one). */
const ATTACKER = 'acct_attacker666';
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER };

/** The event as if Stripe had sent it from another account: same objects, same ids. */
function fromAccount(event: Json, account: string, id: string): Json {
  return { ...(JSON.parse(JSON.stringify(event)) as Json), id, account };
}

// Events of a payment's own connected account (not the configured one) were dropped as foreign.
describe("stripe: webhook events of a payment's own connected account (REMOTE, data.connectedAccountId)", () => {
  const env = useFakeStripe();
  const webhook = (event: Json) => call(makePlugin(env.fake, REMOTE).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null));
  /** Delivers an event through the plugin and applies what it returns, as the reference server does. */
  const deliver = async (service: PaymentService, event: Json): Promise<string[]> => applyWebhookEvents(service, await webhook(event));

  it('carry a pspReference qualified with their account and the paymentId of their signed metadata; the configured account\'s keep the plain pi_', async () => {
    const sellerPlugin = makePlugin(env.fake, REMOTE);
    const onSeller = payment({ data: { connectedAccountId: SELLER } });
    const charged = await call(sellerPlugin.processPayment(onSeller, null));
    expect(charged.pspReference).to.match(new RegExp(`^${SELLER}:pi_`));
    const [seller] = (await webhook(env.fake.lastEvent('payment_intent.succeeded'))).events ?? [];
    // The plugin signed payhost_payment_id for the seller's account (signed-metadata.test.ts).
    expect(seller).to.deep.include({ pspReference: charged.pspReference, paymentId: onSeller.paymentId });
    expect(seller?.response).to.deep.include({ pspReference: charged.pspReference, transactionId: charged.transactionId });

    const configured = await call(sellerPlugin.processPayment(payment(), null));
    expect(configured.pspReference).to.match(/^pi_/);
    const [own] = (await webhook(env.fake.lastEvent('payment_intent.succeeded'))).events ?? [];
    expect(own).to.deep.include({ pspReference: configured.pspReference });
    expect(own?.paymentId).to.be.a('string');
  });

  it("through the ledger: the seller account's events reach the payment charged on it (a processing payment settles, a dashboard refund is recorded)", async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '40.00', currency: 'USD', token: 'pm_card_processing', data: { connectedAccountId: SELLER } });
      expect(paid.transaction.kind).to.equal('pending');
      expect(paid.payment.pspReference).to.match(new RegExp(`^${SELLER}:pi_`));
      const intentId = String(paid.payment.pspReference).split(':')[1] ?? '';
      env.fake.settleProcessing(intentId);
      expect(await deliver(service, env.fake.lastEvent('payment_intent.succeeded'))).to.deep.equal(['applied']);
      expect((await service.getPayment(paid.payment.id)).chargeStatus).to.equal('fully-charged');

      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).refunds.create({ payment_intent: intentId, amount: 1500 }, { stripeAccount: SELLER });
      expect(await deliver(service, env.fake.lastEvent('refund.created'))).to.deep.equal(['applied']);
      const after = await service.getPayment(paid.payment.id);
      expect(after.chargeStatus).to.equal('partially-refunded');
      expect(after.capturedAmount.eq('25')).to.equal(true);
    } finally {
      await manager.close();
    }
  });

  it("another account's event never changes a payment it names by metadata, nor one that shares its pi_ id", async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '40.00', currency: 'USD', token: 'pm_card_visa', data: { connectedAccountId: SELLER } });
      const intentId = String(paid.payment.pspReference).split(':')[1] ?? '';
      const metadata = { payhost_payment_id: paid.payment.id, payhost_channel: CHANNEL };
      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).refunds.create({ payment_intent: intentId, amount: 4000, metadata }, { stripeAccount: SELLER });
      const refund = env.fake.lastEvent('refund.created');
      // The seller's refund, as if another connected account had sent it (its own intent sharing the id, its metadata naming the payment).
      expect(await deliver(service, fromAccount(refund, ATTACKER, 'evt_attacker_1'))).to.deep.equal(['payment_not_found']);
      // The configured account's event with the same pi_ id: its metadata is not signed for it, so it names
      // no payment, and its plain reference is no payment's.
      expect(await deliver(service, fromAccount(refund, PROVIDER, 'evt_provider_1'))).to.deep.equal(['payment_not_found']);

      // An unpaid payment (no reference yet), named by the attacker's metadata: still nothing to match.
      const victim = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa' });
      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.create(
        { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_payment_id: victim.id, payhost_channel: CHANNEL } },
        { stripeAccount: ATTACKER },
      );
      expect(await deliver(service, env.fake.lastEvent('payment_intent.succeeded'))).to.deep.equal(['payment_not_found']);

      const after = await service.getPayment(paid.payment.id);
      expect(after.capturedAmount.eq('40')).to.equal(true);
      expect((await service.getPayment(victim.id)).chargeStatus).to.equal('not-charged');
      expect(await service.listTransactions(victim.id)).to.deep.equal([]);
      // The seller's own delivery of that refund is applied.
      expect(await deliver(service, refund)).to.deep.equal(['applied']);
      expect((await service.getPayment(paid.payment.id)).chargeStatus).to.equal('fully-refunded');
    } finally {
      await manager.close();
    }
  });

  it('the platform\'s events are still dropped in REMOTE mode', async () => {
    await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_payment_id: 'p', payhost_channel: CHANNEL } });
    const res = await webhook(env.fake.lastEvent('payment_intent.succeeded'));
    expect(res.events).to.deep.equal([]);
    expect(res.body).to.deep.include({ ignored: 'foreign_account' });
  });
});
