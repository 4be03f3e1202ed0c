import { randomUUID } from 'node:crypto';
import {
  AMOUNT_NOT_DECIMAL,
  Decimal,
  PAYMENT_HOOK_NAMES,
  PluginManager,
  createLogger,
  silentLogger,
  validatePluginSettings,
  type BasePlugin,
  type ConfigValues,
  type GatewayConfig,
  type GatewayOperation,
  type GatewayResponse,
  type PaymentData,
  type PluginClass,
  type TransactionKind,
  type WebhookResponse,
} from '@payhost/core';
import type { ChargeContext, ConformanceAdapter, CurrencyClass, TokenContext, WebhookDelivery } from './adapter.js';
import { assertConforms, checkGatewayResponse, show, type Violation } from './checks.js';
import { ConformanceProbePlugin, PROBE } from './probe.js';
import { isThenable, message, summary, thrownMessage } from './report-text.js';

export const CLASSES: readonly CurrencyClass[] = ['zero', 'two', 'three'];
export const EXPONENT: Readonly<Record<CurrencyClass, number>> = { zero: 0, two: 2, three: 3 };
const DEFAULT_AMOUNTS: Readonly<Record<CurrencyClass, string>> = { zero: '1500', two: '10.50', three: '12.345' };
const DEFAULT_REFUNDS: Readonly<Record<CurrencyClass, string>> = { zero: '500', two: '2.50', three: '2.125' };

/** The ledger's short operation names, used in idempotency keys (`payhost:<op>:<payment>:<n>`). */
const SHORT: Readonly<Record<GatewayOperation, string>> = {
  processPayment: 'process',
  authorizePayment: 'authorize',
  capturePayment: 'capture',
  refundPayment: 'refund',
  voidPayment: 'void',
  confirmPayment: 'confirm',
};

type TokenKind = 'success' | 'decline' | 'threeDSecure';

interface LoggedFailure {
  hook: string;
  message: string;
}

type HookCall = { returned: 'promise'; value: unknown } | { returned: 'value'; value: unknown } | { returned: 'threw'; error: unknown };

/** Everything one suite run shares: the fake, the manager, the payments it made. */
export class Harness<Env> {
  env = undefined as Env;
  private started = false;
  private managerInstance: PluginManager | null = null;
  private readonly failures: LoggedFailure[] = [];
  /** Amounts the manager converted to a Decimal (the plugin answered a number or string): a contract break it hides. */
  private readonly convertedAmounts: string[] = [];
  private seq = 0;
  private chargeForWebhooks: Promise<ChargeContext<Env>> | null = null;
  readonly channel: string;

  constructor(
    readonly cls: PluginClass,
    readonly adapter: ConformanceAdapter<Env>,
  ) {
    this.channel = adapter.channel ?? 'conformance';
  }

  get id(): string {
    return String((this.cls as { id?: unknown }).id);
  }

