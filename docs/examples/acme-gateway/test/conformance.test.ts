// The contract check every gateway package should run (`npm test`): the conformance suite of @payhost/testkit
// drives the plugin class through a real PluginManager. The Acme sandbox is in memory; a plugin that calls a
// processor over the network points its configuration at a fake server started in `start` instead.
import { toMinorUnits } from '@payhost/core';
import { describePluginConformance, type ChargeContext, type OperationContext, type WebhookDelivery } from '@payhost/testkit/conformance';
import { ACME_TEST_TOKENS, AcmeClient, AcmeGatewayPlugin, signAcmeWebhook } from '../src/index.js';

const API_KEY = 'sk_test_conformance';
const WEBHOOK_SECRET = 'whsec_conformance_0123456789';

/** What Acme received for one of the suite's calls: the amount (minor units) of the charge or refund its idempotency key made. */
async function acmeAmount({ payment }: OperationContext): Promise<number | null> {
  const result = payment.idempotencyKey ? await new AcmeClient(API_KEY).find(payment.idempotencyKey) : null;
  return result?.ok ? result.value.amount : null;
}

/** Acme's event about the suite's charge, signed with `secret` as Acme signs what it posts to the webhook URL. */
function acmeDelivery({ payment, response }: ChargeContext<undefined>, secret: string): WebhookDelivery {
  const now = Math.floor(Date.now() / 1000);
  const data = { id: response.transactionId, charge: response.transactionId, amount: toMinorUnits(response.amount, response.currency), currency: response.currency, metadata: { payment_id: payment.paymentId } };
  const rawBody = Buffer.from(JSON.stringify({ id: `evt_${response.transactionId}`, type: 'charge.succeeded', created: now, data }));
  return { headers: { 'content-type': 'application/json', 'acme-signature': signAcmeWebhook(secret, rawBody, now) }, rawBody };
}

describePluginConformance(AcmeGatewayPlugin, {
  // An active instance's configuration; fields left out get the class's defaults.
  configuration: () => ({ api_key: API_KEY, public_key: 'pk_test_conformance', supported_currencies: 'USD, JPY, KWD', webhook_secret: WEBHOOK_SECRET }),
  // One currency per ISO 4217 exponent the processor supports: amounts are checked in each.
  currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
  successToken: () => ACME_TEST_TOKENS.success,
  declineToken: () => ACME_TEST_TOKENS.declined,
  // What reached the processor, so the suite checks the minor-unit conversion (1500 JPY -> 1500, 12.345 KWD -> 12345);
  // the plugin's answers alone echo the requested amount whatever it sent.
  amountSent: (_env, op) => acmeAmount(op),
  // The plugin has a webhook: a signed delivery is accepted; a wrong secret, no signature or an altered body refused.
  webhooks: {
    signed: (charged) => acmeDelivery(charged, WEBHOOK_SECRET),
    badlySigned: (charged) => acmeDelivery(charged, 'whsec_guessed_000000'),
    signatureHeader: 'acme-signature',
  },
});
