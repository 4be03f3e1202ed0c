import { Decimal, parseCurrencyList, type ConfigStructure, type ConfigValue, type ConfigValues } from '@payhost/core';
import { parseFixedFee, type FixedFee } from './fixed-fee.js';

export const CONNECT_MODES = ['LOCAL', 'FORWARD', 'REMOTE'] as const;
/** djaodjin's Stripe modes (seed 000): where charges live and who pays Stripe's fees. */
export type ConnectMode = (typeof CONNECT_MODES)[number];

export const STRIPE_CONFIG_STRUCTURE: ConfigStructure = {
  secret_key: { type: 'Secret', label: 'Secret key', helpText: 'sk_live_/sk_test_ secret key, or an rk_ restricted key, of the platform account.' },
  publishable_key: { type: 'String', label: 'Publishable key', helpText: 'pk_live_/pk_test_ key given to Stripe.js in the browser.' },
  webhook_secret: { type: 'Secret', label: 'Webhook signing secret', helpText: "whsec_ secret of this channel's webhook endpoint." },
  mode: { type: 'String', label: 'Connect mode', helpText: 'LOCAL: charges on the platform. FORWARD: destination charges to the connected account. REMOTE: direct charges on the connected account.' },
  connected_account_id: { type: 'String', label: 'Connected account', helpText: 'acct_ id of the provider (FORWARD and REMOTE); a payment may name its own in data.connectedAccountId.' },
  previous_connected_account_ids: {
    type: 'String',
    label: 'Previous connected accounts',
    helpText: 'REMOTE: comma-separated acct_ ids that were connected_account_id before; their payments keep their references, so their webhook events still match them.',
  },
  connect_client_id: { type: 'String', label: 'Connect client id', helpText: 'ca_ id of the platform, for the Connect OAuth flow.' },
  application_fee_percent: { type: 'String', label: 'Application fee (percent)', helpText: 'Platform fee in percent of each charge (FORWARD and REMOTE), e.g. "2.5".' },
  application_fee_fixed: {
    type: 'String',
    label: 'Application fee (fixed)',
    helpText: 'Fixed platform fee per charge (FORWARD and REMOTE): one amount per supported currency, e.g. "USD 0.30, EUR 0.25, JPY 30"; a single amount such as "0.30" only when Stripe takes it exactly in every supported currency, all counted in the same units (not USD with JPY or KWD).',
  },
  supported_currencies: { type: 'String', label: 'Supported currencies', helpText: 'Comma-separated ISO 4217 codes, e.g. "USD, EUR, JPY".' },
  auto_capture: { type: 'Boolean', label: 'Automatic payment capture', helpText: 'On: processPayment captures at once. Off: it only authorizes.' },
  store_customer: { type: 'Boolean', label: 'Store customers', helpText: "Save every customer's card on a Stripe Customer for later off-session reuse." },
  require_3d_secure: { type: 'Boolean', label: 'Require 3-D Secure', helpText: 'Ask Stripe for 3-D Secure on every card (request_three_d_secure=any).' },
  webhook_tolerance_seconds: { type: 'String', label: 'Webhook tolerance (seconds)', helpText: 'Oldest accepted signature timestamp; default 300.' },
  api_base_url: {
    type: 'String',
    label: 'API base URL',
    helpText: 'Stripe API address; empty for https://api.stripe.com. Plain http only to loopback (tests, stripe-mock). The secret key is sent there: an update that changes it must send the secrets again.',
    receivesSecrets: true,
  },
  max_network_retries: { type: 'String', label: 'Network retries', helpText: 'SDK retries of a failed request (same idempotency key); default 1.' },
  request_timeout_ms: { type: 'String', label: 'Request timeout (ms)', helpText: 'Timeout of one Stripe request; default 10000.' },
};

export const STRIPE_DEFAULT_CONFIGURATION: ConfigValues = {
  secret_key: null,
  publishable_key: null,
  webhook_secret: null,
  mode: 'LOCAL',
  connected_account_id: null,
  previous_connected_account_ids: null,
  connect_client_id: null,
  application_fee_percent: null,
  application_fee_fixed: null,
  supported_currencies: 'USD',
  auto_capture: true,
  store_customer: false,
  require_3d_secure: false,
  webhook_tolerance_seconds: '300',
  api_base_url: null,
  max_network_retries: '1',
  request_timeout_ms: '10000',
};

/** Where the SDK sends requests (`new Stripe(key, { host, port, protocol })`); null: Stripe itself. */
export interface StripeEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/** The configuration, validated and typed once per configuration version. */
export interface StripeSettings {
  secretKey: string | null;
  publishableKey: string | null;
  webhookSecret: string | null;
  mode: ConnectMode;
  connectedAccountId: string | null;
  /** Accounts that were connectedAccountId before (REMOTE): their payments recorded plain pi_ references (connect.ts pspAccount). */
  previousAccountIds: readonly string[];
  connectClientId: string | null;
  feePercent: Decimal | null;
  /** application_fee_fixed, checked against `currencies` (fixed-fee.ts). */
  feeFixed: FixedFee | null;
  currencies: string[];
  autoCapture: boolean;
  storeCustomer: boolean;
  require3dSecure: boolean;
  webhookToleranceSeconds: number;
  endpoint: StripeEndpoint | null;
  maxNetworkRetries: number;
  timeoutMs: number;
}

