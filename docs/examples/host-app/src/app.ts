// A host app using the installed packages: the Acme gateway is loaded by package name from the config file.
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { loadServerConfig } from '@payhost/server';
import AcmeGatewayPlugin, { ACME_TEST_TOKENS } from '@acme/payhost-plugin-acme';

const config = await loadServerConfig('payhost.config.json');
const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host });
const payments = new PaymentService({ manager, store: new MemoryLedgerStore() });

for (const currency of ['USD', 'EUR']) {
  const gateways = await manager.listPaymentGateways({ channel: 'web', currency });
  console.log(currency, gateways.map((g) => `${g.id} (${g.name}) ${JSON.stringify(g.config)}`).join(', '));
}

// Checkout: record the payment, then charge the card token the browser got from Acme.
const payment = await payments.createPayment({
  idempotencyKey: 'order-1001:create',
  channel: 'web',
  total: new Decimal('25.00'),
  currency: 'USD',
  token: ACME_TEST_TOKENS.success,
  customerEmail: 'buyer@example.com',
});
const charged = await payments.process({ paymentId: payment.id, idempotencyKey: 'order-1001:process' });
console.log('charged:', charged.payment.gateway, charged.payment.chargeStatus, charged.payment.capturedAmount.toFixed(2), charged.transaction.kind);

const refunded = await payments.refund({ paymentId: payment.id, idempotencyKey: 'order-1001:refund-1', amount: '5.00' });
console.log('refunded:', refunded.transaction.amount.toFixed(2), refunded.payment.chargeStatus, refunded.payment.capturedAmount.toFixed(2));

// A decline is recorded as a failed transaction, then thrown with the unified error code.
const declined = await payments.createPayment({
  idempotencyKey: 'order-1002:create',
  channel: 'web',
  total: '9.99',
  currency: 'USD',
  token: ACME_TEST_TOKENS.expired,
});
try {
  await payments.process({ paymentId: declined.id, idempotencyKey: 'order-1002:process' });
} catch (err) {
  if (!(err instanceof GatewayDeclinedError)) throw err;
  console.log('declined:', err.code, err.errorCode, err.message);
}

// Reads are masked; the key itself stays in the environment (a bare ${ENV} reference is shown as is).
const view = manager.getPluginConfiguration(AcmeGatewayPlugin.id, 'web');
console.log('configuration:', JSON.stringify(view.configuration));
await manager.close();
