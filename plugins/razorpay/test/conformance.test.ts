import { RazorpayGatewayPlugin } from '@payhost/plugin-razorpay';
import { describePluginConformance, type TokenContext } from '@payhost/testkit/conformance';
import { FakeRazorpay, signRazorpayWebhook } from '@payhost/testkit/razorpay';
import { blockOutsideNetwork } from './helpers.js';

/** Razorpay Checkout as the customer completes it: the order comes from the plugin's client token. */
async function checkout(ctx: TokenContext<FakeRazorpay>, options: Parameters<FakeRazorpay['checkout']>[1] = {}): Promise<string> {
  const token = JSON.parse(await ctx.clientToken()) as { order_id: string; notes?: Record<string, string> };
  const { payment: _payment, ...result } = ctx.env.checkout(token.order_id, { notes: token.notes ?? {}, ...options });
  return JSON.stringify(result);
}

/** The amount of the last request to the fake that carried one (integer subunits). */
function lastAmount(fake: FakeRazorpay): unknown {
  for (let i = fake.requests.length - 1; i >= 0; i--) {
    const body = fake.requests[i]?.body;
    if (body && typeof body === 'object' && 'amount' in body) return (body as { amount: unknown }).amount;
  }
  return undefined;
}

describe('razorpay (conformance, against the fake Razorpay)', () => {
  blockOutsideNetwork();

  describePluginConformance(RazorpayGatewayPlugin, {
    start: () => FakeRazorpay.start(),
    stop: (fake) => fake.close(),
    configuration: (fake) => ({
      key_id: fake.keyId,
      key_secret: fake.keySecret,
      webhook_secret: fake.webhookSecret,
      api_base_url: fake.url,
      supported_currencies: 'INR, JPY, KWD',
      auto_capture: true,
    }),
    currencies: { zero: 'JPY', two: 'INR', three: 'KWD' },
    // Razorpay takes three-decimal currencies with a last digit of 0 (295.990 KWD -> 295990).
    amounts: { three: '12.340' },
    refundAmounts: { three: '2.120' },
    successToken: (ctx) => checkout(ctx),
    declineToken: (ctx) => checkout(ctx, { status: 'failed', error: { code: 'BAD_REQUEST_ERROR', reason: 'card_declined', description: 'Your card was declined' } }),
    amountSent: (fake) => lastAmount(fake),
    // The plugin finds a charge by the checkout token's payment id, and reads any failed fetch of it (a 404 too) as "cannot tell".
    transactionStatus: { noRecordUntold: 'Razorpay charges are fetched by the checkout token, and a failed fetch (404 included) is "cannot tell"' },
    webhooks: {
      signed: ({ env, response }) => env.webhook('payment.captured', { paymentId: response.pspReference ?? '' }),
      badlySigned: ({ env, response }) => {
        const delivery = env.webhook('payment.captured', { paymentId: response.pspReference ?? '' });
        return signRazorpayWebhook(delivery.payload, 'not-the-webhook-secret', delivery.headers['x-razorpay-event-id'] ?? null);
      },
      signatureHeader: 'x-razorpay-signature',
    },
  });
});
