import { BasePlugin, KeyRefusalAlarm, gatewayConfigFromValues } from '@payhost/core';
import type {
  ChannelInput,
  CustomerSource,
  GatewayConfig,
  GatewayResponse,
  PaymentPluginHooks,
  HookSpec,
  PaymentData,
  PaymentSourcesInput,
  PluginInit,
  PublicConfig,
  TokenConfig,
  TransactionKind,
  TransactionStatusInput,
  WebhookRequest,
  WebhookResponse,
} from '@payhost/core';
import { charge, confirm } from './charges.js';
import { clientToken } from './client-token.js';
import { createStripeClient, watchKeyRefusals, type Stripe } from './client.js';
import { STRIPE_CONFIG_STRUCTURE, STRIPE_DEFAULT_CONFIGURATION, readSettings, type StripeSettings } from './config.js';
import { connectAuthorizeUrl, exchangeConnectCode, type AuthorizeUrlOptions, type ConnectedAccount } from './connect.js';
import { failure, type OperationContext } from './context.js';
import { CustomerCache, deleteCard, findCustomer, listCards, toSource } from './customers.js';
import { capture, refund, voidIntent } from './follow-ups.js';
import { transactionStatus } from './reconcile.js';
import { dropNeverMatching } from './unmatchable.js';
import { readWebhook } from './webhooks.js';

/** Input of the `deletePaymentSource` hook: detach a saved card of a customer. */
export interface DeletePaymentSourceInput extends ChannelInput {
  customerId: string;
  paymentSourceId: string;
}

/** Hooks this plugin adds beside the payment hooks; a host declares them (`new PluginManager<StripeHooks>`) to call them through runHook. */
export type StripeHooks = {
  deletePaymentSource: HookSpec<DeletePaymentSourceInput, boolean>;
};

const FAILURE_KIND: Record<string, TransactionKind> = { authorize: 'auth', process: 'capture', capture: 'capture', refund: 'refund', void: 'void', confirm: 'confirm' };

/**
 * Stripe gateway on the official SDK: PaymentIntents (auto or manual
 * capture, partial capture, several refunds, void, 3-D Secure confirm),
 * SetupIntents and saved cards, Connect in LOCAL / FORWARD / REMOTE mode,
 * signed webhooks normalized into ledger events.
 */
export class StripeGatewayPlugin extends BasePlugin implements PaymentPluginHooks {
  static override id = 'payhost.stripe';
  static override pluginName = 'Stripe';
  static override description = 'Stripe payments (PaymentIntents, 3-D Secure, saved cards, Connect LOCAL/FORWARD/REMOTE) on the official stripe SDK.';
  static override configStructure = STRIPE_CONFIG_STRUCTURE;
  static override defaultConfiguration = STRIPE_DEFAULT_CONFIGURATION;
  static override defaultActive = false;
  static override configurationPerChannel = true;

  readonly settings: StripeSettings;
  private readonly stripe: Stripe | null;
  private readonly customers = new CustomerCache();
  /** Logs (at most once a minute) that Stripe refuses secret_key: every call fails, or lands in review, until it is fixed. */
  private readonly keyRefusals: KeyRefusalAlarm;

  constructor(init: PluginInit) {
    super(init);
    this.settings = readSettings(this.configuration, this.active);
    this.stripe = createStripeClient(this.settings);
    this.keyRefusals = new KeyRefusalAlarm({ logger: this.logger, processor: 'Stripe', gateway: this.id, channel: this.channel, configFields: ['secret_key'] });
    if (this.stripe) watchKeyRefusals(this.stripe, this.keyRefusals);
  }

  override gatewayConfig(): GatewayConfig {
    const s = this.settings;
    const values = { ...this.configuration, auto_capture: s.autoCapture, store_customer: s.storeCustomer, require_3d_secure: s.require3dSecure };
    return gatewayConfigFromValues(this.pluginName, values, { mode: s.mode, publishableKey: s.publishableKey, connectedAccountId: s.connectedAccountId }, { supportedCurrencies: [...s.currencies], supportsMultipleCaptures: false });
  }

  /** The SDK client (null until a secret key is configured). */
  get client(): Stripe | null {
    return this.stripe;
  }

  private context(): OperationContext | null {
    return this.stripe ? { stripe: this.stripe, settings: this.settings, customers: this.customers, channel: this.channel } : null;
  }

