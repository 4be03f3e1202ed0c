// A complete payhost host app: the dummy gateway, two channels in two currencies.
import { PluginManager, Decimal } from '@payhost/core';
import { DummyGatewayPlugin, DUMMY_TOKENS } from '@payhost/plugin-dummy';

const manager = new PluginManager({
  plugins: [DummyGatewayPlugin],
  config: {
    channels: [
      { slug: 'us-store', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true } } },
      { slug: 'jp-store', currencies: ['JPY'],
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'JPY', auto_capture: false } } } },
    ],
  },
});

console.log(await manager.listPaymentGateways({ channel: 'jp-store', currency: 'JPY' }));
const response = await manager.processPayment({
  channel: 'jp-store',
  payment: { paymentId: 'order-1', graphqlPaymentId: 'order-1', amount: new Decimal(1200), currency: 'JPY',
    token: DUMMY_TOKENS.success, customerEmail: 'buyer@example.com', billing: null, shipping: null, orderId: null,
    customerIpAddress: null, customerId: null, reuseSource: false, data: null },
});
console.log(response.kind, response.isSuccess, response.amount.toString(), response.currency);
await manager.close();
