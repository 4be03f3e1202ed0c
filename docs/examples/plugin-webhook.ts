// A plugin's webhook: Acme signs every event it sends; the plugin checks the signature over the raw body and
// answers with the verified events, which the host applies to its ledger (the server does for POST /plugins/...).
import { Decimal, PluginManager, type PaymentData, type WebhookResponse } from '@payhost/core';
import { ACME_TEST_TOKENS, AcmeGatewayPlugin, signAcmeWebhook } from './acme-gateway/src/index.js';

const WEBHOOK_SECRET = 'whsec_acme_0123456789';
const manager = new PluginManager({
  plugins: [AcmeGatewayPlugin],
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['EUR'],
        plugins: { 'acme.gateway': { active: true, configuration: { api_key: 'sk_test_webhooks', supported_currencies: 'EUR', webhook_secret: WEBHOOK_SECRET } } },
      },
    ],
  },
});

// A charge for Acme to send events about.
const payment: PaymentData = {
  paymentId: 'order-7',
  graphqlPaymentId: 'order-7',
  amount: new Decimal('20.00'),
  currency: 'EUR',
  token: ACME_TEST_TOKENS.success,
  customerEmail: 'buyer@example.com',
  billing: null,
  shipping: null,
  orderId: null,
  customerIpAddress: null,
  customerId: null,
  reuseSource: false,
  data: null,
  idempotencyKey: 'order-7:process',
};
const charge = await manager.processPayment({ channel: 'web', payment });

// Then 5.00 is refunded in Acme's dashboard, and Acme posts this event to the plugin's webhook URL.
const rawBody = Buffer.from(
  JSON.stringify({ id: 'evt_1001', type: 'refund.succeeded', created: 1767225600, data: { id: 're_dash_1', charge: charge.transactionId, amount: 500, currency: 'EUR', metadata: { payment_id: 'order-7' } } }),
);
const now = Math.floor(Date.now() / 1000);

function deliver(body: Buffer, signature: string): Promise<WebhookResponse | null> {
  const headers = { 'content-type': 'application/json', 'acme-signature': signature };
  return manager.webhook({ channel: 'web', plugin: 'acme.gateway', path: '/webhook', method: 'POST', headers, rawBody: body });
}

function show(what: string, answer: WebhookResponse | null): void {
  console.log(`${what}: ${answer?.status} ${JSON.stringify(answer?.body)}`);
  for (const event of answer?.events ?? []) {
    const { response } = event;
    console.log(`  event ${event.eventId} ${event.type}: payment ${event.paymentId}, psp ${event.pspReference}, at ${event.occurredAt?.toISOString()}`);
    console.log(`  ${response.kind} ${response.amount.toFixed(2)} ${response.currency} success=${response.isSuccess} transaction ${response.transactionId}`);
  }
}

show('signed by Acme', await deliver(rawBody, signAcmeWebhook(WEBHOOK_SECRET, rawBody, now)));
show('signed with another secret', await deliver(rawBody, signAcmeWebhook('whsec_guessed_000000', rawBody, now)));
show('body altered after signing', await deliver(Buffer.from(rawBody.toString().replace('500', '50000')), signAcmeWebhook(WEBHOOK_SECRET, rawBody, now)));
show('replayed an hour later', await deliver(rawBody, signAcmeWebhook(WEBHOOK_SECRET, rawBody, now - 3600)));
await manager.close();