  async start(): Promise<void> {
    if (this.adapter.start) this.env = await this.adapter.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.started && this.adapter.stop) await this.adapter.stop(this.env);
  }

  currency(cls: CurrencyClass): string {
    const code = this.adapter.currencies[cls];
    if (!code) throw new Error(`the adapter declares no ${cls}-decimal currency`);
    return code;
  }

  declaredCurrencies(): string[] {
    const out: string[] = [];
    for (const cls of CLASSES) {
      const code = this.adapter.currencies[cls];
      if (code && !out.includes(code)) out.push(code);
    }
    return out;
  }

  amount(cls: CurrencyClass): Decimal {
    return new Decimal(this.adapter.amounts?.[cls] ?? DEFAULT_AMOUNTS[cls]);
  }

  refundAmount(cls: CurrencyClass): Decimal {
    return new Decimal(this.adapter.refundAmounts?.[cls] ?? DEFAULT_REFUNDS[cls]);
  }

  /** The adapter's configuration, validated by core as the host would (defaults back-filled). */
  settings(active: boolean): { configuration: ConfigValues; warnings: string[] } {
    const warnings: string[] = [];
    const settings = validatePluginSettings(this.cls, { active, configuration: this.adapter.configuration(this.env) }, { plugin: this.id, channel: this.channel }, (msg) => {
      warnings.push(msg);
    });
    return { configuration: settings.configuration, warnings };
  }

  instance(active: boolean): BasePlugin {
    const { configuration } = this.settings(active);
    return new this.cls({ channel: this.channel, active, configuration: Object.freeze({ ...configuration }), logger: silentLogger() });
  }

  implements(hook: string): boolean {
    const prototype = (this.cls as { prototype?: Record<string, unknown> } | null)?.prototype;
    return typeof prototype?.[hook] === 'function';
  }

  supports(operation: 'authorize' | 'capture' | 'refund' | 'void'): boolean {
    const declared = this.adapter.supports?.[operation];
    const implemented = this.implements(`${operation}Payment`);
    return implemented && declared !== false;
  }

  buildManager(): void {
    const id = (this.cls as { id?: unknown }).id;
    if (typeof id !== 'string' || id.trim() === '') {
      throw new Error(`the PluginManager cannot register a plugin without a static id (got ${show(id)}): nothing can be routed to it`);
    }
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => this.capture(line) });
    const configuration = this.adapter.configuration(this.env);
    try {
      this.managerInstance = new PluginManager({
        plugins: [ConformanceProbePlugin, this.cls],
        config: {
          channels: [
            {
              slug: this.channel,
              currencies: this.declaredCurrencies(),
              plugins: { [PROBE.id]: { active: true }, [this.id]: { active: true, configuration } },
            },
          ],
        },
        logger,
        hookTimeoutMs: this.adapter.hookTimeoutMs ?? 10_000,
      });
    } catch (err) {
      throw new Error(`the PluginManager refuses the plugin with the adapter's configuration: ${message(err)}`);
    }
  }

  async closeManager(): Promise<void> {
    await this.managerInstance?.close();
  }

  get manager(): PluginManager {
    if (!this.managerInstance) throw new Error('no PluginManager: building it failed (see the "before all" hook failure)');
    return this.managerInstance;
  }

  private capture(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (entry['code'] === AMOUNT_NOT_DECIMAL) {
      const answered = entry['answered'] === 'string' ? `string '${String(entry['amount'])}'` : `${String(entry['answered'])} ${String(entry['amount'])}`;
      this.convertedAmounts.push(`amount must be a Decimal, got ${answered}`);
    }
    if ((entry['code'] === 'plugin_failed' || entry['code'] === 'plugin_timeout') && typeof entry['hook'] === 'string' && typeof entry['reason'] === 'string') {
      this.failures.push({ hook: entry['hook'], message: thrownMessage(entry['hook'], entry['reason'], entry['err']) ?? String(entry['msg']) });
    }
  }

  /** Plugin failures the manager logged since `mark` (this.failures.length before the call). */
  failuresSince(mark: number): LoggedFailure[] {
    return this.failures.slice(mark);
  }

  get failureMark(): number {
    return this.failures.length;
  }

  nextPaymentId(): string {
    this.seq += 1;
    return `conformance-${this.seq}-${randomUUID().slice(0, 8)}`;
  }

  key(operation: GatewayOperation, paymentId: string): string {
    this.seq += 1;
    return `payhost:${SHORT[operation]}:${paymentId}:t${this.seq}`;
  }

  payment(operation: GatewayOperation, paymentId: string, currency: string, amount: Decimal, token: string | null): PaymentData {
    return {
      amount,
      paymentId,
      graphqlPaymentId: Buffer.from(`Payment:${paymentId}`, 'utf8').toString('base64'),
      currency,
      billing: null,
      shipping: null,
      orderId: null,
      customerIpAddress: null,
      customerEmail: 'conformance@example.com',
      token,
      customerId: null,
      reuseSource: false,
      data: null,
      idempotencyKey: this.key(operation, paymentId),
    };
  }

  tokenContext(paymentId: string, currency: string, amount: Decimal): TokenContext<Env> {
    return {
      env: this.env,
      paymentId,
      amount,
      currency,
      clientToken: () => this.manager.getClientToken({ channel: this.channel, gateway: this.id, amount, currency, data: { paymentId } }),
    };
  }

  /** Runs one operation through the PluginManager and checks the answer's shape. */
  async call(operation: GatewayOperation, payment: PaymentData, label: string): Promise<GatewayResponse> {
    const mark = this.failureMark;
    const amountMark = this.convertedAmounts.length;
    let response: GatewayResponse;
    try {
      response = await this.manager.runOperation(operation, { channel: this.channel, gateway: this.id, payment });
    } catch (err) {
      throw new Error(`${label}: ${operation} through the PluginManager threw ${message(err)}`);
    }
    let violations = [...checkGatewayResponse(response, payment, { operation }), ...this.convertedAmounts.slice(amountMark)];
    const logged = this.failuresSince(mark);
    if (logged.length > 0) {
      const replaced = violations[0]?.startsWith('the PluginManager replaced') === true;
      const detail = logged.map((f) => (replaced ? `the PluginManager replaced the plugin's answer with a processing_error: ${f.message}` : `the PluginManager caught a plugin failure: ${f.message}`));
      violations = replaced ? [...detail, ...violations.slice(1)] : [...violations, ...detail];
    }
    assertConforms(violations, `${label}: ${operation}'s answer breaks the contract (${summary(response)})`);
    return response;
  }

  async token(kind: TokenKind, ctx: TokenContext<Env>): Promise<string> {
    if (kind === 'success') return this.adapter.successToken(ctx);
    if (kind === 'decline') return this.adapter.declineToken(ctx);
    const threeDS = this.adapter.threeDSecure;
    if (!threeDS) throw new Error('the adapter has no threeDSecure token');
    return threeDS.token(ctx);
  }

  /** processPayment / authorizePayment of a fresh payment with the adapter's token. */
  async charge(operation: 'processPayment' | 'authorizePayment', kind: TokenKind, label: string, cls: CurrencyClass = 'two', amount?: Decimal): Promise<ChargeContext<Env>> {
    const currency = this.currency(cls);
    const value = amount ?? this.amount(cls);
    const paymentId = this.nextPaymentId();
    let token: string;
    try {
      token = await this.token(kind, this.tokenContext(paymentId, currency, value));
    } catch (err) {
      throw new Error(`${label}: the adapter's ${kind} token failed: ${message(err)}`);
    }
    const payment = this.payment(operation, paymentId, currency, value, token);
    return { env: this.env, payment, response: await this.call(operation, payment, label) };
  }

  /** A follow-up operation on a charge, as the ledger sends it: token = the charge's transactionId, a new key. */
  async followUp(operation: GatewayOperation, base: ChargeContext<Env>, amount: Decimal, label: string): Promise<ChargeContext<Env>> {
    const payment: PaymentData = { ...base.payment, token: base.response.transactionId, amount, data: null, idempotencyKey: this.key(operation, base.payment.paymentId) };
    return { env: this.env, payment, response: await this.call(operation, payment, label) };
  }

  gatewayConfig(): GatewayConfig {
    return this.manager.resolveGateway(this.channel, this.currency('two'), this.id).config;
  }

  /** A successful, captured charge (processPayment, then capturePayment when it only authorized). */
  async capturedCharge(label: string, cls: CurrencyClass = 'two'): Promise<ChargeContext<Env>> {
    const charged = await this.charge('processPayment', 'success', `${label} (processPayment)`, cls);
    expectSuccess(charged.response, ['capture', 'auth'], `${label}: processPayment with the success token`);
    if (charged.response.kind === 'capture') return charged;
    if (!this.supports('capture')) throw new Error(`${label}: processPayment only authorized and the plugin cannot capture: nothing to refund`);
    const captured = await this.followUp('capturePayment', charged, charged.payment.amount, `${label} (capturePayment)`);
    expectSuccess(captured.response, ['capture'], `${label}: capturePayment of the authorization`);
    return captured;
  }

  webhookCharge(): Promise<ChargeContext<Env>> {
    this.chargeForWebhooks ??= this.charge('processPayment', 'success', 'the payment the webhooks are about').then((charged) => {
      expectSuccess(charged.response, ['capture', 'auth'], 'processPayment for the webhooks');
      return charged;
    });
    return this.chargeForWebhooks;
  }

  async deliver(delivery: WebhookDelivery): Promise<WebhookResponse | null> {
    try {
      return await this.manager.webhook({
        channel: this.channel,
        plugin: this.id,
        path: delivery.path ?? '/webhook',
        method: delivery.method ?? 'POST',
        headers: delivery.headers,
        rawBody: delivery.rawBody,
      });
    } catch (err) {
      throw new Error(`the webhook through the PluginManager threw ${message(err)}`);
    }
  }

  /** Calls a hook directly on an instance; never throws. */
  static callHook(instance: BasePlugin, hook: string, input: unknown, previousValue: unknown): HookCall {
    const fn = (instance as unknown as Record<string, unknown>)[hook] as (input: unknown, previous: unknown) => unknown;
    try {
      const result = fn.call(instance, input, previousValue);
      return isThenable(result) ? { returned: 'promise', value: result } : { returned: 'value', value: result };
    } catch (error) {
      return { returned: 'threw', error };
    }
  }

  /** Inputs and sentinel previous values for every payment hook, for direct calls. */
  directCalls(): Array<{ hook: string; input: unknown; previousValue: unknown }> {
    const currency = this.currency('two');
    const amount = this.amount('two');
    const paymentId = this.nextPaymentId();
    const payment = this.payment('processPayment', paymentId, currency, amount, 'conformance-direct-token');
    const previousResponse: GatewayResponse = {
      isSuccess: true,
      actionRequired: false,
      kind: 'capture',
      amount,
      currency,
      transactionId: 'conformance-previous',
      error: null,
      errorCode: null,
    };
    const inputs: Record<string, { input: unknown; previousValue: unknown }> = {
      getClientToken: { input: { amount, currency, data: { paymentId } }, previousValue: 'conformance-previous-token' },
      listPaymentSources: { input: { channel: this.channel, customerId: 'conformance-customer' }, previousValue: [PROBE.source] },
      getPaymentConfig: { input: { channel: this.channel }, previousValue: [PROBE.configField] },
      getSupportedCurrencies: { input: { channel: this.channel }, previousValue: [PROBE.currency] },
      getPaymentGateways: { input: { channel: this.channel, currency: null }, previousValue: [PROBE.gateway] },
      tokenIsRequiredAsPaymentInput: { input: { channel: this.channel, gateway: this.id }, previousValue: true },
      webhook: { input: { path: '/webhook', method: 'POST', headers: {}, rawBody: Buffer.from('{}') }, previousValue: { status: 299 } },
      getTransactionStatus: {
        input: {
          transaction: { id: 'conformance-t', paymentId, kind: 'capture', amount, currency, gatewayIdempotencyKey: `payhost:process:${paymentId}:t0`, gatewayTransactionId: null, pspReference: null, createdAt: new Date() },
          payment,
        },
        previousValue: previousResponse,
      },
    };
    return PAYMENT_HOOK_NAMES.filter((hook) => this.implements(hook) || hook === 'getPaymentGateways').map((hook) => ({
      hook,
      ...(inputs[hook] ?? { input: payment, previousValue: previousResponse }),
    }));
  }
}

/** Checks that a response is a success of one of `kinds` (not asking for an action). */
export function expectSuccess(response: GatewayResponse, kinds: readonly TransactionKind[], label: string): void {
  const out: Violation[] = [];
  if (response.isSuccess !== true) out.push(`expected a success, got ${summary(response)}`);
  else if (response.actionRequired) out.push(`expected a settled success, got an action to take: ${summary(response)}`);
  if (!kinds.includes(response.kind)) out.push(`expected kind ${kinds.join(' or ')}, got '${String(response.kind)}'`);
  assertConforms(out, label);
}
