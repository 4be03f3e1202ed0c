import { parseCurrencyList, type ConfigStructure, type ConfigValue, type ConfigValues } from '@payhost/core';

export const RAZORPAY_CONFIG_STRUCTURE: ConfigStructure = {
  key_id: {
    type: 'String',
    label: 'Key ID',
    helpText: 'Dashboard > Account & Settings > API Keys. Public: given to Razorpay Checkout in the browser.',
  },
  key_secret: {
    type: 'Secret',
    label: 'Key secret',
    helpText: 'Signs API calls and verifies the Checkout signature. Never leaves the server.',
  },
  webhook_secret: {
    type: 'Secret',
    label: 'Webhook secret',
    helpText: 'The secret set on the dashboard webhook; verifies X-Razorpay-Signature.',
  },
  previous_webhook_secret: {
    type: 'Secret',
    label: 'Previous webhook secret',
    helpText: 'While changing the webhook secret: the old one. Razorpay retries events sent before the change (for up to 24 h) signed with it; empty it after that.',
  },
  auto_capture: {
    type: 'Boolean',
    label: 'Automatic payment capture',
    helpText: 'On: processPayment captures an authorized payment at once. Off: it records the authorization; capture later.',
  },
  supported_currencies: {
    type: 'String',
    label: 'Supported currencies',
    helpText: 'Comma-separated ISO 4217 codes enabled on the Razorpay account, e.g. "INR, USD".',
  },
  checkout_name: {
    type: 'String',
    label: 'Business name shown in Checkout',
    helpText: 'Optional; returned in the client token as "name".',
  },
  api_base_url: {
    type: 'String',
    label: 'API base URL',
    helpText: 'Empty: https://api.razorpay.com. https only (http allowed for 127.0.0.1 / localhost, e.g. a test fake). The key id and secret (Basic auth) are sent there: an update that changes it must send the secrets again.',
    receivesSecrets: true,
  },
  request_timeout_ms: {
    type: 'String',
    label: 'Request timeout (ms)',
    helpText: 'Per API request; 1 to 300000, default 20000. Keep it below the host hook timeout.',
  },
  webhook_tolerance_seconds: {
    type: 'String',
    label: 'Webhook age tolerance (s)',
    helpText: 'Events whose created_at is further from now than this are acknowledged (200) but not applied (replay defence). At least 86400: Razorpay retries for up to 24 h, keeping created_at; default 172800.',
  },
};

export const RAZORPAY_DEFAULT_CONFIGURATION: ConfigValues = {
  key_id: null,
  key_secret: null,
  webhook_secret: null,
  previous_webhook_secret: null,
  auto_capture: true,
  supported_currencies: 'INR',
  checkout_name: null,
  api_base_url: null,
  request_timeout_ms: '20000',
  webhook_tolerance_seconds: '172800',
};

export const RAZORPAY_API_URL = 'https://api.razorpay.com';

/** The configuration, read once into typed settings. */
export interface RazorpaySettings {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** The secret before the current one ('' when none): accepted too, for the retries signed with it. */
  previousWebhookSecret: string;
  autoCapture: boolean;
  currencies: string[];
  checkoutName: string | null;
  /** Null: the SDK's default (https://api.razorpay.com). */
  baseUrl: string | null;
  timeoutMs: number;
  webhookToleranceSeconds: number;
  /** What is wrong with the configuration; an active plugin with problems is rejected. */
  problems: string[];
}

function text(value: ConfigValue | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function toBool(value: ConfigValue | undefined, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

function positiveInt(value: ConfigValue | undefined, name: string, fallback: number, problems: string[]): number {
  const raw = text(value);
  if (raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) {
    problems.push(`${name} must be a positive integer, got "${raw}"`);
    return fallback;
  }
  return Number(raw);
}

/**
 * The longest request_timeout_ms: Node fires a setTimeout above 2^31-1 ms after ~1 ms, which would time out
 * every request (every refund outcome_unknown); anything near that is a typo, and the host's hook timeout
 * (30 s by default) cuts a call off long before.
 */
export const MAX_REQUEST_TIMEOUT_MS = 300_000;

function requestTimeout(value: ConfigValue | undefined, problems: string[]): number {
  const raw = text(value);
  if (raw !== '' && !(/^\d+$/.test(raw) && Number(raw) > 0 && Number(raw) <= MAX_REQUEST_TIMEOUT_MS)) {
    problems.push(`request_timeout_ms must be a whole number of milliseconds from 1 to ${MAX_REQUEST_TIMEOUT_MS} (5 minutes), got "${raw}"`);
    return 20_000;
  }
  return raw === '' ? 20_000 : Number(raw);
}

/** Razorpay retries a webhook delivery for 24 h, and a retry keeps the event's created_at. */
export const RAZORPAY_RETRY_WINDOW_SECONDS = 86_400;

/**
 * webhook_tolerance_seconds, at least Razorpay's retry window: a shorter one answers a late retry
 * 200 stale_event without applying it, Razorpay stops retrying, and the event is lost until reconciliation.
 */
function webhookTolerance(value: ConfigValue | undefined, problems: string[]): number {
  const seconds = positiveInt(value, 'webhook_tolerance_seconds', 172_800, problems);
  if (seconds < RAZORPAY_RETRY_WINDOW_SECONDS) {
    problems.push(`webhook_tolerance_seconds must be at least ${RAZORPAY_RETRY_WINDOW_SECONDS}: it must cover Razorpay's 24 h retry window (a retried event keeps its created_at), got ${seconds}`);
  }
  return seconds;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An https URL, or http on a loopback host (test fakes); null when empty. */
export function parseBaseUrl(value: ConfigValue | undefined, name: string, problems: string[]): string | null {
  const raw = text(value);
  if (raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} is not a valid URL: "${raw}"`);
    return null;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    problems.push(`${name} must use https (http only for 127.0.0.1 / localhost), got "${raw}"`);
    return null;
  }
  return raw.replace(/\/+$/, '');
}

export function readSettings(values: Readonly<ConfigValues>): RazorpaySettings {
  const problems: string[] = [];
  let currencies: string[] = [];
  try {
    currencies = parseCurrencyList(values['supported_currencies'] ?? RAZORPAY_DEFAULT_CONFIGURATION['supported_currencies']);
  } catch (err) {
    problems.push(`supported_currencies: ${(err as Error).message}`);
  }
  const keyId = text(values['key_id']);
  const keySecret = text(values['key_secret']);
  if (keyId === '') problems.push('key_id is required');
  else if (!/^rzp_(test|live)_[A-Za-z0-9]+$/.test(keyId)) problems.push(`key_id does not look like a Razorpay key id (rzp_test_... / rzp_live_...)`);
  if (keySecret === '') problems.push('key_secret is required');
  const checkoutName = text(values['checkout_name']);
  return {
    keyId,
    keySecret,
    webhookSecret: text(values['webhook_secret']),
    previousWebhookSecret: text(values['previous_webhook_secret']),
    autoCapture: toBool(values['auto_capture'], true),
    currencies,
    checkoutName: checkoutName === '' ? null : checkoutName,
    baseUrl: parseBaseUrl(values['api_base_url'], 'api_base_url', problems),
    timeoutMs: requestTimeout(values['request_timeout_ms'], problems),
    webhookToleranceSeconds: webhookTolerance(values['webhook_tolerance_seconds'], problems),
    problems,
  };
}
