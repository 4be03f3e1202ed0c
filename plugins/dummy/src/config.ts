import { parseCurrencyList, type ConfigStructure, type ConfigValue, type ConfigValues } from '@payhost/core';

export const DUMMY_CONFIG_STRUCTURE: ConfigStructure = {
  auto_capture: {
    type: 'Boolean',
    label: 'Automatic payment capture',
    helpText: 'On: processPayment captures at once. Off: it only authorizes; capture later.',
  },
  supported_currencies: {
    type: 'String',
    label: 'Supported currencies',
    helpText: 'Comma-separated ISO 4217 codes the gateway accepts, e.g. "USD, EUR, JPY".',
  },
  store_customer: {
    type: 'Boolean',
    label: 'Store customer cards',
    helpText: 'Remember the card of every payment that has a customer, for later reuse.',
  },
  require_3d_secure: {
    type: 'Boolean',
    label: 'Require 3-D Secure',
    helpText: 'Every card must pass a (simulated) 3-D Secure challenge and be confirmed.',
  },
  supports_multiple_captures: {
    type: 'Boolean',
    label: 'Supports multiple captures',
    helpText: 'Allow several partial captures of one authorization.',
  },
  public_key: {
    type: 'String',
    label: 'Public API key',
    helpText: 'Given to the browser with the payment configuration (api_key).',
  },
  secret_key: {
    type: 'Secret',
    label: 'Secret API key',
    helpText: 'Not used by the dummy gateway; lets hosts exercise secret masking.',
  },
};

export const DUMMY_DEFAULT_CONFIGURATION: ConfigValues = {
  auto_capture: true,
  supported_currencies: 'USD',
  store_customer: false,
  require_3d_secure: false,
  supports_multiple_captures: true,
  public_key: 'pk_test_dummy',
  secret_key: null,
};

/** The configuration, read once into typed settings. */
export interface DummySettings {
  autoCapture: boolean;
  storeCustomer: boolean;
  require3dSecure: boolean;
  supportsMultipleCaptures: boolean;
  publicKey: string;
  /** Supported currencies; empty when the value is invalid (see currencyError). */
  currencies: string[];
  currencyError: string | null;
}

/** Booleans arrive as booleans from the host; "true"/"false" strings are accepted too. */
export function toBool(value: ConfigValue | undefined, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

function defaultBool(name: string): boolean {
  return DUMMY_DEFAULT_CONFIGURATION[name] === true;
}

export function readSettings(values: Readonly<ConfigValues>): DummySettings {
  let currencies: string[] = [];
  let currencyError: string | null = null;
  try {
    currencies = parseCurrencyList(values['supported_currencies'] ?? DUMMY_DEFAULT_CONFIGURATION['supported_currencies']);
  } catch (err) {
    currencyError = err instanceof Error ? err.message : String(err);
  }
  const publicKey = values['public_key'];
  return {
    autoCapture: toBool(values['auto_capture'], defaultBool('auto_capture')),
    storeCustomer: toBool(values['store_customer'], defaultBool('store_customer')),
    require3dSecure: toBool(values['require_3d_secure'], defaultBool('require_3d_secure')),
    supportsMultipleCaptures: toBool(values['supports_multiple_captures'], defaultBool('supports_multiple_captures')),
    publicKey: typeof publicKey === 'string' ? publicKey : '',
    currencies,
    currencyError,
  };
}

/** Configuration values with booleans normalized, for `gatewayConfigFromValues`. */
export function normalizedValues(values: Readonly<ConfigValues>, settings: DummySettings): ConfigValues {
  return {
    ...values,
    auto_capture: settings.autoCapture,
    store_customer: settings.storeCustomer,
    require_3d_secure: settings.require3dSecure,
    supports_multiple_captures: settings.supportsMultipleCaptures,
  };
}
