import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Decimal, PluginManager } from '@payhost/core';
import { FakeRazorpay, razorpayCheckoutSignature, signedCheckoutResult } from '@payhost/testkit/razorpay';
import { RazorpayGatewayPlugin, verifyCheckoutSignature } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, call, clientToken, expectFailure, expectSuccess, makeManager, makePlugin, payment, useFakeRazorpay } from './helpers.js';

describe('razorpay: checkout (client token, payment config, checkout signature)', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));

  it('getClientToken creates an order and returns the Checkout options as JSON (key, order id, amount in subunits, currency)', async () => {
    const plugin = makePlugin(fake, { checkout_name: 'Acme Store' });
    const token = await clientToken(plugin, '499.50', 'INR', 'pay-host-42');
    expect(token).to.deep.equal({
      key: fake.keyId,
      order_id: token.order_id,
      amount: 49950,
      currency: 'INR',
      name: 'Acme Store',
      notes: { payhost_payment_id: 'pay-host-42' },
    });
    const order = fake.state.order(token.order_id);
    expect(order.amount).to.equal(49950);
    // No receipt: Razorpay refuses a receipt another order already has, and a payment may need several orders.
    expect(order.receipt).to.equal(null);
    expect(order.notes).to.deep.equal({ payhost_payment_id: 'pay-host-42' });
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/orders');
    expect(create?.headers['authorization']).to.equal('Basic');
  });

  it('getClientToken again for the same payment (the customer tries again) creates another order, not a refused duplicate receipt', async () => {
    // Razorpay refuses an order whose receipt another order already has (400 "Order receipt should be unique.");
    // a checkout that failed or was abandoned needs a new order for the same host payment.
    const plugin = makePlugin(fake);
    const first = await clientToken(plugin, '499.50', 'INR', 'pay-host-7');
    fake.checkout(first.order_id, { status: 'failed' });
    const second = await clientToken(plugin, '499.50', 'INR', 'pay-host-7');
    expect(second.order_id).to.not.equal(first.order_id);
    expect(fake.state.order(second.order_id).notes).to.deep.equal({ payhost_payment_id: 'pay-host-7' });
    const { razorpay_order_id, razorpay_payment_id, razorpay_signature } = fake.checkout(second.order_id);
    const token = JSON.stringify({ razorpay_order_id, razorpay_payment_id, razorpay_signature });
    expectSuccess(await call(plugin.processPayment(payment({ paymentId: 'pay-host-7', token }), null)), 'capture', '499.50');
  });

  it('getClientToken through the manager; a token request without an amount, or in a currency not configured, fails clearly', async () => {
    const manager = makeManager(fake, { supported_currencies: 'INR' });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('10'), currency: 'INR' })) as { amount: number; notes?: unknown };
    expect(token.amount).to.equal(1000);
    expect(token.notes).to.equal(undefined);
    const plugin = makePlugin(fake, { supported_currencies: 'INR' });
    await plugin.getClientToken({ currency: 'INR' }, null).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_input'),
    );
    await plugin.getClientToken({ amount: new Decimal(5), currency: 'USD' }, null).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('currency_not_supported'),
    );
    // Through the manager the plugin's typed error reaches the caller as it is.
    await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, currency: 'INR' }).then(
      () => expect.fail('should reject'),
      (err: Error & { code?: string }) => expect(err.code).to.equal('invalid_input'),
    );
    await manager.close();
  });

  it('getClientToken: an order Razorpay refuses is invalid_input with its description; an outage is plugin_failed saying what failed', async () => {
    const manager = makeManager(fake, { supported_currencies: 'INR' });
    try {
      fake.injectError({ method: 'POST', path: '/v1/orders' }, 400, { description: 'Order amount less than minimum amount allowed', field: 'amount' });
      const refused = await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('0.50'), currency: 'INR' }).then(() => null, (err: unknown) => err);
      expect(refused).to.include({ code: 'invalid_input', message: 'Razorpay refused the checkout order: Order amount less than minimum amount allowed' });
      expect((refused as { details: { razorpay: Record<string, unknown> } }).details.razorpay).to.include({ statusCode: 400, code: 'BAD_REQUEST_ERROR', field: 'amount' });
      fake.injectError({ method: 'POST', path: '/v1/orders' }, 500, { code: 'SERVER_ERROR', description: 'We are facing some trouble completing your request at the moment.' });
      const failed = await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('10'), currency: 'INR' }).then(() => null, (err: unknown) => err);
      expect(failed).to.include({ code: 'plugin_failed' });
      expect((failed as Error).message).to.not.include('[object Object]');
    } finally {
      await manager.close();
    }
  });

  it('getPaymentConfig gives the key id (never the secret); the gateway is listed for its currencies', async () => {
    const plugin = makePlugin(fake);
    const config = await call(plugin.getPaymentConfig({ channel: CHANNEL }, []));
    expect(config).to.deep.include({ field: 'key_id', value: fake.keyId });
    expect(JSON.stringify(config)).to.not.include(fake.keySecret);
    const manager = makeManager(fake);
    const gateways = await manager.listPaymentGateways({ channel: CHANNEL, currency: 'INR' });
    expect(gateways.map((g) => g.id)).to.deep.equal([GATEWAY]);
    expect(gateways[0]?.config).to.deep.include({ field: 'key_id', value: fake.keyId });
    await manager.close();
  });

  it('processPayment accepts a genuine checkout signature', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const result = fake.checkout(order_id);
    expect(result.razorpay_signature).to.equal(razorpayCheckoutSignature(order_id, result.razorpay_payment_id, fake.keySecret));
    expect(verifyCheckoutSignature(order_id, result.razorpay_payment_id, result.razorpay_signature, fake.keySecret)).to.equal(true);
    const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result) }), null));
    expectSuccess(response, 'capture', '499.50');
    expect(response.pspReference).to.equal(result.razorpay_payment_id);
  });

  it('processPayment refuses a bad signature before calling Razorpay: tampered, wrong secret, swapped ids', async () => {
    const plugin = makePlugin(fake);
    const { order_id } = await clientToken(plugin, '499.50', 'INR');
    const other = await clientToken(plugin, '1.00', 'INR', 'pay-host-2');
    const result = fake.checkout(order_id);
    const flipped = result.razorpay_signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const cases = [
      { ...result, razorpay_signature: flipped },
      signedCheckoutResult(order_id, result.razorpay_payment_id, 'not-the-key-secret'),
      { ...result, razorpay_order_id: other.order_id },
    ];
    fake.requests.length = 0;
    for (const token of cases) {
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(token) }), null));
      expectFailure(response, 'processing_error', /signature is invalid/, 'invalid_checkout_signature');
    }
    expect(fake.requests, 'no call reached Razorpay').to.deep.equal([]);
    expect(fake.state.payment(result.razorpay_payment_id).status).to.equal('authorized');
    expect(verifyCheckoutSignature(order_id, result.razorpay_payment_id, flipped, fake.keySecret)).to.equal(false);
  });

  it('processPayment refuses malformed tokens with a message naming the expected format', async () => {
    const plugin = makePlugin(fake);
    const tokens = [null, '', 'pay_123', '{"razorpay_order_id":"order_1"}', JSON.stringify({ razorpay_order_id: 'order_1', razorpay_payment_id: 'pay_../../x', razorpay_signature: 'a'.repeat(64) })];
    for (const token of tokens) {
      const response = await call(plugin.processPayment(payment({ token }), null));
      expectFailure(response, 'processing_error', /razorpay_|JSON/, 'invalid_checkout_token');
    }
    expect(fake.requests).to.deep.equal([]);
  });

  it('processPayment refuses a genuine checkout of another payment, amount, currency or pinned order, and captures nothing', async () => {
    const plugin = makePlugin(fake);
    const mine = await clientToken(plugin, '499.50', 'INR', 'pay-host-1');
    const theirs = await clientToken(plugin, '499.50', 'INR', 'pay-host-2');
    const cheap = await clientToken(plugin, '1.00', 'INR', 'pay-host-1');
    const dollars = await clientToken(plugin, '499.50', 'USD', 'pay-host-1');
    const cases: Array<[string, string, RegExp, Record<string, unknown> | null]> = [
      [theirs.order_id, 'order_mismatch', /created for payment pay-host-2/, null],
      [cheap.order_id, 'amount_mismatch', /100 subunits, the payment expects 49950/, null],
      [dollars.order_id, 'currency_mismatch', /USD, the payment is in INR/, null],
      [mine.order_id, 'order_mismatch', /this payment's order is order_pinned/, { razorpayOrderId: 'order_pinned' }],
    ];
    for (const [orderId, reason, message, data] of cases) {
      const result = fake.checkout(orderId);
      const response = await call(plugin.processPayment(payment({ token: JSON.stringify(result), data }), null));
      expectFailure(response, 'processing_error', message, reason);
      expect(fake.state.payment(result.razorpay_payment_id).status).to.equal('authorized');
    }
    expect(fake.requests.filter((r) => r.path.endsWith('/capture'))).to.deep.equal([]);
  });

  it('hosts load it by package name (default export)', async () => {
    const manager = await PluginManager.create({
      plugins: ['@payhost/plugin-razorpay'],
      config: { channels: [{ slug: CHANNEL, currencies: ['INR'] }] },
      pluginBaseDir: fileURLToPath(new URL('../../..', import.meta.url)),
    });
    expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).name).to.equal('Razorpay');
    await manager.close();
  });

  it('an active plugin without keys, or with a non-https base URL, is rejected when the configuration loads', () => {
    const load = (configuration: Record<string, unknown>) => () =>
      new RazorpayGatewayPlugin({ channel: CHANNEL, active: true, configuration: { ...RazorpayGatewayPlugin.defaultConfiguration, ...configuration } as never, logger: undefined as never });
    expect(load({})).to.throw(/key_id is required; key_secret is required/);
    expect(load({ key_id: 'rzp_test_x', key_secret: 's', api_base_url: 'http://api.example.com' })).to.throw(/must use https/);
    expect(() => makeManager(fake, { key_secret: '' })).to.throw(/key_secret is required/);
    const inactive = new RazorpayGatewayPlugin({ channel: CHANNEL, active: false, configuration: RazorpayGatewayPlugin.defaultConfiguration, logger: undefined as never });
    expect(inactive.settings.problems).to.include('key_id is required');
  });

  it('masks the key secret and webhook secret when the configuration is read back', async () => {
    const manager = makeManager(fake);
    const view = manager.getPluginConfiguration(GATEWAY, CHANNEL);
    expect(view.configuration['key_secret']).to.not.equal(fake.keySecret);
    expect(String(view.configuration['key_secret'])).to.match(/^\*+6789$/);
    expect(String(view.configuration['webhook_secret'])).to.not.include(fake.webhookSecret.slice(0, -4));
    expect(view.configuration['key_id']).to.equal(fake.keyId);
    await manager.close();
  });
});
