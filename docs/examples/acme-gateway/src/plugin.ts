import { BasePlugin, PayhostError, fromMinorUnits, gatewayConfigFromValues, toMinorUnits } from '@payhost/core';
import type {
  ChannelInput,
  GatewayConfig,
  GatewayResponse,
  PaymentData,
  PluginInit,
  PublicConfig,
  TransactionErrorCode,
  TransactionKind,
  TransactionStatusInput,
  WebhookRequest,
  WebhookResponse,
} from '@payhost/core';
import { ACME_CONFIG_STRUCTURE, ACME_DEFAULT_CONFIGURATION } from './config.js';
import { AcmeClient, type AcmeCharge, type AcmeErrorCode, type AcmeRefund, type AcmeResult } from './processor.js';
import { handleAcmeWebhook } from './webhooks.js';

/** Acme's error codes on payhost's unified transaction error codes; anything else is a processing_error. */
const ERROR_CODES: Readonly<Record<AcmeErrorCode, TransactionErrorCode>> = {
  card_declined: 'declined',
  insufficient_funds: 'declined',
  expired_card: 'expired',
  incorrect_cvc: 'incorrect_cvv',
  invalid_request: 'processing_error',
};

/**
 * A real client's HTTP request timeout and how many times it sends a request (once more after a dropped
 * connection, same idempotency key). Keep TIMEOUT x ATTEMPTS below the host's hookTimeoutMs (30 s by
 * default): the plugin then answers `outcome_unknown` itself, with what it knows, before the host stops
 * waiting and the call's last attempt runs on unobserved.
 */
const REQUEST_TIMEOUT_MS = 10_000;
const REQUEST_ATTEMPTS = 2;
/** How long after a call Acme may still act on it: a request the client gave up on can still arrive and be carried out. */
const MAY_STILL_LAND_MS = REQUEST_TIMEOUT_MS * REQUEST_ATTEMPTS + 5_000;

export class AcmeGatewayPlugin extends BasePlugin {
  static override id = 'acme.gateway';
  static override pluginName = 'Acme Pay';
  static override description = 'Card payments and refunds through the Acme processor.';
  static override configStructure = ACME_CONFIG_STRUCTURE;
  static override defaultConfiguration = ACME_DEFAULT_CONFIGURATION;
  static override defaultActive = false;
  static override configurationPerChannel = true;

  private readonly client: AcmeClient | null;

  constructor(init: PluginInit) {
    super(init);
    const apiKey = this.configuration['api_key'];
    // An active gateway without its key is a configuration error, reported when the host loads it.
    if (this.active && (typeof apiKey !== 'string' || apiKey === '')) throw new PayhostError('invalid_configuration', 'api_key is required');
    this.client = typeof apiKey === 'string' && apiKey !== '' ? new AcmeClient(apiKey) : null;
  }

  /** Read once per configuration version: routing by currency uses supportedCurrencies. */
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.pluginName, this.configuration, {}, { autoCapture: true });
  }

  /** What the browser needs to tokenize a card (the seeds' get_payment_context). */
  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig | undefined> {
    if (!this.active) return undefined;
    return [...previousValue, { field: 'api_key', value: String(this.configuration['public_key'] ?? '') }];
  }

  /** Checkout: charges the token at once (the seeds' create_payment). */
  async processPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined; // an inactive gateway passes previousValue through, like every hook
    if (!this.client || !payment.token) return this.failure('capture', payment, 'processing_error', 'Acme needs a card token.');
    const result = await this.client.charge({
      token: payment.token,
      amount: toMinorUnits(payment.amount, payment.currency),
      currency: payment.currency,
      idempotencyKey: payment.idempotencyKey ?? `${payment.paymentId}:process`,
      metadata: { payment_id: payment.paymentId }, // Acme's events about the charge carry it back
    });
    return this.toResponse('capture', payment, result);
  }

  /** Refunds part or all of a charge; the token is the charge id (the capture's transactionId). */
  async refundPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    if (!this.client || !payment.token) return this.failure('refund', payment, 'processing_error', 'Nothing to refund.');
    const result = await this.client.refund({
      chargeId: payment.token,
      amount: toMinorUnits(payment.amount, payment.currency),
      idempotencyKey: payment.idempotencyKey ?? `${payment.paymentId}:refund`,
    });
    return this.toResponse('refund', payment, result);
  }

  /** Reconciliation and lost answers: what became of the call made with this transaction's idempotency key. */
  async getTransactionStatus(input: TransactionStatusInput, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.active) return undefined;
    if (!this.client) return undefined; // cannot tell: the host marks the transaction for review
    const result = await this.client.find(input.transaction.gatewayIdempotencyKey);
    if (result) return this.toResponse(input.transaction.kind, input.payment, result);
    // No record yet is not "never": a request sent (or timed out) moments ago may still reach Acme.
    // Cannot tell until it cannot land any more; "never took effect" after that frees the reservation.
    if (Date.now() - input.transaction.createdAt.getTime() < MAY_STILL_LAND_MS) return undefined;
    return this.failure(input.transaction.kind, input.payment, 'processing_error', 'The request never reached Acme.');
  }

  /** Acme's events (a refund made in its dashboard, a charge settled): verified, then handed to the host's ledger. */
  async webhook(request: WebhookRequest, _previousValue: WebhookResponse | null): Promise<WebhookResponse | undefined> {
    if (!this.active) return undefined;
    const secret = this.configuration['webhook_secret'];
    if (typeof secret !== 'string' || secret === '') return { status: 503, body: { code: 'webhook_not_configured', message: 'No webhook_secret is configured' } };
    return handleAcmeWebhook(request, secret, Date.now());
  }

  /** Called once by the manager when it closes or replaces this instance: release what it holds. */
  override async close(): Promise<void> {
    await this.client?.close();
  }

  private toResponse(kind: TransactionKind, payment: PaymentData, result: AcmeResult<AcmeCharge | AcmeRefund>): GatewayResponse {
    if (!result.ok) return this.failure(kind, payment, ERROR_CODES[result.code], result.message, { code: result.code });
    const value = result.value;
    return {
      isSuccess: true,
      actionRequired: false,
      kind,
      amount: fromMinorUnits(value.amount, value.currency),
      currency: value.currency,
      transactionId: value.id,
      error: null,
      errorCode: null,
      pspReference: 'chargeId' in value ? value.chargeId : value.id,
      rawResponse: { ...value },
    };
  }

  /** Declines are answers, not exceptions: isSuccess false, a message and a unified code. */
  private failure(kind: TransactionKind, payment: PaymentData, errorCode: TransactionErrorCode, error: string, raw: Record<string, unknown> = {}): GatewayResponse {
    return { isSuccess: false, actionRequired: false, kind, amount: payment.amount, currency: payment.currency, transactionId: '', error, errorCode, rawResponse: raw };
  }
}
