import { expect } from 'chai';
import { TRANSACTION_ERROR_CODES, type PluginClass } from '@payhost/core';
import type { ConformanceAdapter } from '@payhost/testkit/conformance';
import {
  AcceptsBadSignaturePlugin,
  AlwaysCentsPlugin,
  BadConfigFieldTypePlugin,
  FloatAmountPlugin,
  MinorUnitBugPlugin,
  MissingIdPlugin,
  NonIsoCurrencyPlugin,
  NotIdempotentPlugin,
  RefundsRemainderPlugin,
  ReplacesGatewayListPlugin,
  ReplacesPreviousValuePlugin,
  RoundedCentsPlugin,
  SyncHookPlugin,
  ThrowingHookPlugin,
  UnknownErrorCodePlugin,
  WrongCurrencyPlugin,
  WrongKindPlugin,
} from './fixtures/broken-plugins.js';
import type { FixtureProcessor } from './fixtures/processor.js';
import { ReferencePlugin, fixtureAdapter } from './fixtures/reference-plugin.js';
import { formatFailures, runConformance } from './support/run-conformance.js';

/** A failure the suite must report: in the test whose title contains `test`, a message containing `message`. */
interface Expected {
  test: string;
  message: string;
}

interface Breakage {
  name: string;
  plugin: PluginClass;
  expected: Expected[];
  /** The fixture adapter's options changed for this run (default: the whole fixture adapter). */
  adapter?: Partial<ConformanceAdapter<FixtureProcessor>>;
}

/** The title of the test that says the amounts sent to the processor were not checked. */
const NOT_CHECKED = 'amounts sent to the processor: not checked (the adapter gives no amountSent)';

const UNIFIED = TRANSACTION_ERROR_CODES.join(', ');

const BREAKAGES: Breakage[] = [
  {
    name: 'missing id',
    plugin: MissingIdPlugin,
    expected: [{ test: 'has valid static metadata and a valid config structure', message: 'static id must be a non-empty string, got undefined' }],
  },
  {
    name: 'bad config structure field type',
    plugin: BadConfigFieldTypePlugin,
    expected: [
      {
        test: 'has valid static metadata and a valid config structure',
        message: `configStructure field "webhook_secret" has type 'Text'; expected one of String, Multiline, Boolean, Secret, SecretMultiline, Password, Output`,
      },
    ],
  },
  {
    name: 'hook not async (returns a non-promise)',
    plugin: SyncHookPlugin,
    expected: [
      // The PluginManager takes a synchronous method's plain value as its answer (with a warning): the suite still fails the plugin.
      { test: 'returns a promise from every hook it implements', message: 'processPayment returned undefined, not a promise (hooks must be async functions)' },
    ],
  },
  {
    name: 'hook throws (a bug in the plugin)',
    plugin: ThrowingHookPlugin,
    expected: [
      {
        test: 'processPayment charges the success token',
        message: `the PluginManager replaced the plugin's answer with a processing_error: the hook processPayment threw TypeError: Cannot read properties of undefined (reading 'brand'), at ThrowingHookPlugin.processPayment (`,
      },
      { test: 'processPayment charges the success token', message: 'broken-plugins.ts:' },
    ],
  },
  {
    name: 'ignores previousValue in a chained hook (getSupportedCurrencies replaces instead of appending)',
    plugin: ReplacesPreviousValuePlugin,
    expected: [
      { test: 'keeps previousValue in chained hooks', message: 'getSupportedCurrencies dropped previousValue: given ["XTS"], it returned ["USD","JPY","KWD"]' },
      { test: "keeps the previous plugin's values in chained hooks run by the PluginManager", message: "getSupportedCurrencies dropped the previous plugin's values: the pipeline answered [USD, JPY, KWD], without XTS" },
    ],
  },
  {
    name: 'a getPaymentGateways override that lists itself alone (drops the gateways listed before it)',
    plugin: ReplacesGatewayListPlugin,
    expected: [
      { test: 'keeps previousValue in chained hooks', message: 'getPaymentGateways dropped previousValue: given [{"id":"payhost.conformance-probe"' },
      { test: "keeps the previous plugin's values in chained hooks run by the PluginManager", message: "listPaymentGateways lost the previous plugin's gateway: got [fixture.replaces-gateway-list]" },
    ],
  },
  {
    name: 'declares a non-ISO currency',
    plugin: NonIsoCurrencyPlugin,
    expected: [
      { test: 'declares a valid GatewayConfig with ISO 4217 currencies', message: "supportedCurrencies[3] 'BTC' is not an ISO 4217 currency code" },
      { test: '"before all" hook', message: 'the PluginManager refuses the plugin with the adapter\'s configuration: [invalid_configuration] Plugin "fixture.non-iso-currency" declares "BTC", which is not an ISO 4217 currency' },
    ],
  },
  {
    name: 'response amount as a float number',
    plugin: FloatAmountPlugin,
    expected: [{ test: 'processPayment charges the success token', message: 'answered processPayment with amount the number 10.5, a JavaScript number, not a Decimal or a decimal string' }],
  },
  {
    name: 'response in the wrong currency',
    plugin: WrongCurrencyPlugin,
    expected: [{ test: 'processPayment charges the success token', message: "currency must be the payment's currency USD, got 'usd'" }],
  },
  {
    name: 'unknown error code',
    plugin: UnknownErrorCodePlugin,
    expected: [
      { test: 'declines the decline token with a unified error code', message: `errorCode 'card_declined' is not a unified error code (expected one of ${UNIFIED})` },
    ],
  },
  {
    name: 'wrong kind',
    plugin: WrongKindPlugin,
    expected: [{ test: 'refundPayment refunds part of a captured payment', message: "kind 'capture' is not a kind refundPayment may return (expected one of refund, refund_failed, refund_ongoing, pending)" }],
  },
  {
    name: 'minor-unit bug (sends 10.5 instead of 1050)',
    plugin: MinorUnitBugPlugin,
    expected: [
      { test: 'keeps 10.50 USD exact', message: 'processPayment sent 10.5 to the processor for 10.50 USD; expected 1050 (minor units: ISO 4217 gives USD 2 decimal places)' },
      { test: 'keeps 10.50 USD exact', message: 'refundPayment sent 2.5 to the processor for 2.50 USD; expected 250' },
      { test: 'keeps 12.345 KWD exact', message: 'processPayment sent 12.345 to the processor for 12.345 KWD; expected 12345' },
    ],
  },
  {
    name: 'minor-unit bug (always two decimals: wrong for 0- and 3-decimal currencies)',
    plugin: AlwaysCentsPlugin,
    expected: [
      { test: 'keeps 1500 JPY exact', message: 'processPayment sent 150000 to the processor for 1500 JPY; expected 1500 (minor units: ISO 4217 gives JPY 0 decimal places)' },
      { test: 'keeps 12.345 KWD exact', message: 'processPayment sent 1234.5 to the processor for 12.345 KWD; expected 12345 (minor units: ISO 4217 gives KWD 3 decimal places)' },
    ],
  },
  {
    name: 'minor-unit bug (x 100 rounded whatever the currency: 150000 for 1500 JPY, 1235 for 12.345 KWD)',
    plugin: RoundedCentsPlugin,
    expected: [
      { test: 'keeps 1500 JPY exact', message: 'processPayment sent 150000 to the processor for 1500 JPY; expected 1500 (minor units: ISO 4217 gives JPY 0 decimal places)' },
      { test: 'keeps 1500 JPY exact', message: 'refundPayment sent 50000 to the processor for 500 JPY; expected 500' },
      { test: 'keeps 12.345 KWD exact', message: 'processPayment sent 1235 to the processor for 12.345 KWD; expected 12345 (minor units: ISO 4217 gives KWD 3 decimal places)' },
    ],
  },
  {
    name: 'refunds the whole remaining charge at the processor, answering with the requested part (adapter without amountSent)',
    plugin: RefundsRemainderPlugin,
    adapter: { amountSent: undefined },
    expected: [
      {
        test: 'refundPayment refunds part of a captured payment twice, then refuses more than is left',
        message: 'the second refundPayment of 2.50 USD, after a first of 2.50 USD (of 10.50 USD captured): a plugin that refunded the whole remaining charge at the processor the first time cannot make it:\n  - expected a success, got isSuccess false, kind refund, amount 2.50 USD, errorCode processing_error: "The charge has already been refunded."',
      },
    ],
  },
  {
    name: 'not idempotent (charges twice on a retried idempotency key)',
    plugin: NotIdempotentPlugin,
    expected: [
      { test: 'a retried processPayment (same idempotency key) does not charge twice', message: 'a retried processPayment with the same idempotency key made a new transaction' },
      { test: 'a retried refundPayment (same idempotency key) does not refund twice', message: 'a retried refundPayment with the same idempotency key made a new transaction' },
      { test: 'a retried capturePayment (same idempotency key) does not capture twice', message: 'the retry answered isSuccess false where the first call answered true' },
    ],
  },
  {
    name: 'webhook accepts a bad signature',
    plugin: AcceptsBadSignaturePlugin,
    expected: [
      { test: 'rejects a webhook signed with a wrong secret', message: 'a badly signed webhook must be refused with a 4xx status, got 200' },
      { test: 'rejects a webhook without its x-fixture-signature header', message: 'a badly signed webhook must be refused with a 4xx status, got 200' },
      { test: 'rejects a correctly signed webhook whose body was altered', message: 'a badly signed webhook must be refused with a 4xx status, got 200' },
    ],
  },
];

