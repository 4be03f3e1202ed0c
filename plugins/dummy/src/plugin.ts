import { BasePlugin, gatewayConfigFromValues, isOutcomeUnknown } from '@payhost/core';
import type {
  ChannelInput,
  CustomerSource,
  GatewayConfig,
  GatewayResponse,
  PaymentData,
  PaymentPluginHooks,
  PaymentSourcesInput,
  PluginInit,
  PublicConfig,
  TokenConfig,
  TransactionStatusInput,
} from '@payhost/core';
import { DUMMY_CONFIG_STRUCTURE, DUMMY_DEFAULT_CONFIGURATION, normalizedValues, readSettings, type DummySettings } from './config.js';
import { capture, charge, confirm, fail, refund, voidCharge, type DummyContext } from './gateway.js';
import { dummyStore } from './store.js';

type Operation = 'authorize' | 'process' | 'capture' | 'refund' | 'void' | 'confirm';

const FAILURE_KIND = {
  authorize: 'auth',
  process: 'auth',
  capture: 'capture',
  refund: 'refund',
  void: 'void',
  confirm: 'confirm',
} as const;

/**
 * A deterministic payment gateway with no network, like Saleor's dummy credit
 * card plugin: magic tokens (see DUMMY_TOKENS / tokenizeCard) select the
 * outcome; charges, captures, refunds and stored cards live in memory.
 */
export class DummyGatewayPlugin extends BasePlugin implements PaymentPluginHooks {
  static override id = 'payhost.dummy';
  static override pluginName = 'Dummy';
  static override description =
    'Deterministic test gateway with no network: magic card tokens select success, declines, errors and 3-D Secure.';
  static override configStructure = DUMMY_CONFIG_STRUCTURE;
  static override defaultConfiguration = DUMMY_DEFAULT_CONFIGURATION;
  static override defaultActive = false;
  static override configurationPerChannel = true;

  /** Typed view of the configuration, read once. */
  readonly settings: DummySettings;
  private readonly context: DummyContext;

  constructor(init: PluginInit) {
    super(init);
    this.settings = readSettings(this.configuration);
    this.context = { channel: this.channel ?? '', settings: this.settings, store: dummyStore };
  }

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.pluginName, normalizedValues(this.configuration, this.settings), {}, {
      supportsMultipleCaptures: this.settings.supportsMultipleCaptures,
    });
  }

  /**
   * Runs one money operation: honours the host's idempotency key (a retry with the
   * same key gets the first response back, the gateway does not act twice) and
   * turns any unexpected exception into a processing_error response.
   */
  private operate(operation: Operation, payment: PaymentData, run: () => GatewayResponse): GatewayResponse {
    const ctx = this.context;
    try {
      const key = typeof payment.idempotencyKey === 'string' && payment.idempotencyKey !== '' ? payment.idempotencyKey : null;
      // data.token: the other card a confirm charges (gateway.ts), so a replay must have the same one.
      const other = payment.data?.['token'];
      const fingerprint = `${operation}|${String(payment.amount)}|${String(payment.currency)}|${payment.token ?? ''}|${payment.customerId ?? ''}|${typeof other === 'string' ? other : ''}`;
      if (key) {
        const previous = ctx.store.getIdempotent(ctx.channel, key);
        if (previous) {
          if (previous.operation !== operation || previous.fingerprint !== fingerprint) {
            return fail(ctx, FAILURE_KIND[operation], payment, 'processing_error', 'Idempotency key was already used with different parameters.');
          }
          return { ...previous.response, rawResponse: { ...previous.response.rawResponse, idempotentReplayed: true } };
        }
      }
      const response = run();
      if (key) ctx.store.setIdempotent(ctx.channel, key, { operation, fingerprint, response });
      // The fields are built only when they are logged: debug is off in service.
      if (this.logger.isLevelEnabled('debug')) {
        this.logger.debug(
          { gateway: this.id, operation, kind: response.kind, isSuccess: response.isSuccess, errorCode: response.errorCode, pspReference: response.pspReference },
          'dummy gateway operation',
        );
      }
      return response;
    } catch (err) {
      this.logger.error({ gateway: this.id, operation, err }, 'dummy gateway operation failed unexpectedly');
      return fail(ctx, FAILURE_KIND[operation], payment, 'processing_error', 'Internal error in the Dummy gateway.');
    }
  }

  async getClientToken(_input: TokenConfig, _previousValue: string | null): Promise<string | undefined> {
    if (!this.active) return undefined;
    return this.context.store.nextId('ct');
  }

  async authorizePayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('authorize', payment, () => charge(this.context, payment, false));
  }

  async processPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('process', payment, () => charge(this.context, payment, this.settings.autoCapture));
  }

  async confirmPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('confirm', payment, () => confirm(this.context, payment));
  }

  async capturePayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('capture', payment, () => capture(this.context, payment));
  }

  async refundPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('refund', payment, () => refund(this.context, payment));
  }

  async voidPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    return this.operate('void', payment, () => voidCharge(this.context, payment));
  }

  /**
   * Reconciliation: the answer the dummy gave to the call made with this
   * transaction's gateway idempotency key. When that answer was lost (the
   * outcome-unknown tokens) it answers nothing: the hook's default, null,
   * "cannot tell", and the ledger holds the transaction for review (undefined,
   * not null, keeps the return type subclasses override). When it has no
   * record, the call never reached it: a failure, so the ledger releases the
   * reservation. Its state is in memory, per process and bounded: after a
   * restart, or past DUMMY_STORE_LIMIT calls, an earlier call reads as never
   * made, which is true of the dummy's world too (its charges are gone with it).
   */
  async getTransactionStatus(input: TransactionStatusInput, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    const { transaction, payment } = input;
    const entry = this.context.store.getIdempotent(this.context.channel, transaction.gatewayIdempotencyKey);
    if (entry) return isOutcomeUnknown(entry.response) ? undefined : { ...entry.response };
    return {
      ...fail(this.context, transaction.kind, payment, 'processing_error', 'The Dummy gateway has no record of this call: it never took effect.', { amount: transaction.amount }),
      currency: transaction.currency,
    };
  }

  async listPaymentSources(input: PaymentSourcesInput, previousValue: CustomerSource[]): Promise<CustomerSource[] | undefined> {
    if (!this.active) return undefined;
    const customer = this.context.store.customer(this.context.channel, input.customerId);
    const sources: CustomerSource[] = (customer?.sources ?? []).map((source) => ({
      id: source.id,
      gateway: this.id,
      creditCardInfo: {
        last4: source.card.last4,
        brand: source.card.brand,
        expMonth: source.card.expMonth,
        expYear: source.card.expYear,
        nameOnCard: source.card.nameOnCard,
      },
    }));
    return [...previousValue, ...sources];
  }

  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig | undefined> {
    if (!this.active) return undefined;
    return [
      ...previousValue,
      { field: 'api_key', value: this.settings.publicKey },
      { field: 'store_customer_card', value: this.settings.storeCustomer ? 'true' : 'false' },
    ];
  }

  async getSupportedCurrencies(_input: ChannelInput, previousValue: string[]): Promise<string[] | undefined> {
    if (!this.active) return undefined;
    return [...previousValue, ...this.settings.currencies.filter((c) => !previousValue.includes(c))];
  }

  async tokenIsRequiredAsPaymentInput(_input: ChannelInput, _previousValue: boolean): Promise<boolean | undefined> {
    if (!this.active) return undefined;
    return true;
  }
}
