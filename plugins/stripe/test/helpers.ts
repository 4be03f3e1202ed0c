import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { Decimal, MemoryLedgerStore, PaymentService, PluginManager, isPayhostError, silentLogger, type ConfigValues, type GatewayEvent, type GatewayResponse, type PaymentData } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { FakeStripe, type LoggedRequest } from '@payhost/testkit/stripe';

export const CHANNEL = 'web';
export const GATEWAY = 'payhost.stripe';
export const SECRET_KEY = 'sk_test_payhostFake';
export const PUBLISHABLE_KEY = 'pk_test_payhostFake';
export const WEBHOOK_SECRET = 'whsec_payhostFakeSecret';
/** Where Stripe.js sends the customer back (confirmParams.return_url): Stripe requires one to confirm a client-token intent. */
export const RETURN_URL = 'https://shop.example/checkout/return';
export const CURRENCIES = ['USD', 'EUR', 'JPY', 'KWD'];
/** application_fee_fixed for CURRENCIES: one amount per currency (one figure cannot be 0.30 in USD and in JPY). */
export const FIXED_FEES = 'USD 0.30, EUR 0.30, JPY 30, KWD 0.10';
/** The settings normalizeEvent reads, for a channel in LOCAL mode (the default configuration). */
export const LOCAL_SETTINGS = { mode: 'LOCAL', connectedAccountId: null } as const;

/** Outside hosts something tried to reach (nock refused them), across the whole run. */
export const blockedHosts: string[] = [];
nock.emitter.on('no match', (req: { hostname?: string; host?: string; options?: { hostname?: string; host?: string } } | string) => {
  const host = typeof req === 'string' ? req : (req.options?.hostname ?? req.hostname ?? req.options?.host ?? req.host ?? '?');
  if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(String(host))) blockedHosts.push(String(host));
});

/**
 * Blocks every outside connection for the suite it is called in (nock), so
 * no test can reach Stripe or anything else; loopback (the fake) stays open.
 * At the end, asserts nothing in the suite even tried (unless it means to).
 */
export function blockOutsideNetwork(options: { attemptsExpected?: boolean } = {}): void {
  let mark = 0;
  before(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    mark = blockedHosts.length;
  });
  after(() => {
    nock.enableNetConnect();
    if (!options.attemptsExpected) expect(blockedHosts.slice(mark), 'requests to outside hosts').to.deep.equal([]);
  });
}

/** A fake Stripe for the suite (started once, reset before each test), with the network guard. */
export function useFakeStripe(options: { attemptsExpected?: boolean } = {}): { readonly fake: FakeStripe } {
  const holder: { fake: FakeStripe } = {} as { fake: FakeStripe };
  blockOutsideNetwork(options);
  before(async () => {
    holder.fake = await FakeStripe.start();
  });
  beforeEach(() => holder.fake.reset());
  after(async () => holder.fake?.close());
  return holder;
}

/** Plugin configuration pointing at the fake. */
export function config(fake: FakeStripe, overrides: ConfigValues = {}): ConfigValues {
  return {
    ...StripeGatewayPlugin.defaultConfiguration,
    secret_key: SECRET_KEY,
    publishable_key: PUBLISHABLE_KEY,
    webhook_secret: WEBHOOK_SECRET,
    supported_currencies: CURRENCIES.join(','),
    api_base_url: fake.url,
    max_network_retries: '0',
    ...overrides,
  };
}

export function makePlugin(fake: FakeStripe, overrides: ConfigValues = {}, channel = CHANNEL): StripeGatewayPlugin {
  return new StripeGatewayPlugin({ channel, active: true, configuration: config(fake, overrides), logger: silentLogger() });
}

export function makeManager(fake: FakeStripe, overrides: ConfigValues = {}): PluginManager {
  return new PluginManager({
    plugins: [StripeGatewayPlugin],
    config: { channels: [{ slug: CHANNEL, currencies: CURRENCIES, plugins: { [GATEWAY]: { active: true, configuration: config(fake, overrides) } } }] },
    // Tests that provoke 401/403 on purpose would print the plugin's key-refusal alarm on stderr; tests of logging pass their own logger.
    logger: silentLogger(),
  });
}

export function makeLedger(fake: FakeStripe, overrides: ConfigValues = {}): { manager: PluginManager; service: PaymentService; store: MemoryLedgerStore } {
  const manager = makeManager(fake, overrides);
  const store = new MemoryLedgerStore();
  return { manager, store, service: new PaymentService({ manager, store }) };
}

export function key(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export function payment(overrides: Partial<PaymentData> = {}): PaymentData {
  return {
    amount: new Decimal('10.00'),
    paymentId: randomUUID(),
    graphqlPaymentId: 'UGF5bWVudDox',
    currency: 'USD',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: 'buyer@example.com',
    token: 'pm_card_visa',
    customerId: null,
    reuseSource: false,
    data: null,
    idempotencyKey: key('payhost:process'),
    ...overrides,
  };
}

/** Awaits a hook that must not pass through. */
export async function call<T>(promise: Promise<T | undefined>): Promise<T> {
  const value = await promise;
  expect(value, 'the hook passed through').to.not.equal(undefined);
  return value as T;
}

export function expectSuccess(res: GatewayResponse, kind: GatewayResponse['kind'], amount: string): void {
  expect(res.error, res.error ?? '').to.equal(null);
  expect(res.isSuccess).to.equal(true);
  expect(res.kind).to.equal(kind);
  expect(res.amount.eq(amount), `amount ${res.amount.toString()} != ${amount}`).to.equal(true);
  expect(res.errorCode ?? null).to.equal(null);
}

export function expectFailure(res: GatewayResponse, errorCode: string, message?: RegExp): void {
  expect(res.isSuccess, 'isSuccess').to.equal(false);
  expect(res.actionRequired).to.equal(false);
  expect(res.errorCode).to.equal(errorCode);
  expect(res.error).to.be.a('string').and.not.equal('');
  if (message) expect(res.error).to.match(message);
}

/** The requests that created payment intents. */
export function intentCreations(fake: FakeStripe): LoggedRequest[] {
  return fake.requestsTo('/v1/payment_intents', 'POST');
}

export function dec(value: string): Decimal {
  return new Decimal(value);
}

/** Applies the events a webhook answer carries to the ledger, as the reference server does: each one's status, or its error code. */
export async function applyWebhookEvents(service: PaymentService, answer: { events?: readonly GatewayEvent[] | null }): Promise<string[]> {
  const statuses: string[] = [];
  for (const e of answer.events ?? []) {
    statuses.push(await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL }).then(
      (r) => r.status,
      (err: unknown) => (isPayhostError(err) ? err.code : Promise.reject(err)),
    ));
  }
  return statuses;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
