import { BasePlugin, fromMinorUnits, gatewayConfigFromValues, toMinorUnits } from '@payhost/core';
import type { ChannelInput, GatewayConfig, GatewayResponse, PaymentData, PluginInit, PublicConfig, TransactionErrorCode, TransactionKind } from '@payhost/core';
import { ACME_CONFIG_STRUCTURE, ACME_DEFAULT_CONFIGURATION } from './config.js';
import { AcmeClient, type AcmeErrorCode } from './processor.js';

/** Acme's error codes on payhost's unified transaction error codes; anything else is a processing_error. */
const ERROR_CODES: Readonly<Record<AcmeErrorCode, TransactionErrorCode>> = {
  card_declined: 'declined',
  insufficient_funds: 'declined',
  expired_card: 'expired',
  incorrect_cvc: 'incorrect_cvv',
  invalid_request: 'processing_error',
};

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
    if (this.active && (typeof apiKey !== 'string' || apiKey === '')) throw new Error('api_key is required');
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
    if (!this.client || !payment.token) return this.failure('capture', payment, 'processing_error', 'Acme needs a card token.');
    const result = await this.client.charge({
      token: payment.token,
      amount: toMinorUnits(payment.amount, payment.currency),
      currency: payment.currency,
      idempotencyKey: payment.idempotencyKey ?? `${payment.paymentId}:process`,
    });
    if (!result.ok) return this.failure('capture', payment, ERROR_CODES[result.code], result.message, { code: result.code });
    const charge = result.value;
    return this.success('capture', charge.id, fromMinorUnits(charge.amount, charge.currency), charge.currency, charge.id, { ...charge });
  }

  /** Refunds part or all of a charge; the token is the charge id (the capture's transactionId). */
  async refundPayment(payment: PaymentData, _previousValue: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    if (!this.client || !payment.token) return this.failure('refund', payment, 'processing_error', 'Nothing to refund.');
    const result = await this.client.refund({
      chargeId: payment.token,
      amount: toMinorUnits(payment.amount, payment.currency),
      idempotencyKey: payment.idempotencyKey ?? `${payment.paymentId}:refund`,
    });
    if (!result.ok) return this.failure('refund', payment, ERROR_CODES[result.code], result.message, { code: result.code });
    const refund = result.value;
    return this.success('refund', refund.id, fromMinorUnits(refund.amount, refund.currency), refund.currency, refund.chargeId, { ...refund });
  }

  private success(kind: TransactionKind, transactionId: string, amount: GatewayResponse['amount'], currency: string, pspReference: string, raw: Record<string, unknown>): GatewayResponse {
    return { isSuccess: true, actionRequired: false, kind, amount, currency, transactionId, error: null, errorCode: null, pspReference, rawResponse: raw };
  }

  /** Declines are answers, not exceptions: isSuccess false, a message and a unified code. */
  private failure(kind: TransactionKind, payment: PaymentData, errorCode: TransactionErrorCode, error: string, raw: Record<string, unknown> = {}): GatewayResponse {
    return { isSuccess: false, actionRequired: false, kind, amount: payment.amount, currency: payment.currency, transactionId: '', error, errorCode, rawResponse: raw };
  }
}
