import { BasePlugin, Decimal, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData, type ConfigStructure, type ChannelInput, type PublicConfig } from '@payhost/core';

export function okResponse(payment: PaymentData, transactionId: string, kind: GatewayResponse['kind'] = 'capture'): GatewayResponse {
  return {
    isSuccess: true,
    actionRequired: false,
    kind,
    amount: new Decimal(payment.amount),
    currency: payment.currency,
    transactionId,
    error: null,
    errorCode: null,
  };
}

const gatewayFields: ConfigStructure = {
  supported_currencies: { type: 'String', label: 'Supported currencies' },
  auto_capture: { type: 'Boolean', label: 'Auto capture' },
  api_key: { type: 'String', label: 'Public key' },
  secret_key: { type: 'Secret', label: 'Secret key' },
  password: { type: 'Password', label: 'Password' },
  webhook_url: { type: 'Output', label: 'Webhook URL' },
};

/** A gateway that records calls and answers success. */
export class GatewayA extends BasePlugin {
  static override id = 'test.gateway-a';
  static override pluginName = 'Gateway A';
  static override configStructure = gatewayFields;
  static override defaultConfiguration = { supported_currencies: 'USD', auto_capture: true, api_key: 'pk_a', secret_key: null, password: null, webhook_url: 'https://example.invalid/hook' };
  static calls: string[] = [];

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async getPaymentConfig(_input: ChannelInput, previous: PublicConfig): Promise<PublicConfig> {
    return [...previous, { field: 'api_key', value: String(this.configuration['api_key']) }];
  }
  async processPayment(payment: PaymentData): Promise<GatewayResponse> {
    GatewayA.calls.push(`${this.channel}:process`);
    return okResponse(payment, `a-${payment.paymentId}`);
  }
}

/** A second gateway, per channel, supporting EUR and USD by default. */
export class GatewayB extends GatewayA {
  static override id = 'test.gateway-b';
  static override pluginName = 'Gateway B';
  static override defaultConfiguration = { ...GatewayA.defaultConfiguration, supported_currencies: 'EUR,USD', api_key: 'pk_b' };
  override async processPayment(payment: PaymentData): Promise<GatewayResponse> {
    return okResponse(payment, `b-${payment.paymentId}`);
  }
}

/** A global plugin that transforms a chained value. */
export class GlobalTagger extends BasePlugin {
  static override id = 'test.global-tagger';
  static override configurationPerChannel = false;
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, 'GLOBAL'];
  }
}

export function payment(overrides: Partial<PaymentData> = {}): PaymentData {
  return {
    amount: new Decimal('10.00'),
    paymentId: 'p1',
    graphqlPaymentId: 'UGF5bWVudDox',
    currency: 'USD',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: 'buyer@example.com',
    token: 'tok',
    customerId: null,
    reuseSource: false,
    data: null,
    ...overrides,
  };
}
