import { parseCurrencyList, type ConfigStructure, type ConfigValue, type ConfigValues } from '@payhost/core';

export const FLUTTERWAVE_CONFIG_STRUCTURE: ConfigStructure = {
  public_key: {
    type: 'String',
    label: 'Public key',
    helpText: 'FLWPUBK-… (FLWPUBK_TEST-… in test mode). Given to Flutterwave Inline in the browser.',
  },
  secret_key: {
    type: 'Secret',
    label: 'Secret key',
    helpText: 'FLWSECK-…: authenticates API calls (and signs the tx_refs while tx_ref_secret is empty). Never leaves the server.',
  },
  tx_ref_secret: {
    type: 'Secret',
    label: 'tx_ref signing secret',
    helpText:
      'Signs the tx_ref values the plugin issues; keep it when you rotate secret_key, so checkouts in flight still verify. ' +
      'Any long random value. Empty: secret_key signs them (when rotating it then, put the old secret key here). ' +
      'A tx_ref signed with either this or secret_key is accepted.',
  },
  secret_hash: {
    type: 'Secret',
    label: 'Webhook secret hash',
    helpText: 'The "secret hash" set on the dashboard webhook settings; every webhook must carry it in verif-hash (or a flutterwave-signature made with it).',
  },
  supported_currencies: {
    type: 'String',
    label: 'Supported currencies',
    helpText: 'Comma-separated ISO 4217 codes, e.g. "NGN, GHS, KES, UGX, ZAR, USD".',
  },
  payment_options: {
    type: 'String',
    label: 'Inline payment options',
    helpText: 'Optional, passed to Inline as payment_options, e.g. "card, mobilemoneyghana, ussd".',
  },
  api_base_url: {
    type: 'String',
    label: 'API base URL',
    helpText: 'Empty: https://api.flutterwave.com/. https only (http allowed for 127.0.0.1 / localhost, e.g. a test fake). The secret key (Bearer) is sent there: an update that changes it must send the secrets again.',
    receivesSecrets: true,
  },
  request_timeout_ms: {
    type: 'String',
    label: 'Request timeout (ms)',
    helpText: 'Per API call (the SDK has none); 1 to 300000, default 20000. Keep it below the host hook timeout.',
  },
  sdk_state_dir: {
    type: 'String',
    label: 'SDK state directory',
    helpText: 'Where the SDK writes its telemetry state file (FLW_SDK_STATE_PATH). Empty: os.tmpdir(). Fixed per process. Set in the configuration file only: the plugin creates the directory.',
    // A directory the plugin creates (mkdir -p) on its next start: the operator's to choose, not the admin key's.
    fileOnly: true,
  },
  sdk_telemetry: {
    type: 'Boolean',
    label: 'SDK telemetry',
    helpText: "On (the SDK's default): the SDK reports usage to Flutterwave's telemetry hosts. Off: silenced for the whole process.",
  },
};

export const FLUTTERWAVE_DEFAULT_CONFIGURATION: ConfigValues = {
  public_key: null,
  secret_key: null,
  tx_ref_secret: null,
  secret_hash: null,
  supported_currencies: 'NGN, GHS, KES, UGX, ZAR, USD',
  payment_options: null,
  api_base_url: null,
  request_timeout_ms: '20000',
  sdk_state_dir: null,
  sdk_telemetry: true,
};

export interface FlutterwaveSettings {
  publicKey: string;
  secretKey: string;
  /** Signs new tx_refs when set (see txRefSecrets); '' when not. */
  txRefSecret: string;
  secretHash: string;
  currencies: string[];
  paymentOptions: string | null;
  /** Null: the SDK's default (https://api.flutterwave.com/). Always ends with "/". */
  baseUrl: string | null;
  timeoutMs: number;
  stateDir: string | null;
  telemetry: boolean;
  /** What is wrong with the configuration; an active plugin with problems is rejected. */
  problems: string[];
}

function text(value: ConfigValue | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function baseUrl(value: ConfigValue | undefined, problems: string[]): string | null {
  const raw = text(value);
  if (raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`api_base_url is not a valid URL: "${raw}"`);
    return null;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    problems.push(`api_base_url must use https (http only for 127.0.0.1 / localhost), got "${raw}"`);
    return null;
  }
  return raw.endsWith('/') ? raw : `${raw}/`;
}

/**
 * The longest request_timeout_ms: Node fires a setTimeout above 2^31-1 ms after ~1 ms, which would time out
 * every call (every refund outcome_unknown); anything near that is a typo, and the host's hook timeout
 * (30 s by default) cuts a call off long before.
 */
export const MAX_REQUEST_TIMEOUT_MS = 300_000;

export function readSettings(values: Readonly<ConfigValues>): FlutterwaveSettings {
  const problems: string[] = [];
  let currencies: string[] = [];
  try {
    currencies = parseCurrencyList(values['supported_currencies'] ?? FLUTTERWAVE_DEFAULT_CONFIGURATION['supported_currencies']);
  } catch (err) {
    problems.push(`supported_currencies: ${(err as Error).message}`);
  }
  const publicKey = text(values['public_key']);
  const secretKey = text(values['secret_key']);
  if (publicKey === '') problems.push('public_key is required');
  else if (!/^FLWPUBK(_TEST)?-/.test(publicKey)) problems.push('public_key does not look like a Flutterwave public key (FLWPUBK-… / FLWPUBK_TEST-…)');
  if (secretKey === '') problems.push('secret_key is required');
  const timeoutRaw = text(values['request_timeout_ms']);
  let timeoutMs = 20_000;
  if (timeoutRaw !== '') {
    if (/^\d+$/.test(timeoutRaw) && Number(timeoutRaw) > 0 && Number(timeoutRaw) <= MAX_REQUEST_TIMEOUT_MS) timeoutMs = Number(timeoutRaw);
    else problems.push(`request_timeout_ms must be a whole number of milliseconds from 1 to ${MAX_REQUEST_TIMEOUT_MS} (5 minutes), got "${timeoutRaw}"`);
  }
  const paymentOptions = text(values['payment_options']);
  const stateDir = text(values['sdk_state_dir']);
  const telemetry = values['sdk_telemetry'];
  return {
    publicKey,
    secretKey,
    txRefSecret: text(values['tx_ref_secret']),
    secretHash: text(values['secret_hash']),
    currencies,
    paymentOptions: paymentOptions === '' ? null : paymentOptions,
    baseUrl: baseUrl(values['api_base_url'], problems),
    timeoutMs,
    stateDir: stateDir === '' ? null : stateDir,
    telemetry: !(telemetry === false || telemetry === 'false'),
    problems,
  };
}

/**
 * The secrets a tx_ref may be signed with, the one that signs new ones first:
 * tx_ref_secret, which does not change with the API key, then secret_key
 * (what signed tx_refs before tx_ref_secret was set, and still does while it
 * is empty). Rotating secret_key therefore leaves every tx_ref in flight
 * valid once tx_ref_secret is set, to any value or to the old secret key.
 */
export function txRefSecrets(settings: Pick<FlutterwaveSettings, 'txRefSecret' | 'secretKey'>): string[] {
  return [...new Set([settings.txRefSecret, settings.secretKey])].filter((s) => s !== '');
}

/** The secret new tx_refs are signed with: tx_ref_secret, else secret_key ('' when neither is set). */
export function txRefSigningSecret(settings: Pick<FlutterwaveSettings, 'txRefSecret' | 'secretKey'>): string {
  return txRefSecrets(settings)[0] ?? '';
}
