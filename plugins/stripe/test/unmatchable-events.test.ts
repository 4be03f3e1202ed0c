import { expect } from 'chai';
import Stripe from 'stripe';
import { createLogger, type ConfigValues, type PaymentService } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, config, key, makeLedger, makePlugin, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
const REMOTE = { mode: 'REMOTE', connected_account_id: PROVIDER };

/** A plugin whose log lines are kept (pino, as hosts run it). */
function loggedPlugin(fake: Parameters<typeof config>[0], overrides: ConfigValues) {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  const plugin = new StripeGatewayPlugin({ channel: CHANNEL, active: true, configuration: config(fake, overrides), logger });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { plugin, raw, lines };
}

// A connected account also sells on its own: its refunds and disputes of intents payhost never created
// reached the ledger by reference, which no payment will ever hold: refused and retried for an hour.
describe('stripe: refund and dispute events of an intent payhost did not create are acknowledged, not applied', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());

  /** The connected account's own sale (no payhost metadata), as its owner makes it in their shop or dashboard. */
  const ownSale = async (account: string | null = PROVIDER): Promise<string> => {
    const intent = await sdk().paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, account ? { stripeAccount: account } : {});
    return intent.id;
  };

  for (const [mode, account, overrides] of [['REMOTE', PROVIDER, REMOTE], ['LOCAL', null, {}]] as const) {
    it(`${mode}: a refund and a dispute of the account's own sale: 200, no events, logged once at info`, async () => {
      const intentId = await ownSale(account);
      const refund = await sdk().refunds.create({ payment_intent: intentId, amount: 1000 }, account ? { stripeAccount: account } : {});
      env.fake.openDispute(intentId);
      const { plugin, lines, raw } = loggedPlugin(env.fake, overrides);
      for (const type of ['refund.created', 'charge.dispute.created']) {
        const event = env.fake.lastEvent(type);
        expect(event['account'] ?? null).to.equal(account);
        const res = await call(plugin.webhook(env.fake.webhook(event, WEBHOOK_SECRET), null));
        expect(res.status, type).to.equal(200);
        expect(res.events, type).to.deep.equal([]);
        expect(res.body, type).to.deep.include({ received: true, id: event['id'], type, handled: false, ignored: 'not_payhost_payment' });
        const logged = lines().filter((l) => l['eventId'] === event['id']);
        expect(logged, raw.join('')).to.have.length(1);
        expect(logged[0]).to.deep.include({ level: 30, type, account, paymentIntent: intentId });
      }
      expect(refund.status).to.equal('succeeded');
      for (const secret of [WEBHOOK_SECRET, SECRET_KEY, '_secret_']) expect(raw.join(''), secret).to.not.include(secret);
    });
  }

  it('REMOTE, through the ledger: a dashboard refund of a payhost payment still applies; one of the account\'s own sale is not refused; what may still match is refused as before', async () => {
    const { manager, service } = makeLedger(env.fake, REMOTE);
    try {
      const plugin = makePlugin(env.fake, REMOTE);
      const deliver = async (svc: PaymentService, event: Json) => applyWebhookEvents(svc, await call(plugin.webhook(env.fake.webhook(event, WEBHOOK_SECRET), null)));
      const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '40.00', currency: 'USD', token: 'pm_card_visa' });
      // The provider refunds part of the payhost payment in its dashboard: no metadata on the refund.
      await sdk().refunds.create({ payment_intent: String(paid.payment.pspReference), amount: 1500 }, { stripeAccount: PROVIDER });
      expect(await deliver(service, env.fake.lastEvent('refund.created'))).to.deep.equal(['applied']);
      expect((await service.getPayment(paid.payment.id)).capturedAmount.eq('25')).to.equal(true);

      await sdk().refunds.create({ payment_intent: await ownSale(), amount: 500 }, { stripeAccount: PROVIDER });
      expect(await deliver(service, env.fake.lastEvent('refund.created')), 'nothing to apply, nothing refused').to.deep.equal([]);

      // What may still match is passed on as before (the server refuses it for unmatchedEventRetryMs, and Stripe retries):
      // a payhost intent whose charge's answer the ledger does not have yet ...
      const payhost = await sdk().paymentIntents.create(
        { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_channel: CHANNEL } },
        { stripeAccount: PROVIDER },
      );
      await sdk().refunds.create({ payment_intent: payhost.id }, { stripeAccount: PROVIDER });
      expect(await deliver(service, env.fake.lastEvent('refund.created'))).to.deep.equal(['payment_not_found']);
      // ... and an event Stripe cannot tell about now (reading the intent fails).
      await sdk().refunds.create({ payment_intent: await ownSale() }, { stripeAccount: PROVIDER });
      env.fake.failNext({ status: 500, path: /\/v1\/payment_intents\// });
      expect(await deliver(service, env.fake.lastEvent('refund.created'))).to.deep.equal(['payment_not_found']);
    } finally {
      await manager.close();
    }
  });
});
