import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { describePluginConformance, type ChargeContext } from '@payhost/testkit/conformance';
import { FakeStripe, type Json } from '@payhost/testkit/stripe';
import { PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, blockOutsideNetwork } from './helpers.js';

/** The fake's payment_intent.succeeded event for the charge (the intent id is its pspReference). */
function succeededEvent(ctx: ChargeContext<FakeStripe>): Json {
  const event = ctx.env.events('payment_intent.succeeded').find((e) => (e['data'] as { object?: { id?: string } })?.object?.id === ctx.response.pspReference);
  if (!event) throw new Error(`the fake emitted no payment_intent.succeeded for ${String(ctx.response.pspReference)}`);
  return event;
}

/** The fake's refund.created event for the refund the plugin answered with (its transactionId is the refund's id). */
function refundCreated(fake: FakeStripe, refundId: string): Json {
  const event = fake.events('refund.created').find((e) => (e['data'] as { object?: { id?: string } })?.object?.id === refundId);
  if (!event) throw new Error(`the fake emitted no refund.created for ${refundId}`);
  return event;
}

/** The amount of the last request to the fake that carried one (form values are strings). */
function lastAmount(fake: FakeStripe): string | undefined {
  for (let i = fake.requests.length - 1; i >= 0; i--) {
    const params = fake.requests[i]?.params ?? {};
    const amount = params['amount'] ?? params['amount_to_capture'];
    if (typeof amount === 'string') return amount;
  }
  return undefined;
}

describe('stripe (conformance, against the fake Stripe)', () => {
  blockOutsideNetwork();

  describePluginConformance(StripeGatewayPlugin, {
    start: () => FakeStripe.start(),
    stop: (fake) => fake.close(),
    configuration: (fake) => ({
      secret_key: SECRET_KEY,
      publishable_key: PUBLISHABLE_KEY,
      webhook_secret: WEBHOOK_SECRET,
      supported_currencies: 'USD, JPY, KWD',
      api_base_url: fake.url,
      max_network_retries: '0',
    }),
    currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
    // Stripe takes three-decimal amounts only with a last digit of 0 (12.345 KWD is refused before any call).
    amounts: { three: '12.340' },
    refundAmounts: { three: '2.120' },
    successToken: () => 'pm_card_visa',
    declineToken: () => 'pm_card_chargeDeclined',
    threeDSecure: {
      token: () => 'pm_card_threeDSecure2Required',
      complete: ({ env, response }) => void env.completeThreeDSecure(response.pspReference ?? ''),
    },
    amountSent: (fake) => lastAmount(fake),
    webhooks: {
      signed: (ctx) => ctx.env.webhook(succeededEvent(ctx), WEBHOOK_SECRET),
      badlySigned: (ctx) => ctx.env.webhook(succeededEvent(ctx), WEBHOOK_SECRET, { secret: 'whsec_notTheChannelsSecret' }),
      signatureHeader: 'stripe-signature',
      // refund.created carries the refund's own amount and id, and the key of the call (charge.refunded: the running total).
      refund: ({ env, refund }) => env.webhook(refundCreated(env, refund.response.transactionId), WEBHOOK_SECRET),
    },
  });
});
