import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Typed view of `flutterwave-node-v3` (1.4), which ships no types. Only what
 * this plugin uses. Every call resolves — HTTP errors included — with the
 * response body: `{ status: 'success' | 'error', message, data }`, or the raw
 * text when the body is not JSON. It rejects only on a network failure or on
 * its own joi validation.
 */
export interface FlwEnvelope<T> {
  status: 'success' | 'error' | (string & {});
  message: string;
  data: T | null;
  meta?: { page_info?: { total: number; current_page: number; total_pages: number } };
}

export interface FlwCard {
  first_6digits?: string;
  last_4digits?: string;
  issuer?: string;
  country?: string;
  type?: string;
  expiry?: string;
}

export interface FlwTransaction {
  id: number;
  tx_ref: string;
  flw_ref: string;
  amount: number;
  currency: string;
  charged_amount: number;
  status: 'successful' | 'failed' | 'pending' | (string & {});
  processor_response: string;
  payment_type: string;
  created_at: string;
  card?: FlwCard;
  customer?: { email?: string };
  /** Inline's `meta` option, as the checkout sent it (null when none). */
  meta?: Record<string, unknown> | null;
}

export interface FlwRefund {
  id: number;
  tx_id: number;
  flw_ref: string;
  /** Major units (a number from the API; webhook payloads are read the same way). */
  amount_refunded: number | string;
  /** Final: `complete`, `completed`, `completed-<type>` (e.g. `completed-mpgs`, cards) or `failed`; else not finished (`pending`, `pending-momo`, `processing`). */
  status: 'completed' | 'pending' | 'failed' | (string & {});
  created_at: string;
}

export type FlwResult<T> = FlwEnvelope<T> | string;

export interface FlutterwaveSdk {
  Transaction: {
    verify(params: { id: number }): Promise<FlwResult<FlwTransaction>>;
    verify_by_tx(params: { tx_ref: string }): Promise<FlwResult<FlwTransaction>>;
    refund(params: { id: string; amount: number }): Promise<FlwResult<FlwRefund>>;
    fetch(params?: Record<string, string>): Promise<FlwResult<FlwTransaction[]>>;
  };
}

type FlutterwaveConstructor = new (publicKey: string, secretKey: string, baseUrl?: string) => FlutterwaveSdk;

interface Telemetry {
  init(publicKey: string): Promise<void>;
  logRequest(...args: unknown[]): Promise<void>;
  logError(...args: unknown[]): Promise<void>;
  logTransaction(...args: unknown[]): Promise<void>;
}

export interface SdkLoadOptions {
  /** Directory for the SDK's state file; null: FLW_SDK_STATE_PATH if the operator set it, else os.tmpdir(). */
  stateDir: string | null;
  /** false: the SDK's telemetry functions become no-ops, for the whole process. */
  telemetry: boolean;
}

export interface LoadedSdk {
  Flutterwave: FlutterwaveConstructor;
  /** Where the SDK keeps its state file, fixed for the process when the SDK module first loads. */
  statePath: string;
  telemetryDisabled: boolean;
}

export const STATE_FILE_NAME = 'payhost-flutterwave-sdk.json';

const require = createRequire(import.meta.url);
let loaded: LoadedSdk | null = null;

/** HTTP status of each JSON body the SDK resolved (it drops the status; only the body reaches the caller). */
const httpStatuses = new WeakMap<object, number>();

/** The HTTP status Flutterwave answered `body` with; null when unknown (a non-object body, or an SDK without the hook). */
export function httpStatusOf(body: unknown): number | null {
  return typeof body === 'object' && body !== null ? (httpStatuses.get(body) ?? null) : null;
}

type PromiseRequest = (this: unknown, url: string, options: unknown) => Promise<{ res?: { statusCode?: unknown }; body?: unknown }>;

/**
 * The SDK's services return only the response body, so a 503 with an error
 * body looks like a 400. Its RaveBase resolves `{ res: { statusCode }, body }`
 * in `_makePromiseRequest` first: wrap it (once, module-wide) to remember each
 * body's status. Values pass through unchanged, so other users of the module
 * see no difference. Without the hook (another SDK version) statuses stay unknown.
 */
function recordHttpStatuses(): void {
  const base = require('flutterwave-node-v3/lib/rave.base') as { prototype: { _makePromiseRequest?: PromiseRequest & { payhostWrapped?: true } } };
  const original = base.prototype._makePromiseRequest;
  if (typeof original !== 'function' || original.payhostWrapped) return;
  const wrapped: PromiseRequest & { payhostWrapped?: true } = async function (this: unknown, url, options) {
    const result = await original.call(this, url, options);
    const status = result?.res?.statusCode;
    if (typeof status === 'number' && typeof result.body === 'object' && result.body !== null) httpStatuses.set(result.body, status);
    return result;
  };
  wrapped.payhostWrapped = true;
  base.prototype._makePromiseRequest = wrapped;
}

/** The state file path a configuration asks for. */
export function wantedStatePath(stateDir: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (stateDir) return join(resolve(stateDir), STATE_FILE_NAME);
  const preset = env['FLW_SDK_STATE_PATH'];
  return preset && preset.trim() !== '' ? resolve(preset) : join(tmpdir(), STATE_FILE_NAME);
}

function silence(): void {
  const telemetry = require('flutterwave-node-v3/utils/logger') as Telemetry;
  telemetry.init = () => Promise.resolve();
  telemetry.logRequest = () => Promise.resolve();
  telemetry.logError = () => Promise.resolve();
  telemetry.logTransaction = () => Promise.resolve();
}

/**
 * Loads the SDK once per process. Its telemetry module reads
 * FLW_SDK_STATE_PATH when it is first required, so the variable is set (and
 * its directory created) before that; a later, different path cannot take
 * effect and is reported by `statePathConflict`.
 */
export function loadSdk(options: SdkLoadOptions): LoadedSdk {
  if (!loaded) {
    const statePath = wantedStatePath(options.stateDir);
    mkdirSync(dirname(statePath), { recursive: true });
    process.env['FLW_SDK_STATE_PATH'] = statePath;
    const Flutterwave = require('flutterwave-node-v3') as FlutterwaveConstructor;
    recordHttpStatuses();
    loaded = { Flutterwave, statePath, telemetryDisabled: false };
  }
  if (!options.telemetry && !loaded.telemetryDisabled) {
    silence();
    loaded.telemetryDisabled = true;
  }
  return loaded;
}

/** A message when `stateDir` asks for another state file than the one the loaded SDK uses; null otherwise. */
export function statePathConflict(stateDir: string | null): string | null {
  if (!loaded || !stateDir) return null;
  const wanted = wantedStatePath(stateDir);
  return wanted === loaded.statePath ? null : `The Flutterwave SDK state file is ${loaded.statePath} for this process; ${wanted} applies after a restart`;
}
