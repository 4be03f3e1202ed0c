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
import { FlutterwaveClient } from './client.js';
import { FLUTTERWAVE_CONFIG_STRUCTURE, FLUTTERWAVE_DEFAULT_CONFIGURATION, readSettings, txRefSigningSecret, type FlutterwaveSettings } from './config.js';
import { listTransactions, processPayment, refundPayment, transactionStatus, type FlutterwaveTransactionRecord, type ListTransactionsQuery } from './operations.js';
import { FLUTTERWAVE_FAILURES, rejectedResponse } from './responses.js';
import { statePathConflict } from './sdk.js';
import { issueTxRef } from './tx-ref.js';
import type { FlutterwaveContext } from './verify.js';
import { handleWebhook } from './webhooks.js';

/**
 * Flutterwave gateway: Inline checkout (card numbers never reach the host),
 * server-side verification before anything is recorded as paid, partial
 * refunds, reconciliation and webhooks. Inline charges are captured at once:
 * pre-authorization (capture / void) needs Flutterwave's direct card-charge
 * API, where card data passes through the server, so this plugin implements
 * neither `authorizePayment`, `capturePayment` nor `voidPayment`: the manager
 * answers `operation_not_supported`.
 */
export class FlutterwaveGatewayPlugin extends BasePlugin implements PaymentPluginHooks {
  static override id = 'payhost.flutterwave';
  static override pluginName = 'Flutterwave';
  static override description = 'Flutterwave Inline checkout: verified transactions (status, amount, currency, tx_ref), partial refunds, webhooks.';
  static override configStructure = FLUTTERWAVE_CONFIG_STRUCTURE;
  static override defaultConfiguration = FLUTTERWAVE_DEFAULT_CONFIGURATION;
  static override defaultActive = false;
  static override configurationPerChannel = true;
  /** getPaymentConfig issues a fresh tx_ref per call: its listings are computed on every call, not kept per configuration version. */
  static override volatilePaymentConfig = true;

  readonly settings: FlutterwaveSettings;
  private client: FlutterwaveClient | null = null;
  /** Logs (at most once a minute) that Flutterwave refuses secret_key: every call fails, or lands in review, until it is fixed. */
  private readonly keyRefusals: KeyRefusalAlarm;

  /** Rejects an active configuration that cannot work (missing keys, bad URL, non-ISO currency). */
  constructor(init: PluginInit) {
    super(init);
    this.settings = readSettings(this.configuration);
    this.keyRefusals = new KeyRefusalAlarm({ logger: this.logger, processor: 'Flutterwave', gateway: this.id, channel: this.channel, configFields: ['secret_key'] });
    if (this.active && this.settings.problems.length > 0) {
      throw new PayhostError(ERROR_CODES.invalidConfiguration, `Flutterwave configuration: ${this.settings.problems.join('; ')}`, { problems: this.settings.problems });
    }
  }

  override gatewayConfig(): GatewayConfig {
    const values = { ...this.configuration, auto_capture: true, supported_currencies: this.settings.currencies.join(',') };
    return gatewayConfigFromValues(this.pluginName, values, {}, { supportsMultipleCaptures: false });
  }

  /**
   * The SDK client, created on first use: that is when the SDK loads (state
   * file path set first) and sends its start-up telemetry.
   */
  private context(): FlutterwaveContext {
    if (!this.client) {
      const conflict = statePathConflict(this.settings.stateDir);
      if (conflict) this.logger.warn({ gateway: this.id }, conflict);
      this.client = new FlutterwaveClient({ ...this.settings, baseUrl: this.settings.baseUrl, onKeyRefused: (refusal) => this.keyRefusals.report(refusal) });
    }
    return { client: this.client, settings: this.settings, channel: this.channel ?? '', logger: this.logger };
  }

  private async operate(name: string, kind: TransactionKind, payment: PaymentData, run: (ctx: FlutterwaveContext) => Promise<GatewayResponse>): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    const where = { amount: payment.amount, currency: payment.currency };
    if (this.settings.problems.length > 0) {
      return rejectedResponse(kind, FLUTTERWAVE_FAILURES.configuration, `Flutterwave is not configured: ${this.settings.problems.join('; ')}`, where);
    }
    try {
      const response = await run(this.context());
      this.logger.debug({ gateway: this.id, operation: name, kind: response.kind, isSuccess: response.isSuccess, errorCode: response.errorCode, pspReference: response.pspReference }, 'flutterwave operation');
      return response;
    } catch (err) {
      this.logger.error({ gateway: this.id, operation: name, err }, 'flutterwave operation failed unexpectedly');
      return rejectedResponse(kind, 'internal_error', `Internal error in the Flutterwave plugin: ${(err as Error).message}`, where);
    }
  }

  /** The Inline options as JSON: public key, a fresh signed tx_ref, amount, currency (see FlutterwaveClientToken). */
  async getClientToken(input: TokenConfig, _previousValue: string | null): Promise<string | undefined> {
    if (!this.active) return undefined;
    return createClientToken(this.settings, this.channel ?? '', input);
  }

  /** Public key and a fresh, unbound signed tx_ref (seed 000's payment context); getClientToken gives a bound one with the amount. */
  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig | undefined> {
    if (!this.active) return undefined;
    return [
      ...previousValue,
      { field: 'public_key', value: this.settings.publicKey },
      { field: 'tx_ref', value: issueTxRef(txRefSigningSecret(this.settings), this.channel ?? '', null) },
      { field: 'checkout_script', value: 'https://checkout.flutterwave.com/v3.js' },
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
    return this.operate('process', 'capture', payment, (ctx) => processPayment(ctx, payment));
  }

  async refundPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('refund', 'refund', payment, (ctx) => refundPayment(ctx, payment));
  }

  async getTransactionStatus(input: TransactionStatusInput, _previousValue: GatewayResponse | null): Promise<GatewayResponse | null | undefined> {
    if (!this.active || this.settings.problems.length > 0) return undefined;
    return transactionStatus(this.context(), input);
  }

  async webhook(request: WebhookRequest, _previousValue: WebhookResponse | null): Promise<WebhookResponse | undefined> {
    if (!this.active) return undefined;
    const response = await handleWebhook(this.context(), request);
    if (response.status >= 400) this.logger.warn({ gateway: this.id, status: response.status, body: response.body }, 'flutterwave webhook refused');
    const ignored = (response.body as { ignored?: unknown } | undefined)?.ignored;
    if (typeof ignored === 'string') this.logger.info({ gateway: this.id, reason: ignored }, 'flutterwave webhook acknowledged, not applied');
    return response;
  }

  /** Reconciliation listing (not a hook; call it on the instance). */
  listTransactions(query: ListTransactionsQuery = {}): Promise<FlutterwaveTransactionRecord[]> {
    return listTransactions(this.context(), query);
  }
}
