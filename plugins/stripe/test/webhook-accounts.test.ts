import { expect } from 'chai';
import Stripe from 'stripe';
import { createLogger, type ConfigValues, type WebhookResponse } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import type { Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, SECRET_KEY, WEBHOOK_SECRET, call, config, key, makeLedger, makePlugin, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
/** A connected account of the platform that a customer controls (any Stripe user can be one). */
const ATTACKER = 'acct_attacker666';

/** A plugin whose log lines are kept (pino, as hosts run it). */
function loggedPlugin(fake: Parameters<typeof config>[0], overrides: ConfigValues): { plugin: StripeGatewayPlugin; raw: string[]; warnings: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  const plugin = new StripeGatewayPlugin({ channel: CHANNEL, active: true, configuration: config(fake, overrides), logger });
  const warnings = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l['level'] === 40);
  return { plugin, raw, warnings };
}

function expectDropped(res: WebhookResponse): void {
  expect(res.status).to.equal(200);
  expect(res.events).to.deep.equal([]);
  expect(res.body).to.deep.include({ received: true, handled: false, ignored: 'foreign_account' });
}

// Audit: events of any connected account were applied; payhost metadata is the account owner's to write (stripe-webhook-any-account).
describe('stripe: webhook events are applied only from the payments\' own Stripe account', () => {
  const env = useFakeStripe();
  const sdk = () => new Stripe(SECRET_KEY, env.fake.sdkOptions());
  /** The attacker pays an intent on their own account that names the victim's payment. */
  const attackerPays = async (paymentId: string, account: string | null = ATTACKER): Promise<Json> => {
    await sdk().paymentIntents.create(
      { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_payment_id: paymentId, payhost_channel: CHANNEL } },
      account ? { stripeAccount: account } : {},
    );
    return env.fake.lastEvent('payment_intent.succeeded');
  };

  for (const mode of ['LOCAL', 'FORWARD'] as const) {
    it(`${mode}: an event from a connected account is acknowledged, logged at warn (no secrets) and not applied`, async () => {
      const { plugin, warnings, raw } = loggedPlugin(env.fake, { mode, connected_account_id: PROVIDER });
      const event = await attackerPays('pay-victim');
      expect(event['account']).to.equal(ATTACKER);
      expectDropped(await call(plugin.webhook(env.fake.webhook(event, WEBHOOK_SECRET), null)));
      const [warn] = warnings();
      expect(warn, raw.join('')).to.deep.include({ eventId: event['id'], type: 'payment_intent.succeeded', account: ATTACKER, mode });
      expect(String(warn?.['msg'])).to.match(/dropped/);
      for (const secret of [WEBHOOK_SECRET, SECRET_KEY, 'whsec_', 'sk_test', 'client_secret', '_secret_']) expect(raw.join(''), secret).to.not.include(secret);
      // The platform's own events still count.
      const own = await call(makePlugin(env.fake, { mode, connected_account_id: PROVIDER }).webhook(env.fake.webhook(await attackerPays('pay-own', null), WEBHOOK_SECRET), null));
      expect(own.events).to.have.length(1);
    });
  }

  it("REMOTE: the platform's events are dropped; another connected account's name no payment, only their account's reference", async () => {
    const remote = (overrides: ConfigValues = {}) => makePlugin(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, ...overrides });
    const [foreign] = (await call(remote().webhook(env.fake.webhook(await attackerPays('pay-victim'), WEBHOOK_SECRET), null))).events ?? [];
    expect(foreign?.paymentId).to.equal(null);
    expect(foreign?.pspReference).to.match(new RegExp(`^${ATTACKER}:pi_`));
    expectDropped(await call(remote().webhook(env.fake.webhook(await attackerPays('pay-victim', null), WEBHOOK_SECRET), null)));
    const own = await call(remote().webhook(env.fake.webhook(await attackerPays('pay-own', PROVIDER), WEBHOOK_SECRET), null));
    expect(own.events).to.have.length(1);
    expect(own.events?.[0]?.response.transactionId).to.match(new RegExp(`^${PROVIDER}:pi_`));
  });

  it("through the ledger: a connected account's event naming another payment does not mark it paid", async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const victim = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa' });
      const res = await call(makePlugin(env.fake).webhook(env.fake.webhook(await attackerPays(victim.id), WEBHOOK_SECRET), null));
      for (const event of res.events ?? []) await service.applyGatewayEvent({ ...event, gateway: GATEWAY, channel: CHANNEL });
      const after = await service.getPayment(victim.id);
      expect(after.chargeStatus).to.equal('not-charged');
      expect(after.capturedAmount.eq(0)).to.equal(true);
      expect(await service.listTransactions(victim.id)).to.deep.equal([]);
    } finally {
      await manager.close();
    }
  });

  it('event types the plugin does not handle are acknowledged as before, without a warning', async () => {
    const { plugin, warnings } = loggedPlugin(env.fake, { mode: 'LOCAL' });
    await sdk().customers.create({ metadata: { payhost_customer_id: 'u1' } }, { stripeAccount: ATTACKER });
    const res = await call(plugin.webhook(env.fake.webhook(env.fake.lastEvent('customer.created'), WEBHOOK_SECRET), null));
    expect(res).to.deep.include({ status: 200, events: [] });
    expect(res.body).to.deep.include({ handled: false });
    expect(warnings()).to.deep.equal([]);
  });
});
