import { expect } from 'chai';
import nock from 'nock';
import { Decimal, PluginManager, silentLogger, type ConfigValues, type GatewayResponse, type PaymentData } from '@payhost/core';
import { FakeRazorpay } from '@payhost/testkit/razorpay';
import { RazorpayGatewayPlugin } from '@payhost/plugin-razorpay';

export const CHANNEL = 'in-store';
export const GATEWAY = 'payhost.razorpay';

/** Hosts other than loopback that something tried to reach (and nock refused), across the whole run. */
export const outsideRequests: string[] = [];
nock.emitter.on('no match', (req: { hostname?: string; host?: string; options?: { hostname?: string; host?: string } } | string) => {
  const host = typeof req === 'string' ? req : (req.options?.hostname ?? req.hostname ?? req.options?.host ?? req.host ?? '?');
  if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(String(host))) outsideRequests.push(String(host));
});

/**
 * Blocks every outside connection for the suite (only 127.0.0.1, the fakes,
 * is reachable) and asserts at the end that nothing in it even tried.
 */
/**
 * One fake Razorpay server for the suite (outside hosts blocked), reset before
 * each test; `use` receives it once it is listening.
 */
export function useFakeRazorpay(use: (fake: FakeRazorpay) => void): void {
  blockOutsideNetwork();
  let fake: FakeRazorpay | undefined;
  before(async () => {
    fake = await FakeRazorpay.start();
    use(fake);
  });
  after(() => fake?.close());
  beforeEach(() => fake?.reset());
}

export function blockOutsideNetwork(): void {
  let mark = 0;
  before(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/^127\.0\.0\.1(:\d+)?$/);
    mark = outsideRequests.length;
  });
  after(() => {
    nock.enableNetConnect();
    expect(outsideRequests.slice(mark), 'requests to outside hosts').to.deep.equal([]);
  });
}

export function configuration(fake: FakeRazorpay, overrides: ConfigValues = {}): ConfigValues {
  return {
    key_id: fake.keyId,
    key_secret: fake.keySecret,
    webhook_secret: fake.webhookSecret,
    api_base_url: fake.url,
    supported_currencies: 'INR, USD, JPY, KWD',
    auto_capture: true,
    ...overrides,
  };
}

export function makePlugin(fake: FakeRazorpay, overrides: ConfigValues = {}): RazorpayGatewayPlugin {
  return new RazorpayGatewayPlugin({
    channel: CHANNEL,
    active: true,
    configuration: { ...RazorpayGatewayPlugin.defaultConfiguration, ...configuration(fake, overrides) },
    logger: silentLogger(),
  });
}

export function makeManager(fake: FakeRazorpay, overrides: ConfigValues = {}): PluginManager {
  return new PluginManager({
    plugins: [RazorpayGatewayPlugin],
    config: {
      channels: [{ slug: CHANNEL, currencies: ['INR', 'USD', 'JPY', 'KWD'], plugins: { [GATEWAY]: { active: true, configuration: configuration(fake, overrides) } } }],
    },
    // Webhook refusals are logged as warnings: the default logger would print them to stderr.
    logger: silentLogger(),
    hookTimeoutMs: 10_000,
  });
}

export function payment(overrides: Partial<PaymentData> = {}): PaymentData {
  return {
    amount: new Decimal('499.50'),
    paymentId: 'pay-host-1',
    graphqlPaymentId: 'UGF5bWVudDox',
    currency: 'INR',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: 'buyer@example.com',
    token: null,
    customerId: null,
    reuseSource: false,
    data: null,
    ...overrides,
  };
}

/** Creates the order through getClientToken, as a host would, and returns the parsed token. */
export async function clientToken(plugin: RazorpayGatewayPlugin, amount: string, currency: string, paymentId = 'pay-host-1') {
  const token = await plugin.getClientToken({ amount: new Decimal(amount), currency, data: { paymentId } }, null);
  expect(token).to.be.a('string');
  return JSON.parse(token as string) as { key: string; order_id: string; amount: number; currency: string; notes?: Record<string, string> };
}

export async function call<T>(promise: Promise<T | undefined>): Promise<T> {
  const value = await promise;
  expect(value, 'hook passed through').to.not.equal(undefined);
  return value as T;
}

export function expectSuccess(response: GatewayResponse, kind: GatewayResponse['kind'], amount: string): void {
  expect(response.error, response.error ?? '').to.equal(null);
  expect(response.isSuccess).to.equal(true);
  expect(response.kind).to.equal(kind);
  expect(response.amount.toFixed(response.amount.decimalPlaces())).to.equal(new Decimal(amount).toFixed(response.amount.decimalPlaces()));
  expect(response.amount.eq(new Decimal(amount)), `amount ${response.amount.toString()} != ${amount}`).to.equal(true);
  expect(response.errorCode ?? null).to.equal(null);
}

export function expectFailure(response: GatewayResponse, errorCode: string, message?: RegExp, reason?: string): void {
  expect(response.isSuccess).to.equal(false);
  expect(response.errorCode).to.equal(errorCode);
  expect(response.error).to.be.a('string').and.not.equal('');
  if (message) expect(response.error).to.match(message);
  if (reason) expect(response.rawResponse?.['code']).to.equal(reason);
}
