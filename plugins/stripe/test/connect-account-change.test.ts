import { expect } from 'chai';
import Stripe from 'stripe';
import { MemoryLedgerStore, PaymentService, PluginManager, type ConfigValues } from '@payhost/core';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, dec, expectSuccess, key, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

/** The provider's connected account when the old payments were charged. */
const OLD = 'acct_oldProvider1';
/** The account the provider re-onboarded as: connected_account_id now. */
const NEW = 'acct_newProvider2';
const BEFORE = { mode: 'REMOTE', connected_account_id: OLD, auto_capture: false };
const AFTER = { mode: 'REMOTE', connected_account_id: NEW, auto_capture: false };
/** AFTER, with the old account listed as docs/connect.md asks when connected_account_id changes. */
const AFTER_LISTED = { ...AFTER, previous_connected_account_ids: OLD };

// An operator changed connected_account_id (REMOTE): the old account's events no longer matched the payments
// charged on it (their plain pi_ reference became acct_old:pi_), and a charge whose answer was lost was looked for
// on the new account only (and, two hours on, recorded as never made).
describe('stripe: REMOTE payments stay on the account they were charged on when connected_account_id changes', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());
  const accounts = () => [...new Set(env.fake.requests.map((r) => r.account))];
  /** One ledger store, served by the manager of each configuration in turn (as after a configuration change). */
  const store = () => new MemoryLedgerStore();
  const serviceWith = (manager: PluginManager, ledger: MemoryLedgerStore) => new PaymentService({ manager, store: ledger });
  const deliver = async (service: PaymentService, overrides: ConfigValues, event: Json) =>
    applyWebhookEvents(service, await call(makePlugin(env.fake, overrides).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null)));
  const authorize = (service: PaymentService, token = 'pm_card_visa') =>
    service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '50.00', currency: 'USD', token, action: 'authorize' });

  it('through the ledger: capture, refund and void of an old payment go to its account, a new payment to the new one', async () => {
    const ledger = store();
    const before = makeManager(env.fake, BEFORE);
    const old = await authorize(serviceWith(before, ledger));
    const toVoid = await authorize(serviceWith(before, ledger));
    await before.close();
    // As recorded before and after this change alike: the transaction id names the account, the pspReference is plain.
    expect(old.transaction.gatewayTransactionId).to.match(new RegExp(`^${OLD}:pi_`));
    expect(old.payment.pspReference).to.match(/^pi_/);

    for (const overrides of [AFTER, AFTER_LISTED]) {
      const after = makeManager(env.fake, overrides);
      try {
        const service = serviceWith(after, ledger);
        env.fake.clearLog();
        if (overrides === AFTER) {
          expect((await service.capture({ paymentId: old.payment.id, idempotencyKey: key(), amount: '50.00' })).payment.chargeStatus).to.equal('fully-charged');
          expect((await service.void({ paymentId: toVoid.payment.id, idempotencyKey: key() })).transaction).to.deep.include({ kind: 'void', isSuccess: true });
        }
        const refunded = await service.refund({ paymentId: old.payment.id, idempotencyKey: key(), amount: '10.00' });
        expect(refunded.transaction.gatewayTransactionId).to.match(new RegExp(`^${OLD}:re_`));
        expect(accounts(), JSON.stringify(overrides)).to.deep.equal([OLD]);

        env.fake.clearLog();
        const fresh = await authorize(service);
        expect(fresh.transaction.gatewayTransactionId).to.match(new RegExp(`^${NEW}:pi_`));
        expect(fresh.payment.pspReference).to.match(/^pi_/);
        await service.void({ paymentId: fresh.payment.id, idempotencyKey: key() });
        expect(accounts()).to.deep.equal([NEW]);
      } finally {
        await after.close();
      }
    }
    expect((await ledger.getPayment(old.payment.id))?.chargeStatus).to.equal('partially-refunded');
  });

  it("through the ledger: the old account's events still reach its payments once it is listed in previous_connected_account_ids", async () => {
    const ledger = store();
    const before = makeManager(env.fake, { ...BEFORE, auto_capture: true });
    const settled = await serviceWith(before, ledger).pay({ idempotencyKey: key(), channel: CHANNEL, total: '40.00', currency: 'USD', token: 'pm_card_visa' });
    const processing = await serviceWith(before, ledger).pay({ idempotencyKey: key(), channel: CHANNEL, total: '30.00', currency: 'USD', token: 'pm_card_processing' });
    await before.close();
    expect(processing.transaction.kind).to.equal('pending');
    const after = makeManager(env.fake, { ...AFTER_LISTED, auto_capture: true });
    try {
      const service = serviceWith(after, ledger);
      // A refund made on the old account's dashboard.
      await sdk().refunds.create({ payment_intent: settled.payment.pspReference ?? '', amount: 1500 }, { stripeAccount: OLD });
      const refund = env.fake.lastEvent('refund.created');
      expect(refund['account']).to.equal(OLD);
      // Without the list, the event's reference (acct_old:pi_…) is no payment's (and a dashboard refund names none).
      expect(await deliver(service, AFTER, refund)).to.deep.equal(['payment_not_found']);
      expect(await deliver(service, AFTER_LISTED, refund)).to.deep.equal(['applied']);
      const refunded = await service.getPayment(settled.payment.id);
      expect(refunded.chargeStatus).to.equal('partially-refunded');
      expect(refunded.capturedAmount.eq('25')).to.equal(true);

      // A payment still processing when the account changed settles by the old account's event.
      env.fake.settleProcessing(processing.payment.pspReference ?? '');
      expect(await deliver(service, AFTER_LISTED, env.fake.lastEvent('payment_intent.succeeded'))).to.deep.equal(['applied']);
      expect((await service.getPayment(processing.payment.id)).chargeStatus).to.equal('fully-charged');

      // The new account's payments and events, as for any configured account.
      const fresh = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '20.00', currency: 'USD', token: 'pm_card_visa' });
      await sdk().refunds.create({ payment_intent: fresh.payment.pspReference ?? '', amount: 2000 }, { stripeAccount: NEW });
      expect(await deliver(service, AFTER_LISTED, env.fake.lastEvent('refund.created'))).to.deep.equal(['applied']);
      expect((await service.getPayment(fresh.payment.id)).chargeStatus).to.equal('fully-refunded');
    } finally {
      await after.close();
    }
  });

  it("a payment naming a listed previous account records the plain reference its events carry; other accounts' stay qualified", async () => {
    const plugin = makePlugin(env.fake, { ...AFTER_LISTED, auto_capture: true });
    const onOld = await call(plugin.processPayment(payment({ data: { connectedAccountId: OLD } }), null));
    expect(onOld.transactionId).to.match(new RegExp(`^${OLD}:pi_`));
    expect(onOld.pspReference).to.match(/^pi_/);
    const [event] = (await call(plugin.webhook(env.fake.webhook(env.fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET), null))).events ?? [];
    expect(event?.pspReference).to.equal(onOld.pspReference);

    const seller = await call(plugin.processPayment(payment({ data: { connectedAccountId: 'acct_seller42' } }), null));
    expect(seller.pspReference).to.match(/^acct_seller42:pi_/);
  });

  it('a plain pi_ reference still means the configured account, before the change and after it', async () => {
    const auth = await call(makePlugin(env.fake, BEFORE).authorizePayment(payment(), null));
    const plain = auth.pspReference ?? '';
    expect(plain).to.match(/^pi_/);
    env.fake.clearLog();
    expectSuccess(await call(makePlugin(env.fake, BEFORE).capturePayment(payment({ token: plain, idempotencyKey: key() }), null)), 'capture', '10');
    expect(accounts()).to.deep.equal([OLD]);
    env.fake.clearLog();
    // After the change, the plain id is looked for on the new account (Stripe: no such intent there), as before this change,
    // then on the platform, where a payment charged before a switch to REMOTE lives (connect-mode-change.test.ts).
    const after = await call(makePlugin(env.fake, AFTER_LISTED).refundPayment(payment({ token: plain, amount: dec('1.00'), idempotencyKey: key() }), null));
    expect(after.isSuccess).to.equal(false);
    expect(accounts()).to.deep.equal([NEW, null]);
  });

  it('a charge whose answer was lost before the change is found on the previous account by reconciliation', async () => {
    const ledger = store();
    const before = makeManager(env.fake, BEFORE);
    const crashing = new PaymentService({
      manager: before,
      store: ledger,
      faults: {
        'after-gateway': () => {
          throw new Error('simulated crash');
        },
      },
    });
    await authorize(crashing).then(
      () => expect.fail('the simulated crash should reject'),
      (err: Error) => expect(err.message).to.equal('simulated crash'),
    );
    await before.close();
    const [charged] = [...env.fake.state.account(OLD).paymentIntents.keys()];
    expect(charged).to.match(/^pi_/);

    const [pending] = await ledger.listPendingTransactions();
    const after = makeManager(env.fake, AFTER_LISTED);
    try {
      env.fake.clearLog();
      const report = await serviceWith(after, ledger).reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([pending?.id]);
      expect(env.fake.requestsTo('/v1/payment_intents/search').map((r) => r.account)).to.deep.equal([NEW, OLD]);
      const paid = await ledger.getPayment(pending?.paymentId ?? '');
      expect(paid?.authorizedAmount.eq('50')).to.equal(true);
      // Recorded as any charge on the old account was: its events (plain pi_) find it.
      expect(paid?.pspReference).to.equal(charged);
    } finally {
      await after.close();
    }
  });

  it('previous_connected_account_ids takes acct_ ids only', () => {
    const build = (value: string) => makePlugin(env.fake, { ...AFTER, previous_connected_account_ids: value });
    expect(build(` ${OLD}, acct_other3 ,`).settings.previousAccountIds).to.deep.equal([OLD, 'acct_other3']);
    expect(() => build(`${OLD}, provider`)).to.throw(/previous_connected_account_ids is malformed.*"provider"/);
  });
});
