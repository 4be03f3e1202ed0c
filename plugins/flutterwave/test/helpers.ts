import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { Decimal, MemoryLedgerStore, PaymentService, PluginManager, createLogger, silentLogger, type ConfigValues, type GatewayResponse, type Logger, type Payment, type PaymentData } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin } from '@payhost/plugin-flutterwave';
import { ownedTempDir } from '../../../tests/support/owned-temp.js';

export const CHANNEL = 'lagos';
export const GATEWAY = 'payhost.flutterwave';

/** The SDK's telemetry hosts (utils/logger.js): the only outside hosts anything may try, and only to be refused. */
export const TELEMETRY_HOSTS = ['api.ravepay.co', 'signozservice-prod.f4b-flutterwave.com'];

/**
 * One state directory for the whole test process: the SDK fixes its state file when it first loads. Removed
 * when the process ends, also on SIGINT/SIGTERM; a killed run's is removed by the next (tests/support/owned-temp.ts).
 */
export const STATE_DIR = ownedTempDir('payhost-flw-test-');

/** Outside hosts something tried to reach (nock refused them), across the whole run. */
export const outsideRequests: string[] = [];
nock.emitter.on('no match', (req: { hostname?: string; host?: string; options?: { hostname?: string; host?: string } } | string) => {
  const host = typeof req === 'string' ? req : (req.options?.hostname ?? req.hostname ?? req.options?.host ?? req.host ?? '?');
  if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(String(host))) outsideRequests.push(String(host).replace(/:\d+$/, ''));
});

/**
 * Blocks every outside connection for the suite (127.0.0.1, the fakes, stays
 * reachable) and asserts at the end that nothing but the SDK's telemetry even
 * tried to go out — and that was refused.
 */
export function blockOutsideNetwork(): void {
  let mark = 0;
  before(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/^127\.0\.0\.1(:\d+)?$/);
    mark = outsideRequests.length;
  });
  after(() => {
    nock.enableNetConnect();
    const others = outsideRequests.slice(mark).filter((h) => !TELEMETRY_HOSTS.includes(h));
    expect(others, 'requests to outside hosts other than the refused SDK telemetry').to.deep.equal([]);
  });
}

/** A fresh idempotency key. */
export const key = (): string => `key-${randomUUID()}`;

/** What ledgerSuite() gives each test: read the fields inside a test or hook, they change per test. */
export interface LedgerSuite {
  readonly fake: FakeFlutterwave;
  readonly manager: PluginManager;
  readonly service: PaymentService;
  /** A payment of `total` NGN paid with Inline and processed through the service (charged). */
  captured(total?: string): Promise<Payment>;
}

/**
 * Registers the hooks of a suite that runs payments through the ledger: outside network blocked, one
 * fake for the suite, a fresh manager and in-memory ledger for each test.
 */
export function ledgerSuite(): LedgerSuite {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let manager: PluginManager;
  let service: PaymentService;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    manager = makeManager(fake);
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: silentLogger() });
  });
  afterEach(() => manager.close());

  async function captured(total = '1500.50'): Promise<Payment> {
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal(total), currency: 'NGN' })) as { tx_ref: string };
    const { transaction: _t, ...callback } = fake.pay({ tx_ref: token.tx_ref, amount: total, currency: 'NGN' });
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency: 'NGN', token: JSON.stringify(callback) });
    await service.process({ paymentId: payment.id, idempotencyKey: key(), data: { txRef: token.tx_ref } });
    return payment;
  }

  return {
    get fake() { return fake; },
    get manager() { return manager; },
    get service() { return service; },
    captured,
  };
}

export function configuration(fake: FakeFlutterwave, overrides: ConfigValues = {}): ConfigValues {
  return {
    public_key: fake.publicKey,
    secret_key: fake.secretKey,
    secret_hash: fake.secretHash,
    api_base_url: fake.baseUrl,
    supported_currencies: 'NGN, KES, UGX, GHS, USD',
    sdk_state_dir: STATE_DIR,
    ...overrides,
  };
}

export function makePlugin(fake: FakeFlutterwave, overrides: ConfigValues = {}, channel = CHANNEL): FlutterwaveGatewayPlugin {
  return new FlutterwaveGatewayPlugin({
    channel,
    active: true,
    configuration: { ...FlutterwaveGatewayPlugin.defaultConfiguration, ...configuration(fake, overrides) },
    logger: silentLogger(),
  });
}

export function makeManager(fake: FakeFlutterwave, overrides: ConfigValues = {}, logger: Logger = silentLogger()): PluginManager {
  return new PluginManager({
    plugins: [FlutterwaveGatewayPlugin],
    config: { channels: [{ slug: CHANNEL, currencies: ['NGN', 'KES', 'UGX', 'GHS', 'USD'], plugins: { [GATEWAY]: { active: true, configuration: configuration(fake, overrides) } } }] },
    // Webhook refusals are logged as warnings: the default logger would print them to stderr.
    logger,
    hookTimeoutMs: 10_000,
  });
}

export function payment(overrides: Partial<PaymentData> = {}): PaymentData {
  return {
    amount: new Decimal('1500.50'),
    paymentId: 'pay-host-1',
    graphqlPaymentId: 'UGF5bWVudDox',
    currency: 'NGN',
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

export interface ParsedClientToken {
  public_key: string;
  tx_ref: string;
  amount: number;
  currency: string;
}

export async function clientToken(plugin: FlutterwaveGatewayPlugin, amount: string, currency: string, paymentId: string | null = 'pay-host-1'): Promise<ParsedClientToken> {
  const token = await plugin.getClientToken({ amount: new Decimal(amount), currency, data: paymentId ? { paymentId } : null }, null);
  expect(token).to.be.a('string');
  return JSON.parse(token as string) as ParsedClientToken;
}

/** The customer pays with Inline for a client token; returns the token processPayment gets (Inline's callback result). */
export async function inlinePayment(fake: FakeFlutterwave, plugin: FlutterwaveGatewayPlugin, amount: string, currency: string, options: { status?: 'successful' | 'failed' | 'pending'; paid?: string; paidCurrency?: string; processorResponse?: string; paymentId?: string | null } = {}) {
  const ct = await clientToken(plugin, amount, currency, options.paymentId === undefined ? 'pay-host-1' : options.paymentId);
  const result = fake.pay({
    tx_ref: ct.tx_ref,
    amount: options.paid ?? amount,
    currency: options.paidCurrency ?? currency,
    ...(options.status ? { status: options.status } : {}),
    ...(options.processorResponse ? { processorResponse: options.processorResponse } : {}),
  });
  const { transaction, ...callback } = result;
  return { clientToken: ct, transaction, token: JSON.stringify(callback) };
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

/** A logger that keeps what it writes (JSON lines, parsed), from `level` up. */
export function recordingLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: createLogger({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}
