import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import Stripe from 'stripe';
import { isPayhostError, type PaymentService } from '@payhost/core';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, dec, intentCreations, key, makeLedger, makePlugin, payment, useFakeStripe, RETURN_URL } from './helpers.js';

/** The channel's configured connected account (X). */
const PROVIDER = 'acct_provider123';
/** A seller account a payment names itself (data.connectedAccountId, Y). */
const SELLER = 'acct_seller42';
/** A connected account that no payment was ever charged on. */
const ATTACKER = 'acct_attacker666';
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER };

/** The signature as docs/webhooks.md (Signed payment metadata) specifies it, computed apart from the plugin's code. */
function expectedSig(account: string, paymentId: string, secretKey = SECRET_KEY): string {
  const signingKey = createHmac('sha256', secretKey).update('payhost metadata v1').digest();
  return createHmac('sha256', signingKey).update(`${account}:${paymentId}`).digest('base64url');
}

type Metadata = Record<string, string>;

function metadataOf(params: unknown): Metadata {
  return ((params as { metadata?: Metadata }).metadata ?? {}) as Metadata;
}

// Security review: in REMOTE mode a connected account's metadata named any payment (the configured
// account's), or none at all (per-payment accounts, whose events for payments without a reference were lost).
describe('stripe: payhost_payment_id signed for the account it is written on (REMOTE webhooks)', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());
  const webhook = (event: Json, overrides = {}) => call(makePlugin(env.fake, { ...REMOTE, ...overrides }).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null));
  /** Delivers an event through the plugin and applies what it returns, as the reference server does. */
  const deliver = async (service: PaymentService, event: Json): Promise<string[]> => applyWebhookEvents(service, await webhook(event));
  /** An account owner pays an intent on their own account with the metadata they choose. */
  const ownerPays = async (account: string, metadata: Metadata): Promise<Json> => {
    await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata }, { stripeAccount: account });
    return env.fake.lastEvent('payment_intent.succeeded');
  };
  /** A payment charged on the seller's account and declined: the ledger holds no reference for it. */
  const declinedOnSeller = async (service: PaymentService) => {
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_chargeDeclined' });
    const refused = await service.process({ paymentId: created.id, idempotencyKey: key(), data: { connectedAccountId: SELLER } }).then(
      () => null,
      (err: unknown) => (isPayhostError(err) ? err.code : Promise.reject(err)),
    );
    expect(refused).to.equal('gateway_declined');
    const victim = await service.getPayment(created.id);
    expect(victim.pspReference).to.equal(null);
    expect(victim.chargeStatus).to.equal('not-charged');
    // What the seller sees on their account: the intent the plugin created, its metadata signed for them.
    const intent = intentCreations(env.fake).at(-1);
    expect(intent?.headers['stripe-account']).to.equal(SELLER);
    return { victim, sellerMetadata: metadataOf(intent?.params) };
  };
  const expectUntouched = async (service: PaymentService, paymentId: string, transactions: number) => {
    const after = await service.getPayment(paymentId);
    expect(after.chargeStatus).to.equal('not-charged');
    expect(after.capturedAmount.eq(0)).to.equal(true);
    expect(after.pspReference).to.equal(null);
    expect(await service.listTransactions(paymentId)).to.have.length(transactions);
  };

  it("(a) the configured account's intent naming a seller's unpaid payment, unsigned or with a forged signature, changes nothing", async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const { victim } = await declinedOnSeller(service);
      const before = (await service.listTransactions(victim.id)).length;
      const unsigned = await ownerPays(PROVIDER, { payhost_payment_id: victim.id, payhost_channel: CHANNEL });
      expect(await deliver(service, unsigned)).to.deep.equal(['payment_not_found']);
      // Plausible forgeries: a random value of the right shape, a plain hash of public values, the right MAC under another key.
      const forgeries = ['A'.repeat(43), createHmac('sha256', '').update(`${PROVIDER}:${victim.id}`).digest('base64url'), expectedSig(PROVIDER, victim.id, 'sk_test_guessed')];
      for (const sig of forgeries) {
        const forged = await ownerPays(PROVIDER, { payhost_payment_id: victim.id, payhost_channel: CHANNEL, payhost_payment_sig: sig });
        expect(await deliver(service, forged), sig).to.deep.equal(['payment_not_found']);
      }
      await expectUntouched(service, victim.id, before);
    } finally {
      await manager.close();
    }
  });

  it("(b) a seller account's signed event reaches its payment before the ledger holds any reference (client token, never processed)", async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '25.00', currency: 'USD', token: 'pm_card_visa' });
      const secret = await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: dec('25.00'), currency: 'USD', data: { paymentId: created.id, connectedAccountId: SELLER } });
      const intentId = secret.split('_secret_')[0] ?? '';
      // The shopper confirms in the browser (Stripe.js on the seller's account); the host never processes the payment.
      await sdk().paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: RETURN_URL }, { stripeAccount: SELLER });
      const event = env.fake.lastEvent('payment_intent.succeeded');
      const [normalized] = (await webhook(event)).events ?? [];
      expect(normalized).to.deep.include({ paymentId: created.id, pspReference: `${SELLER}:${intentId}` });
      expect(await deliver(service, event)).to.deep.equal(['applied']);
      const after = await service.getPayment(created.id);
      expect(after.chargeStatus).to.equal('fully-charged');
      expect(after.capturedAmount.eq('25')).to.equal(true);
      expect(after.pspReference).to.equal(`${SELLER}:${intentId}`);
    } finally {
      await manager.close();
    }
  });

  it("(c) a signature valid for the seller's account, shown in another account's event, names no payment", async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const { victim, sellerMetadata } = await declinedOnSeller(service);
      expect(sellerMetadata['payhost_payment_sig']).to.equal(expectedSig(SELLER, victim.id));
      const before = (await service.listTransactions(victim.id)).length;
      for (const account of [PROVIDER, ATTACKER]) {
        const copied = await ownerPays(account, sellerMetadata);
        const [event] = (await webhook(copied)).events ?? [];
        expect(event?.paymentId, account).to.equal(null);
        expect(await deliver(service, copied), account).to.deep.equal(['payment_not_found']);
      }
      await expectUntouched(service, victim.id, before);
      // On the seller's own account the same metadata names the payment (there it is theirs).
      const [own] = (await webhook(await ownerPays(SELLER, sellerMetadata))).events ?? [];
      expect(own?.paymentId).to.equal(victim.id);
    } finally {
      await manager.close();
    }
  });

  it('(d) every create call naming a payment sends its signature for the account the object is created on', async () => {
    const remote = makePlugin(env.fake, REMOTE);
    const onSeller = payment({ data: { connectedAccountId: SELLER } });
    const charged = await call(remote.processPayment(onSeller, null));
    expect(charged.isSuccess).to.equal(true);
    const onProvider = payment();
    await call(remote.processPayment(onProvider, null));
    const [sellerCharge, providerCharge] = intentCreations(env.fake);
    expect(metadataOf(sellerCharge?.params)).to.deep.include({ payhost_payment_id: onSeller.paymentId, payhost_payment_sig: expectedSig(SELLER, String(onSeller.paymentId)) });
    expect(metadataOf(providerCharge?.params)).to.deep.include({ payhost_payment_id: onProvider.paymentId, payhost_payment_sig: expectedSig(PROVIDER, String(onProvider.paymentId)) });

    // A refund (on the reference's account).
    await call(remote.refundPayment({ ...onSeller, token: charged.pspReference ?? null, data: null, idempotencyKey: key('payhost:refund') }, null));
    const refund = env.fake.requestsTo('/v1/refunds', 'POST').at(-1);
    expect(refund?.headers['stripe-account']).to.equal(SELLER);
    expect(metadataOf(refund?.params)).to.deep.include({ payhost_payment_id: onSeller.paymentId, payhost_payment_sig: expectedSig(SELLER, String(onSeller.paymentId)) });

    // A client token naming its payment, and one naming none that a charge then binds.
    await call(remote.getClientToken({ amount: dec('10.00'), currency: 'USD', data: { paymentId: 'pay-token', connectedAccountId: SELLER } }, null));
    expect(metadataOf(intentCreations(env.fake).at(-1)?.params)).to.deep.include({ payhost_payment_id: 'pay-token', payhost_payment_sig: expectedSig(SELLER, 'pay-token') });
    const secret = await call(remote.getClientToken({ amount: dec('10.00'), currency: 'USD', data: { connectedAccountId: SELLER } }, null));
    const intentId = secret.split('_secret_')[0] ?? '';
    expect(metadataOf(intentCreations(env.fake).at(-1)?.params)).to.not.have.property('payhost_payment_sig');
    await sdk().paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: RETURN_URL }, { stripeAccount: SELLER });
    const adopting = payment({ token: intentId, data: { connectedAccountId: SELLER } });
    expect((await call(remote.processPayment(adopting, null))).isSuccess).to.equal(true);
    const bind = env.fake.requestsTo(`/v1/payment_intents/${intentId}`, 'POST').at(-1);
    expect(metadataOf(bind?.params)).to.deep.equal({ payhost_payment_id: adopting.paymentId, payhost_payment_sig: expectedSig(SELLER, String(adopting.paymentId)), payhost_idempotency_key: adopting.idempotencyKey });

    // On the platform (LOCAL, FORWARD) the fixed marker stands for the account.
    for (const mode of ['LOCAL', 'FORWARD']) {
      const local = payment();
      await call(makePlugin(env.fake, { mode, connected_account_id: PROVIDER }).processPayment(local, null));
      const created = intentCreations(env.fake).at(-1);
      expect(created?.headers['stripe-account'], mode).to.equal(undefined);
      expect(metadataOf(created?.params), mode).to.deep.include({ payhost_payment_sig: expectedSig('platform', String(local.paymentId)) });
    }
  });

  it('after the secret key is rolled, earlier signatures no longer name payments: those events go by reference', async () => {
    const plugin = makePlugin(env.fake, REMOTE);
    const onSeller = payment({ data: { connectedAccountId: SELLER } });
    const charged = await call(plugin.processPayment(onSeller, null));
    const event = env.fake.lastEvent('payment_intent.succeeded');
    const [current] = (await webhook(event)).events ?? [];
    expect(current).to.deep.include({ paymentId: onSeller.paymentId, pspReference: charged.pspReference });
    const [rolled] = (await webhook(event, { secret_key: 'sk_test_rolledKey' })).events ?? [];
    expect(rolled).to.deep.include({ paymentId: null, pspReference: charged.pspReference });
  });
});