  /** Runs an operation; never throws: anything unexpected becomes a processing_error response. */
  private async operate(name: string, payment: PaymentData, run: (ctx: OperationContext) => Promise<GatewayResponse>): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    const kind = name === 'process' && !this.settings.autoCapture ? 'auth' : (FAILURE_KIND[name] ?? 'capture');
    const ctx = this.context();
    if (!ctx) return failure(payment, kind, 'Stripe is not configured: secret_key is missing');
    try {
      const response = await run(ctx);
      this.logger.debug({ gateway: this.id, operation: name, kind: response.kind, isSuccess: response.isSuccess, errorCode: response.errorCode, pspReference: response.pspReference }, 'stripe operation');
      return response;
    } catch (err) {
      this.logger.error({ gateway: this.id, operation: name, err }, 'stripe operation failed unexpectedly');
      return failure(payment, kind, `Stripe operation failed: ${(err as Error).message}`);
    }
  }

  async processPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('process', payment, (ctx) => charge(ctx, payment, this.settings.autoCapture));
  }

  async authorizePayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('authorize', payment, (ctx) => charge(ctx, payment, false));
  }

  async capturePayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('capture', payment, (ctx) => capture(ctx, payment));
  }

  async refundPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('refund', payment, (ctx) => refund(ctx, payment));
  }

  async voidPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('void', payment, (ctx) => voidIntent(ctx, payment));
  }

  async confirmPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.operate('confirm', payment, (ctx) => confirm(ctx, payment));
  }

  /** A PaymentIntent client secret (amount given) or a SetupIntent one (no amount: save a card). Throws when Stripe fails. */
  async getClientToken(input: TokenConfig, _previous: string | null): Promise<string | undefined> {
    if (!this.active) return undefined;
    const ctx = this.context();
    if (!ctx) throw new Error('Stripe is not configured: secret_key is missing');
    return clientToken(ctx, input);
  }

  /**
   * What Stripe.js needs: the publishable key; with Connect, the mode and the
   * provider's account, and in REMOTE mode `stripe_account` (the
   * `stripeAccount` option of Stripe.js: intents live on that account).
   */
  async getPaymentConfig(_input: ChannelInput, previous: PublicConfig): Promise<PublicConfig | undefined> {
    if (!this.active) return undefined;
    const s = this.settings;
    const config: PublicConfig = [...previous, { field: 'api_key', value: s.publishableKey ?? '' }, { field: 'store_customer_card', value: String(s.storeCustomer) }];
    if (s.mode !== 'LOCAL') {
      config.push({ field: 'connect_mode', value: s.mode });
      if (s.connectedAccountId) config.push({ field: 'connected_account_id', value: s.connectedAccountId });
      if (s.mode === 'REMOTE' && s.connectedAccountId) config.push({ field: 'stripe_account', value: s.connectedAccountId });
    }
    return config;
  }

  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[] | undefined> {
    if (!this.active) return undefined;
    return [...previous, ...this.settings.currencies.filter((c) => !previous.includes(c))];
  }

  async tokenIsRequiredAsPaymentInput(_input: ChannelInput, _previous: boolean): Promise<boolean | undefined> {
    if (!this.active) return undefined;
    return true;
  }

  /** The customer's saved cards (in REMOTE mode: on the configured connected account). */
  async listPaymentSources(input: PaymentSourcesInput, previous: CustomerSource[]): Promise<CustomerSource[] | undefined> {
    if (!this.active) return undefined;
    const ctx = this.context();
    if (!ctx) return undefined;
    const account = this.settings.mode === 'REMOTE' ? this.settings.connectedAccountId : null;
    const customer = await findCustomer(ctx.stripe, this.customers, { account }, { customerId: input.customerId });
    if (!customer) return previous;
    const cards = await listCards(ctx.stripe, { account }, customer);
    return [...previous, ...cards.map((pm) => toSource(pm, this.id))];
  }

  /** Host hook `deletePaymentSource`: detaches a saved card; true when it was the customer's and is gone. */
  async deletePaymentSource(input: DeletePaymentSourceInput, previous: boolean): Promise<boolean | undefined> {
    if (!this.active) return undefined;
    const ctx = this.context();
    if (!ctx) return undefined;
    const account = this.settings.mode === 'REMOTE' ? this.settings.connectedAccountId : null;
    const customer = await findCustomer(ctx.stripe, this.customers, { account }, { customerId: input.customerId });
    if (!customer) return previous;
    return (await deleteCard(ctx.stripe, { account, idempotencyKey: null }, customer, input.paymentSourceId)) || previous;
  }

  async webhook(request: WebhookRequest, _previous: WebhookResponse | null): Promise<WebhookResponse | undefined> {
    if (!this.active) return undefined;
    const { response, event } = readWebhook(request, this.settings, undefined, this.logger);
    return event ? dropNeverMatching(this.stripe, event, response, this.logger) : response;
  }

  /** Reconciliation: reads what Stripe did with a call whose answer the host lost. */
  async getTransactionStatus(input: TransactionStatusInput, _previous: GatewayResponse | null): Promise<GatewayResponse | null | undefined> {
    if (!this.active) return undefined;
    const ctx = this.context();
    if (!ctx) return null;
    return transactionStatus(ctx, input);
  }

  /** Connect OAuth, step 1: the URL to send a provider to. */
  connectAuthorizeUrl(options: AuthorizeUrlOptions): string {
    return connectAuthorizeUrl(this.settings, options);
  }

  /** Connect OAuth, step 2: the provider's account id for the code on the redirect (save it as connected_account_id). */
  async connectOAuthCallback(code: string): Promise<ConnectedAccount> {
    if (!this.stripe) throw new Error('Stripe is not configured: secret_key is missing');
    return exchangeConnectCode(this.stripe, code);
  }
}
