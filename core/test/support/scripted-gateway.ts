import {
  BasePlugin,
  Decimal,
  PluginManager,
  gatewayConfigFromValues,
  type GatewayConfig,
  type GatewayResponse,
  type Logger,
  type PaymentData,
  type TransactionStatusInput,
  type WebhookRequest,
  type WebhookResponse,
} from '@payhost/core';

/** The Secret field's value in the channel below: what no answer of the host may carry. */
export const LEAK_KEY = 'sk_live_LEAKCANARY_0001';

/** A third-party gateway whose answers each test scripts (a JavaScript plugin could answer any of them). */
export class ScriptedGateway extends BasePlugin {
  static override id = 'acme.scripted';
  static override pluginName = 'Scripted';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    auto_capture: { type: 'Boolean' as const, label: 'Auto capture' },
    api_key: { type: 'Secret' as const, label: 'API key' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', auto_capture: true, api_key: null };

  /** What processPayment answers (null: a plain success); `key` is the plugin's own api_key. */
  static answer: ((payment: PaymentData, key: string) => unknown) | null = null;
  /** What getTransactionStatus answers (undefined: "cannot tell"). */
  static status: ((input: TransactionStatusInput, key: string) => unknown) | null = null;
  static webhookAnswer: ((key: string) => unknown) | null = null;
  /** The last value processPayment returned, to compare the host's answer with. */
  static lastAnswer: unknown = undefined;

  static reset(): void {
    ScriptedGateway.answer = null;
    ScriptedGateway.status = null;
    ScriptedGateway.webhookAnswer = null;
    ScriptedGateway.lastAnswer = undefined;
  }

  private get key(): string {
    return String(this.configuration['api_key']);
  }

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }

  async processPayment(payment: PaymentData): Promise<GatewayResponse> {
    const answer = ScriptedGateway.answer ? ScriptedGateway.answer(payment, this.key) : success(payment, `ch_${payment.paymentId}`);
    ScriptedGateway.lastAnswer = answer;
    return answer as GatewayResponse;
  }

  async getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse | undefined> {
    return (ScriptedGateway.status ? ScriptedGateway.status(input, this.key) : undefined) as GatewayResponse | undefined;
  }

  async webhook(_request: WebhookRequest): Promise<WebhookResponse> {
    return (ScriptedGateway.webhookAnswer ? ScriptedGateway.webhookAnswer(this.key) : { status: 200 }) as WebhookResponse;
  }
}

/** A well-formed captured charge of the payment's amount. */
export function success(payment: Pick<PaymentData, 'amount' | 'currency'>, transactionId: string): GatewayResponse {
  return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal(payment.amount), currency: payment.currency, transactionId, error: null, errorCode: null };
}

/** A manager with the scripted gateway in channel `web` (USD), configured with LEAK_KEY. */
export function scriptedManager(logger?: Logger): PluginManager {
  return new PluginManager({
    plugins: [ScriptedGateway],
    config: {
      channels: [{ slug: 'web', currencies: ['USD'], plugins: { [ScriptedGateway.id]: { active: true, configuration: { api_key: LEAK_KEY } } } }],
    },
    ...(logger ? { logger } : {}),
  });
}
