import {
  Decimal,
  isIsoCurrency,
  minorUnits,
  toMinorUnits,
  type GatewayConfig,
  type GatewayOperation,
  type GatewayResponse,
  type PaymentData,
  type PluginClass,
  type TransactionErrorCode,
} from '@payhost/core';
import type { ConformanceAdapter, ConformanceOptions, MochaLike } from './adapter.js';
import { assertConforms, checkGatewayConfig, checkPluginClass, quote, show, type Violation } from './checks.js';
import { CLASSES, EXPONENT, Harness, expectSuccess } from './harness.js';
import { message, money, same, summary } from './report-text.js';
import { PROBE } from './probe.js';
import { registerRefundTests } from './refunds.js';
import { registerRetryTests } from './retries.js';
import { registerTransactionStatusTests } from './status.js';
import { registerWebhookTests } from './webhooks.js';

function globalMocha(): MochaLike {
  const g = globalThis as unknown as Partial<MochaLike>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.before !== 'function' || typeof g.after !== 'function') {
    throw new Error('describePluginConformance registers a mocha suite: call it from a test file mocha loads (describe/it are not defined here), or pass options.mocha');
  }
  return g as MochaLike;
}

function pluginTitle(plugin: PluginClass): string {
  const id = (plugin as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : plugin.name || 'anonymous plugin class';
}

/**
 * Registers the conformance suite of a gateway plugin as a mocha `describe`:
 *
 * - static metadata and config structure (`checkPluginClass`);
 * - an instance built from the adapter's configuration: a valid GatewayConfig
 *   with ISO 4217 currencies (`checkGatewayConfig`), every hook async,
 *   previousValue kept by chained hooks, everything passed through when inactive;
 * - through a PluginManager with one channel (the plugin and a probe plugin
 *   ahead of it): listing, previousValue in the pipeline, client token,
 *   process / authorize / capture / refund (two partial refunds, then one
 *   for more than is left, which must be refused) / void / decline / 3-D
 *   Secure (each answer checked by `checkGatewayResponse`), amounts for 0-,
 *   2- and 3-decimal currencies (what the processor received, in minor
 *   units, only with the adapter's `amountSent`: without it a passing test
 *   says it was not checked),
 *   idempotent retries, getTransactionStatus (a completed charge found by
 *   its key, an invented key answered "no record"), webhook signature checks,
 *   and the refund event a delivery reports (when the adapter makes one).
 *
 * Failures name the call and list every broken rule.
 *
 * @example
 * ```ts
 * describePluginConformance(AcmeGatewayPlugin, {
 *   start: () => FakeAcme.start(),
 *   stop: (fake) => fake.close(),
 *   configuration: (fake) => ({ api_key: 'test', api_base_url: fake.url, supported_currencies: 'USD, JPY, KWD' }),
 *   currencies: { zero: 'JPY', two: 'USD', three: 'KWD' },
 *   successToken: () => 'tok_ok',
 *   declineToken: () => 'tok_declined',
 *   amountSent: (fake) => fake.requests.at(-1)?.body.amount,
 * });
 * ```
 */
export function describePluginConformance<Env = undefined>(plugin: PluginClass, adapter: ConformanceAdapter<Env>, options: ConformanceOptions = {}): void {
  const ui = options.mocha ?? globalMocha();
  const { describe, it, before, after } = ui;
  const h = new Harness<Env>(plugin, adapter);
  const declineCodes: readonly TransactionErrorCode[] = adapter.declineErrorCodes ?? ['declined'];

  describe(`plugin conformance: ${pluginTitle(plugin)}`, function () {
    if (adapter.timeoutMs) this.timeout(adapter.timeoutMs);

    describe('static metadata', () => {
      it('has valid static metadata and a valid config structure', () => {
        assertConforms(checkPluginClass(plugin), `${pluginTitle(plugin)}: static metadata`);
      });
    });

    describe('a configured instance', () => {
      before(() => h.start());
      after(() => h.stop());

      it("accepts the adapter's configuration", () => {
        const out: Violation[] = [];
        try {
          for (const warning of h.settings(true).warnings) out.push(`core's configuration validation: ${warning}`);
        } catch (err) {
          assertConforms([`core's configuration validation refuses it: ${message(err)}`], "the adapter's configuration");
        }
        try {
          h.instance(true);
        } catch (err) {
          out.push(`the constructor refuses the configuration: ${message(err)}`);
        }
        assertConforms(out, "the adapter's configuration");
      });

      it('declares a valid GatewayConfig with ISO 4217 currencies, including the adapter\'s', () => {
        let config: unknown;
        try {
          config = h.instance(true).gatewayConfig();
        } catch (err) {
          assertConforms([`building an instance and reading gatewayConfig() threw: ${message(err)}`], 'gatewayConfig()');
        }
        const out = checkGatewayConfig(config);
        const supported = (config as GatewayConfig | null)?.supportedCurrencies;
        for (const cls of CLASSES) {
          const code = adapter.currencies[cls];
          if (!code) continue;
          if (!isIsoCurrency(code)) out.push(`the adapter's currencies.${cls} '${code}' is not an ISO 4217 code`);
          else if (minorUnits(code) !== EXPONENT[cls]) out.push(`the adapter's currencies.${cls} '${code}' has ${minorUnits(code)} decimal places in ISO 4217, not ${EXPONENT[cls]}`);
          if (Array.isArray(supported) && !supported.includes(code)) out.push(`supportedCurrencies [${supported.join(', ')}] does not include the adapter's ${cls}-decimal currency ${code}`);
        }
        assertConforms(out, 'gatewayConfig()');
      });

      if (h.implements('getSupportedCurrencies')) {
        it('lists the same currencies in getSupportedCurrencies as in its GatewayConfig', async () => {
          const instance = h.instance(true);
          const call = Harness.callHook(instance, 'getSupportedCurrencies', { channel: h.channel }, []);
          if (call.returned !== 'promise') return assertConforms([`getSupportedCurrencies ${call.returned === 'threw' ? `threw: ${message(call.error)}` : `returned ${show(call.value)}, not a promise (hooks must be async)`}`], 'getSupportedCurrencies');
          const listed = await call.value;
          const declared = instance.gatewayConfig()?.supportedCurrencies ?? [];
          const out: Violation[] = [];
          if (!Array.isArray(listed)) out.push(`getSupportedCurrencies must resolve to an array of ISO 4217 codes, got ${show(listed)}`);
          else {
            for (const code of listed) if (!isIsoCurrency(code)) out.push(`getSupportedCurrencies lists ${quote(code)}, which is not an ISO 4217 currency code`);
            if (!same([...listed].sort(), [...declared].sort())) out.push(`getSupportedCurrencies lists [${listed.join(', ')}] but gatewayConfig().supportedCurrencies is [${declared.join(', ')}]`);
          }
          assertConforms(out, 'getSupportedCurrencies');
        });
      }

      it('keeps previousValue in chained hooks (appends its values, never replaces)', async () => {
        const instance = h.instance(true);
        const out: Violation[] = [];
        const chained = h.directCalls().filter((c) => ['getSupportedCurrencies', 'getPaymentConfig', 'listPaymentSources', 'getPaymentGateways'].includes(c.hook));
        for (const { hook, input, previousValue } of chained) {
          const call = Harness.callHook(instance, hook, input, previousValue);
          if (call.returned === 'threw') {
            out.push(`${hook} threw: ${message(call.error)}`);
            continue;
          }
          if (call.returned === 'value') out.push(`${hook} returned ${show(call.value)}, not a promise (hooks must be async)`);
          let value: unknown;
          try {
            value = await call.value;
          } catch (err) {
            out.push(`${hook} rejected: ${message(err)}`);
            continue;
          }
          if (value === undefined) continue;
          const previous = previousValue as unknown[];
          if (!Array.isArray(value)) out.push(`${hook} must resolve to an array (or undefined to pass previousValue through), got ${show(value)}`);
          else if (!previous.every((item) => value.some((v) => same(v, item)))) {
            out.push(`${hook} dropped previousValue: given ${JSON.stringify(previous)}, it returned ${JSON.stringify(value)} (a chained hook must return previousValue with its own values appended)`);
          }
        }
        assertConforms(out, 'chained hooks called with a previousValue');
      });

      it('returns a promise from every hook it implements', async () => {
        const instance = h.instance(false);
        const out: Violation[] = [];
        for (const { hook, input, previousValue } of h.directCalls()) {
          const call = Harness.callHook(instance, hook, input, previousValue);
          if (call.returned === 'threw') out.push(`${hook} threw synchronously: ${message(call.error)} (hooks must be async: a failure is a rejected promise)`);
          else if (call.returned === 'value') out.push(`${hook} returned ${show(call.value)}, not a promise (hooks must be async functions)`);
          else await Promise.resolve(call.value).catch(() => undefined);
        }
        assertConforms(out, 'hooks of an inactive instance');
      });

      it('passes every hook through when inactive (undefined or previousValue)', async () => {
        const instance = h.instance(false);
        const out: Violation[] = [];
        // getPaymentGateways is left out: BasePlugin's default lists by GatewayConfig, and the manager never asks inactive plugins.
        for (const { hook, input, previousValue } of h.directCalls().filter((c) => c.hook !== 'getPaymentGateways')) {
          const call = Harness.callHook(instance, hook, input, previousValue);
          if (call.returned === 'threw') continue; // reported by the promise test
          let value: unknown;
          try {
            value = await call.value;
          } catch (err) {
            out.push(`${hook} of an inactive instance rejected: ${message(err)}`);
            continue;
          }
          if (value !== undefined && value !== previousValue && !same(value, previousValue)) {
            out.push(`${hook} of an inactive instance answered ${show(value)}; it must pass previousValue through (return undefined)`);
          }
        }
        assertConforms(out, 'inactive instance');
      });

      describe('through the PluginManager', () => {
        before(() => h.buildManager());
        after(() => h.closeManager());

        it('is listed for each of its currencies (listPaymentGateways)', async () => {
          const out: Violation[] = [];
          for (const currency of h.declaredCurrencies()) {
            const listed = await h.manager.listPaymentGateways({ channel: h.channel, currency });
            const own = listed.find((g) => g.id === h.id);
            if (!own) {
              out.push(`listPaymentGateways({ currency: '${currency}' }) does not list ${h.id}; it lists [${listed.map((g) => g.id).join(', ')}]`);
              continue;
            }
            if (!Array.isArray(own.currencies) || !own.currencies.includes(currency)) out.push(`the ${currency} listing gives currencies ${show(own.currencies)}, without ${currency}`);
            if (!Array.isArray(own.config) || own.config.some((c) => typeof c?.field !== 'string' || typeof c?.value !== 'string')) {
              out.push(`the listing's config must be an array of { field, value } strings, got ${show(own.config)}`);
            }
          }
          assertConforms(out, 'listPaymentGateways');
        });

        it("keeps the previous plugin's values in chained hooks run by the PluginManager", async () => {
          const out: Violation[] = [];
          const mark = h.failureMark;
          const m = h.manager;
          const gateways = await m.listPaymentGateways({ channel: h.channel });
          if (!gateways.some((g) => g.id === PROBE.id)) out.push(`listPaymentGateways lost the previous plugin's gateway: got [${gateways.map((g) => g.id).join(', ')}]`);
          if (!gateways.some((g) => g.id === h.id)) out.push(`listPaymentGateways does not list ${h.id}: got [${gateways.map((g) => g.id).join(', ')}]`);
          if (h.implements('getSupportedCurrencies')) {
            const currencies = await m.runHook(h.channel, 'getSupportedCurrencies', { channel: h.channel }, []);
            if (!currencies.includes(PROBE.currency)) out.push(`getSupportedCurrencies dropped the previous plugin's values: the pipeline answered [${currencies.join(', ')}], without ${PROBE.currency}`);
          }
          if (h.implements('getPaymentConfig')) {
            const config = await m.runHook(h.channel, 'getPaymentConfig', { channel: h.channel }, []);
            if (!config.some((c) => same(c, PROBE.configField))) out.push(`getPaymentConfig dropped the previous plugin's values: the pipeline answered ${JSON.stringify(config)}`);
          }
          if (h.implements('listPaymentSources')) {
            const sources = await m.runHook(h.channel, 'listPaymentSources', { channel: h.channel, customerId: 'conformance-customer' }, []);
            if (!sources.some((s) => s.id === PROBE.source.id)) out.push(`listPaymentSources dropped the previous plugin's values: the pipeline answered ${JSON.stringify(sources)}`);
          }
          for (const failure of h.failuresSince(mark)) out.push(`the PluginManager caught a plugin failure: ${failure.message}`);
          assertConforms(out, 'chained hooks through the PluginManager');
        });

        if (h.implements('getClientToken')) {
          it('gives a client token', async () => {
            const currency = h.currency('two');
            const token = await h.manager
              .getClientToken({ channel: h.channel, gateway: h.id, amount: h.amount('two'), currency, data: { paymentId: h.nextPaymentId() } })
              .catch((err: unknown) => assertConforms([`getClientToken through the PluginManager threw ${message(err)}`], 'getClientToken'));
            assertConforms(typeof token === 'string' && token !== '' ? [] : [`getClientToken must resolve to a non-empty string, got ${show(token)}`], 'getClientToken');
          });
        }

        it('processPayment charges the success token (capture with autoCapture, else auth)', async () => {
          const { response } = await h.charge('processPayment', 'success', 'processPayment with the success token');
          const autoCapture = h.gatewayConfig().autoCapture;
          expectSuccess(response, [autoCapture ? 'capture' : 'auth'], `processPayment with the success token (autoCapture ${autoCapture ? 'on' : 'off'})`);
        });

        if (h.supports('authorize')) {
          it('authorizePayment authorizes the success token', async () => {
            const { response } = await h.charge('authorizePayment', 'success', 'authorizePayment with the success token');
            expectSuccess(response, ['auth'], 'authorizePayment with the success token');
          });
        }

        if (h.supports('authorize') && h.supports('capture')) {
          it('capturePayment captures an authorization (in two parts when supportsMultipleCaptures)', async () => {
            const auth = await h.charge('authorizePayment', 'success', 'the authorization to capture');
            expectSuccess(auth.response, ['auth'], 'authorizePayment');
            const total = auth.payment.amount;
            if (h.gatewayConfig().supportsMultipleCaptures) {
              const first = total.dividedBy(2).toDecimalPlaces(minorUnits(auth.payment.currency), Decimal.ROUND_DOWN);
              const one = await h.followUp('capturePayment', auth, first, 'first partial capture');
              expectSuccess(one.response, ['capture'], `capturePayment of ${money(first, auth.payment.currency)} (first of two parts)`);
              const two = await h.followUp('capturePayment', auth, total.minus(first), 'second partial capture');
              expectSuccess(two.response, ['capture'], `capturePayment of the remaining ${money(total.minus(first), auth.payment.currency)}`);
            } else {
              const captured = await h.followUp('capturePayment', auth, total, 'capture of the authorization');
              expectSuccess(captured.response, ['capture'], 'capturePayment of the whole authorization');
            }
          });
        }

        registerRefundTests(ui, h);

        if (h.supports('authorize') && h.supports('void')) {
          it('voidPayment voids an authorization', async () => {
            const auth = await h.charge('authorizePayment', 'success', 'the authorization to void');
            expectSuccess(auth.response, ['auth'], 'authorizePayment');
            const voided = await h.followUp('voidPayment', auth, auth.payment.amount, 'void');
            expectSuccess(voided.response, ['void', 'cancel'], 'voidPayment of the authorization');
          });
        }

        it(`declines the decline token with a unified error code (${declineCodes.join(' or ')})`, async () => {
          const { response } = await h.charge('processPayment', 'decline', 'processPayment with the decline token');
          const out: Violation[] = [];
          if (response.isSuccess !== false) out.push(`expected a failure, got ${summary(response)}`);
          if (!declineCodes.includes(response.errorCode as TransactionErrorCode)) out.push(`a declined card must fail with errorCode ${declineCodes.join(' or ')}, got ${show(response.errorCode)}`);
          assertConforms(out, 'processPayment with the decline token');
        });

        const threeDS = adapter.threeDSecure;
        if (threeDS) {
          it('3-D Secure: asks for an action, then confirmPayment completes the payment', async () => {
            const charged = await h.charge('processPayment', 'threeDSecure', 'processPayment with the 3-D Secure token');
            const out: Violation[] = [];
            if (charged.response.actionRequired !== true || charged.response.kind !== 'action_to_confirm') {
              out.push(`expected an action to confirm (actionRequired true, kind action_to_confirm), got ${summary(charged.response)}`);
            }
            if (charged.response.actionRequiredData === null || typeof charged.response.actionRequiredData !== 'object') {
              out.push(`actionRequiredData must tell the client what to do, got ${show(charged.response.actionRequiredData)}`);
            }
            assertConforms(out, 'processPayment with the 3-D Secure token');
            await threeDS.complete?.(charged);
            const confirmed = await h.followUp('confirmPayment', charged, charged.payment.amount, 'confirmPayment after the challenge');
            expectSuccess(confirmed.response, ['capture', 'auth', 'confirm'], 'confirmPayment after the challenge');
          });
        }

        for (const cls of CLASSES) {
          const currency = adapter.currencies[cls];
          if (!currency) continue;
          const amount = h.amount(cls);
          const sent = adapter.amountSent ? `, and sends ${adapter.amountUnits === 'major' ? 'major' : 'minor'} units to the processor` : '';
          const shown = money(amount, currency);
          it(`keeps ${shown} ${currency} exact (${EXPONENT[cls]} decimal places)${sent}`, async () => {
            const checkSent = async (operation: GatewayOperation, payment: PaymentData, response: GatewayResponse): Promise<Violation[]> => {
              if (!adapter.amountSent) return [];
              let value: unknown;
              try {
                value = await adapter.amountSent(h.env, { operation, payment, response });
              } catch (err) {
                return [`the adapter's amountSent failed: ${message(err)}`];
              }
              const major = adapter.amountUnits === 'major';
              const expected = major ? payment.amount : new Decimal(toMinorUnits(payment.amount, payment.currency));
              const units = major ? 'major units' : `minor units: ISO 4217 gives ${payment.currency} ${minorUnits(payment.currency)} decimal places`;
              let got: Decimal | null = null;
              try {
                got = value === null || value === undefined ? null : Decimal.isDecimal(value) ? (value as Decimal) : new Decimal(String(value));
              } catch {
                got = null;
              }
              if (got === null) return [`${operation}: the adapter's amountSent found no amount (${show(value)}) for ${money(payment.amount, payment.currency)} ${payment.currency}`];
              if (!got.eq(expected)) {
                return [`${operation} sent ${show(value).replace(/^(number|string|bigint) /, '')} to the processor for ${money(payment.amount, payment.currency)} ${payment.currency}; expected ${expected.toString()} (${units})`];
              }
              return [];
            };
            const charged = await h.charge('processPayment', 'success', `processPayment of ${shown} ${currency}`, cls);
            expectSuccess(charged.response, ['capture', 'auth'], `processPayment of ${shown} ${currency}`);
            const out = await checkSent('processPayment', charged.payment, charged.response);
            if (h.supports('refund') && (charged.response.kind === 'capture' || h.supports('capture'))) {
              const captured =
                charged.response.kind === 'capture' ? charged : await h.followUp('capturePayment', charged, charged.payment.amount, `capture of ${shown} ${currency}`);
              const part = h.refundAmount(cls);
              const partShown = money(part, currency);
              const refunded = await h.followUp('refundPayment', captured, part, `refund of ${partShown} ${currency}`);
              expectSuccess(refunded.response, ['refund', 'refund_ongoing', 'pending'], `refundPayment of ${partShown} ${currency}`);
              out.push(...(await checkSent('refundPayment', refunded.payment, refunded.response)));
            }
            assertConforms(out, `amounts in ${currency}`);
          });
        }
        // Without amountSent the suite sees only the plugin's answers, which echo the requested amount whatever was sent: say so.
        if (!adapter.amountSent) it('amounts sent to the processor: not checked (the adapter gives no amountSent)', () => undefined);

        registerRetryTests(ui, h, adapter);

        registerTransactionStatusTests(ui, h, adapter);

        if (adapter.webhooks) registerWebhookTests(ui, h, adapter.webhooks);
      });
    });
  });
}
