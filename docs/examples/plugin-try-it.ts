// Try the plugin before publishing it: register the class with a PluginManager, configure a channel, pay.
import { Decimal, PluginManager, type PaymentData } from '@payhost/core';
import { ACME_TEST_TOKENS, AcmeGatewayPlugin } from './acme-gateway/src/index.js';

const manager = new PluginManager({
  plugins: [AcmeGatewayPlugin],
  env: { ACME_API_KEY: 'sk_test_0123456789' },
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['USD', 'EUR'],
        plugins: {
          'acme.gateway': {
            active: true,
            configuration: { api_key: '${ACME_API_KEY}', public_key: 'pk_test_123', supported_currencies: 'USD, EUR' },
          },
        },
      },
    ],
  },
});

console.dir(await manager.listPaymentGateways({ channel: 'web', currency: 'EUR' }), { depth: null });

const payment: PaymentData = {
  paymentId: 'order-1',
  graphqlPaymentId: 'order-1',
  amount: new Decimal('19.99'),
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
  idempotencyKey: 'order-1:process',
};
const charged = await manager.processPayment({ channel: 'web', payment });
console.log('process:', charged.isSuccess, charged.kind, charged.amount.toString(), charged.currency, charged.transactionId);

// A retry with the same idempotency key gets the same charge back: Acme does not charge twice.
const retried = await manager.processPayment({ channel: 'web', payment });
console.log('retry:', retried.transactionId === charged.transactionId);

const refund = { ...payment, amount: new Decimal('4.99'), token: charged.transactionId, idempotencyKey: 'order-1:refund-1' };
const refunded = await manager.refundPayment({ channel: 'web', gateway: 'acme.gateway', payment: refund });
console.log('refund:', refunded.isSuccess, refunded.kind, refunded.amount.toString(), refunded.pspReference);

const badCvc = { ...payment, paymentId: 'order-2', token: ACME_TEST_TOKENS.incorrectCvc, idempotencyKey: 'order-2:process' };
const declined = await manager.processPayment({ channel: 'web', payment: badCvc });
console.log('declined:', declined.isSuccess, declined.errorCode, declined.error);
await manager.close();
