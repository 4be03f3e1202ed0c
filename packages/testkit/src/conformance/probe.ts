import { BasePlugin, type ChannelInput, type CustomerSource, type PaymentGateway, type PaymentGatewaysInput, type PaymentSourcesInput, type PublicConfig } from '@payhost/core';

/** Values the probe contributes to chained hooks, ahead of the plugin under test. */
export const PROBE = {
  id: 'payhost.conformance-probe',
  /** ISO 4217's code reserved for testing: no real gateway declares it. */
  currency: 'XTS',
  configField: { field: 'conformance_probe', value: 'kept' },
  source: { id: 'conformance-probe-source', gateway: 'payhost.conformance-probe', creditCardInfo: null } satisfies CustomerSource,
  gateway: { id: 'payhost.conformance-probe', name: 'Conformance probe', currencies: [], config: [] } satisfies PaymentGateway,
} as const;

/**
 * A plugin (not a gateway) the suite registers before the plugin under test
 * in the same channel: it adds a value to every chained hook, so the
 * PluginManager hands the plugin a non-empty previousValue, which must be kept.
 */
export class ConformanceProbePlugin extends BasePlugin {
  static override id = PROBE.id;
  static override pluginName = 'Conformance probe';
  static override description = 'Adds sentinel values to chained hooks so the conformance suite can see whether the next plugin keeps previousValue.';
  static override defaultActive = true;

  async getSupportedCurrencies(_input: ChannelInput, previousValue: string[]): Promise<string[]> {
    return [...previousValue, PROBE.currency];
  }

  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig> {
    return [...previousValue, { ...PROBE.configField }];
  }

  async listPaymentSources(_input: PaymentSourcesInput, previousValue: CustomerSource[]): Promise<CustomerSource[]> {
    return [...previousValue, { ...PROBE.source }];
  }

  override async getPaymentGateways(_input: PaymentGatewaysInput, previousValue: PaymentGateway[]): Promise<PaymentGateway[]> {
    return [...previousValue, { ...PROBE.gateway, currencies: [], config: [] }];
  }
}
