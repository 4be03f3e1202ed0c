// The contract check every gateway package should run (`npm test`): the conformance suite of @payhost/testkit
// drives the plugin class through a real PluginManager. The Acme sandbox is in memory; a plugin that calls a
// processor over the network points its configuration at a fake server started in `start` instead.
import { toMinorUnits } from '@payhost/core';
import { describePluginConformance, type ChargeContext, type WebhookDelivery } from '@payhost/testkit/conformance';
import { ACME_TEST_TOKENS, AcmeGatewayPlugin, signAcmeWebhook } from '../src/index.js';

const WEBHOOK_SECRET = 'whsec_conformance_0123456789';

/** Acme's event about the suite's charge, signed with `secret` as Acme signs what it posts to the webhook URL. */
function acmeDelivery({ payment, response }: ChargeContext<undefined>, secret: string): WebhookDelivery {
  const now = Math.floor(Date.now() / 1000);
  const data = { id: response.transactionId, charge: response.transactionId, amount: toMinorUnits(response.amount, response.currency), currency: response.currency, metadata: { payment_id: payment.paymentId } };
  const rawBody = Buffer.from(JSON.stringify({ id: `evt_${response.transactionId}`, type: 'charge.succeeded', created: now, data }));
  return { headers: { 'content-type': 'application/json', 'acme-signature': signAcmeWebhook(secret, rawBody, now) }, rawBody };
}

describePluginConformance(AcmeGatewayPlugin, {
  // An active instance's configuration; fields left out get the class's defaults.
  configuration: () => ({ api_key: 'sk_test_conformance', public_key: 'pk_test_conformance', supported_currencies: 'USD, JPY, KWD', webhook_secret: WEBHOOK_SECRET }),
  // One currency per ISO 4217 exponent the processor supports: amounts are checked in each.
  currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
  successToken: () => ACME_TEST_TOKENS.success,
  declineToken: () => ACME_TEST_TOKENS.declined,
  // The plugin has a webhook: a signed delivery is accepted; a wrong secret, no signature or an altered body refused.
  webhooks: {
    signed: (charged) => acmeDelivery(charged, WEBHOOK_SECRET),
    badlySigned: (charged) => acmeDelivery(charged, 'whsec_guessed_000000'),
    signatureHeader: 'acme-signature',
  },
});