describe('testkit conformance suite: the reference fixture passes it', () => {
  it('passes every check (so each failure below is the breakage, not the fixture)', async function () {
    this.timeout(120_000);
    const run = await runConformance(ReferencePlugin, fixtureAdapter());
    expect(run.failures, formatFailures(run.failures)).to.deep.equal([]);
    expect(run.passes.length).to.be.greaterThan(25);
    expect(run.passes.filter((title) => title.includes(NOT_CHECKED)), 'with amountSent, no test says the amounts sent were not checked').to.deep.equal([]);
  });
});

describe('testkit conformance suite: an adapter without amountSent', () => {
  it('says, in a passing test, that the amounts sent to the processor were not checked (the x 100 bug then passes every check)', async function () {
    this.timeout(120_000);
    const run = await runConformance(RoundedCentsPlugin, fixtureAdapter({ amountSent: undefined }));
    expect(run.failures, formatFailures(run.failures)).to.deep.equal([]);
    expect(run.passes.filter((title) => title.includes(NOT_CHECKED))).to.have.length(1);
  });
});

describe('testkit conformance suite: fails with a clear message for each broken fixture plugin', () => {
  for (const breakage of BREAKAGES) {
    it(breakage.name, async function () {
      this.timeout(120_000);
      const run = await runConformance(breakage.plugin, fixtureAdapter(breakage.adapter));
      expect(run.failures.length, `the suite passed a plugin with this breakage`).to.be.greaterThan(0);
      for (const expected of breakage.expected) {
        const hit = run.failures.find((f) => f.title.includes(expected.test) && f.message.includes(expected.message));
        expect(hit, `no failure of "${expected.test}" saying:\n  ${expected.message}\nfailures:\n${formatFailures(run.failures)}`).to.not.equal(undefined);
      }
    });
  }
});
