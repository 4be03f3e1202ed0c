import type { GatewayConfig } from '../contracts/gateway.js';
import type { ConfigValues } from './config-structure.js';
import { normalizeCurrency } from '../money/currency.js';

/**
 * Splits a "USD, EUR" configuration value into validated ISO 4217 codes, each
 * once ("USD, usd" is USD): a repeat would list and route the gateway twice.
 */
export function parseCurrencyList(value: unknown): string[] {
  if (typeof value !== 'string' || value.trim() === '') return [];
  const codes = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .map(normalizeCurrency);
  return [...new Set(codes)];
}

/**
 * Builds a GatewayConfig from the conventional configuration fields
 * (`supported_currencies`, `auto_capture`, `store_customer`, `require_3d_secure`,
 * `supports_multiple_captures`) that most gateway plugins share.
 */
export function gatewayConfigFromValues(
  gatewayName: string,
  values: Readonly<ConfigValues>,
  connectionParams: Record<string, unknown> = {},
  extra: Partial<GatewayConfig> = {},
): GatewayConfig {
  return {
    gatewayName,
    autoCapture: values['auto_capture'] === true,
    supportedCurrencies: parseCurrencyList(values['supported_currencies']),
    connectionParams,
    storeCustomer: values['store_customer'] === true,
    require3dSecure: values['require_3d_secure'] === true,
    supportsMultipleCaptures: values['supports_multiple_captures'] === true,
    ...extra,
  };
}