export const KEY_PATTERNS = {
  secretKey: /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/,
  publishableKey: /^pk_(test|live)_[A-Za-z0-9_]+$/,
  webhookSecret: /^whsec_[A-Za-z0-9_+/=]+$/,
  accountId: /^acct_[A-Za-z0-9]+$/,
} as const;

function text(values: Readonly<ConfigValues>, name: string): string | null {
  const value = values[name];
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function bool(value: ConfigValue | undefined, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

function matching(values: Readonly<ConfigValues>, name: string, pattern: RegExp, what: string): string | null {
  const value = text(values, name);
  if (value !== null && !pattern.test(value)) throw new Error(`${name} is malformed: ${what}`);
  return value;
}

function integer(values: Readonly<ConfigValues>, name: string, min: number, max: number): number {
  const value = text(values, name) ?? String(STRIPE_DEFAULT_CONFIGURATION[name]);
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

function decimal(values: Readonly<ConfigValues>, name: string, max: Decimal): Decimal | null {
  const value = text(values, name);
  if (value === null) return null;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`${name} must be a non-negative decimal number, got "${value}"`);
  const parsed = new Decimal(value);
  if (parsed.greaterThan(max)) throw new Error(`${name} must be at most ${max.toString()}, got "${value}"`);
  return parsed;
}

/** A comma-separated list of acct_ ids (empty: none). */
function accountList(values: Readonly<ConfigValues>, name: string): string[] {
  const value = text(values, name);
  if (value === null) return [];
  const ids = value.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const bad = ids.find((id) => !KEY_PATTERNS.accountId.test(id));
  if (bad !== undefined) throw new Error(`${name} is malformed: "${bad}" is not a connected account id (acct_...)`);
  return [...new Set(ids)];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Parses `api_base_url`; plain http is refused except to loopback, so a secret key never crosses a network in clear. */
export function parseEndpoint(value: string | null): StripeEndpoint | null {
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`api_base_url is not a URL: "${value}"`);
  }
  const protocol = url.protocol.replace(':', '');
  if (protocol !== 'http' && protocol !== 'https') throw new Error(`api_base_url must be http(s), got "${url.protocol}"`);
  if (protocol === 'http' && !LOOPBACK.has(url.hostname)) throw new Error('api_base_url may use plain http only for a loopback host (127.0.0.1, localhost)');
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw new Error('api_base_url must be a bare origin such as https://api.stripe.com');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80, protocol };
}

/**
 * Reads and validates the configuration. Throws an Error with a clear message
 * on any malformed value (the manager reports it as invalid_configuration).
 * Missing keys are allowed while the plugin is inactive.
 */
export function readSettings(values: Readonly<ConfigValues>, active: boolean): StripeSettings {
  const secretKey = matching(values, 'secret_key', KEY_PATTERNS.secretKey, 'a Stripe secret key starts with sk_test_/sk_live_ (or rk_ for a restricted key)');
  const publishableKey = matching(values, 'publishable_key', KEY_PATTERNS.publishableKey, 'a Stripe publishable key starts with pk_test_ or pk_live_');
  const webhookSecret = matching(values, 'webhook_secret', KEY_PATTERNS.webhookSecret, 'a webhook signing secret starts with whsec_');
  const connectedAccountId = matching(values, 'connected_account_id', KEY_PATTERNS.accountId, 'a connected account id starts with acct_');
  if (active && secretKey === null) throw new Error('secret_key is required when the Stripe plugin is active');
  if (secretKey && publishableKey && secretKey.split('_')[1] !== publishableKey.split('_')[1]) {
    throw new Error(`secret_key is a ${secretKey.split('_')[1]} key but publishable_key is a ${publishableKey.split('_')[1]} key`);
  }
  const mode = (text(values, 'mode') ?? 'LOCAL').toUpperCase();
  if (!(CONNECT_MODES as readonly string[]).includes(mode)) throw new Error(`mode must be one of ${CONNECT_MODES.join(', ')}, got "${mode}"`);
  let currencies: string[];
  try {
    currencies = parseCurrencyList(values['supported_currencies'] ?? STRIPE_DEFAULT_CONFIGURATION['supported_currencies']);
  } catch (err) {
    throw new Error(`supported_currencies is invalid: ${(err as Error).message}`);
  }
  return {
    secretKey,
    publishableKey,
    webhookSecret,
    mode: mode as ConnectMode,
    connectedAccountId,
    previousAccountIds: accountList(values, 'previous_connected_account_ids'),
    connectClientId: text(values, 'connect_client_id'),
    feePercent: decimal(values, 'application_fee_percent', new Decimal(100)),
    feeFixed: parseFixedFee(text(values, 'application_fee_fixed'), currencies),
    currencies,
    autoCapture: bool(values['auto_capture'], true),
    storeCustomer: bool(values['store_customer'], false),
    require3dSecure: bool(values['require_3d_secure'], false),
    webhookToleranceSeconds: integer(values, 'webhook_tolerance_seconds', 1, 86_400),
    endpoint: parseEndpoint(text(values, 'api_base_url')),
    maxNetworkRetries: integer(values, 'max_network_retries', 0, 10),
    timeoutMs: integer(values, 'request_timeout_ms', 100, 600_000),
  };
}
