import { BasePlugin, ERROR_CODES, KeyRefusalAlarm, PayhostError, gatewayConfigFromValues } from '@payhost/core';
import type {
  ChannelInput,
  GatewayConfig,
  GatewayResponse,
  PaymentPluginHooks,
  PaymentData,
  PluginInit,
  PublicConfig,
  TokenConfig,
  TransactionKind,
  TransactionStatusInput,
  WebhookRequest,
  WebhookResponse,
} from '@payhost/core';
import { createClientToken } from './checkout.js';
import { createRazorpayClient, type RazorpayApi } from './client.js';
import { RAZORPAY_CONFIG_STRUCTURE, RAZORPAY_DEFAULT_CONFIGURATION, readSettings, type RazorpaySettings } from './config.js';
import { capture, charge, refund, type RazorpayContext } from './operations.js';
import { RAZORPAY_FAILURES, rejectedResponse } from './responses.js';
import { listPayments, type ListPaymentsQuery, type RazorpayPaymentRecord } from './list-payments.js';
import { transactionStatus } from './status.js';
import { handleWebhook } from './webhooks.js';

/**
 * Razorpay gateway: Orders + Standard Checkout. getClientToken creates the
 * order; processPayment verifies the Checkout signature, then captures or
 * records the authorization; capture, partial refunds, reconciliation and
 * webhooks. Razorpay has no API to void an authorization, so this plugin does
 * not implement `voidPayment`: the manager answers `operation_not_supported`
 * (an uncaptured authorization is released by Razorpay automatically).
 */
export class RazorpayGatewayPlugin extends BasePlugin implements PaymentPluginHooks {
  static override id = 'payhost.razorpay';
  static override pluginName = 'Razorpay';
  static override description = 'Razorpay Orders and Standard Checkout: signature-verified payments, capture, partial refunds, webhooks.';
  static override configStructure = RAZORPAY_CONFIG_STRUCTURE;
  static override defaultConfiguration = RAZORPAY_DEFAULT_CONFIGURATION;
  static override defaultActive = false;
  static override configurationPerChannel = true;

  readonly settings: RazorpaySettings;
  private api: RazorpayApi | null = null;
  /** Logs (at most once a minute) that Razorpay refuses key_id / key_secret: every call fails, or lands in review, until they are fixed. */
  private readonly keyRefusals: KeyRefusalAlarm;

  /** Rejects an active configuration that cannot work (missing keys, bad URL, non-ISO currency). */
  constructor(init: PluginInit) {
    super(init);
    this.settings = readSettings(this.configuration);
    this.keyRefusals = new KeyRefusalAlarm({ logger: this.logger, processor: 'Razorpay', gateway: this.id, channel: this.channel, configFields: ['key_id', 'key_secret'] });
    if (this.active && this.settings.problems.length > 0) {
      throw new PayhostError(ERROR_CODES.invalidConfiguration, `Razorpay configuration: ${this.settings.problems.join('; ')}`, { problems: this.settings.problems });
    }
  }

  override gatewayConfig(): GatewayConfig {
    const values = { ...this.configuration, auto_capture: this.settings.autoCapture, supported_currencies: this.settings.currencies.join(',') };
    return gatewayConfigFromValues(this.pluginName, values, {}, { supportsMultipleCaptures: false });
  }

  /** The SDK client, created on first use (pointed at `api_base_url` when configured). */
  private context(): RazorpayContext {
    if (!this.api) {
      const { keyId, keySecret, baseUrl, timeoutMs } = this.settings;
      this.api = createRazorpayClient({ keyId, keySecret, baseUrl, timeoutMs, onKeyRefused: (refusal) => this.keyRefusals.report(refusal) });
    }
    return { api: this.api, settings: this.settings, logger: this.logger };
  }

  /** Runs an operation; an unexpected exception becomes a processing_error response (never a rejection). */
  private async operate(name: string, kind: TransactionKind, payment: PaymentData, run: (ctx: RazorpayContext) => Promise<GatewayResponse>): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    const where = { gateway: this.id, operation: name, paymentId: payment.paymentId };
    if (this.settings.problems.length > 0) {
      return rejectedResponse(kind, RAZORPAY_FAILURES.configuration, `Razorpay is not configured: ${this.settings.problems.join('; ')}`, { amount: payment.amount, currency: payment.currency });
    }
    try {
      const response = await run(this.context());
      this.logger.debug({ ...where, kind: response.kind, isSuccess: response.isSuccess, errorCode: response.errorCode, pspReference: response.pspReference }, 'razorpay operation');
      return response;
    } catch (err) {
      this.logger.error({ ...where, err }, 'razorpay operation failed unexpectedly');
      return rejectedResponse(kind, 'internal_error', `Internal error in the Razorpay plugin: ${(err as Error).message}`, { amount: payment.amount, currency: payment.currency });
    }
  }

  /** Creates a Razorpay order; returns the Checkout options as JSON (see RazorpayClientToken). */
  async getClientToken(input: TokenConfig, _previousValue: string | null): Promise<string | undefined> {
    if (!this.active) return undefined;
    return createClientToken(this.context().api, this.settings, input);
  }

  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig | undefined> {
    if (!this.active) return undefined;
    return [
      ...previousValue,
      { field: 'key_id', value: this.settings.keyId },
      { field: 'checkout_script', value: 'https://checkout.razorpay.com/v1/checkout.js' },
    ];
  }

  async getSupportedCurrencies(_input: ChannelInput, previousValue: string[]): Promise<string[] | undefined> {
    if (!this.active) return undefined;
    return [...previousValue, ...this.settings.currencies.filter((c) => !previousValue.includes(c))];
  }

  async tokenIsRequiredAsPaymentInput(_input: ChannelInput, _previousValue: boolean): Promise<boolean | undefined> {
    return this.active ? true : undefined;
  }

  async processPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    const kind = this.settings.autoCapture ? 'capture' : 'auth';
    return this.operate('process', kind, payment, (ctx) => charge(ctx, payment, this.settings.autoCapture));
  }

  async authorizePayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('authorize', 'auth', payment, (ctx) => charge(ctx, payment, false));
  }

  async capturePayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('capture', 'capture', payment, (ctx) => capture(ctx, payment));
  }

  async refundPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('refund', 'refund', payment, (ctx) => refund(ctx, payment));
  }

  async getTransactionStatus(input: TransactionStatusInput, _previousValue: GatewayResponse | null): Promise<GatewayResponse | null | undefined> {
    if (!this.active || this.settings.problems.length > 0) return undefined;
    return transactionStatus(this.context(), input);
  }

  async webhook(request: WebhookRequest, _previousValue: WebhookResponse | null): Promise<WebhookResponse | undefined> {
    if (!this.active) return undefined;
    const response = await handleWebhook(this.context(), request);
    if (response.status >= 400) this.logger.warn({ gateway: this.id, status: response.status, body: response.body }, 'razorpay webhook refused');
    return response;
  }

  /** Reconciliation listing: the account's payments, newest first (not a hook; call it on the instance). */
  listPayments(query: ListPaymentsQuery = {}): Promise<RazorpayPaymentRecord[]> {
    return listPayments(this.context(), query);
  }
}
