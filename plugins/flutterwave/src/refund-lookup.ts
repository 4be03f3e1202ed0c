import { createRequire } from 'node:module';
import { FlutterwaveFailure, type FlutterwaveClient } from './client.js';
import type { FlutterwaveSettings } from './config.js';
import { httpStatusOf, loadSdk, type FlwRefund, type FlwResult } from './sdk.js';

/*
 * GET /v3/refunds/:id, the refund as Flutterwave holds it. flutterwave-node-v3
 * (1.4) has no method for it (Transaction offers refund, verify, fetch, ...):
 * the request goes through the SDK's own RaveBase, as its services do, so it
 * carries the same Bearer key, base URL and status hook (sdk.ts) as every other
 * call. The refund.completed webhook takes nothing but the ids from its body.
 */

interface RaveBase {
  request(path: string, payload: Record<string, unknown>): Promise<{ body?: unknown }>;
}

type RaveBaseConstructor = new (publicKey: string, secretKey: string, baseUrl?: string) => RaveBase;

const require = createRequire(import.meta.url);

/** One RaveBase per client (the SDK's telemetry init runs once per process anyway). */
const bases = new WeakMap<FlutterwaveClient, RaveBase>();

type LookupSettings = Pick<FlutterwaveSettings, 'publicKey' | 'secretKey' | 'baseUrl' | 'timeoutMs' | 'stateDir' | 'telemetry'>;

function raveBase(client: FlutterwaveClient, settings: LookupSettings): RaveBase {
  let base = bases.get(client);
  if (!base) {
    loadSdk(settings);
    const RaveBaseClass = require('flutterwave-node-v3/lib/rave.base') as RaveBaseConstructor;
    const url = settings.baseUrl ? (settings.baseUrl.endsWith('/') ? settings.baseUrl : `${settings.baseUrl}/`) : undefined;
    base = url ? new RaveBaseClass(settings.publicKey, settings.secretKey, url) : new RaveBaseClass(settings.publicKey, settings.secretKey);
    bases.set(client, base);
  }
  return base;
}

function positiveInteger(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * The refund in the API's answer, or null when the answer is not one: the
 * refunded transaction is `tx_id` in the refund call's answer and
 * `transaction_id` in the refund list's (Flutterwave documents no shape for
 * the single lookup), so either is read; the amount, status and transaction
 * are required.
 */
function readRefund(id: number, data: unknown): FlwRefund | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  const txId = positiveInteger(d['tx_id'] ?? d['transaction_id']);
  const amount = d['amount_refunded'];
  const status = d['status'];
  if (positiveInteger(d['id']) !== id || txId === null || typeof status !== 'string') return null;
  if (typeof amount !== 'number' && !(typeof amount === 'string' && amount.trim() !== '' && Number.isFinite(Number(amount)))) return null;
  const createdAt = d['created_at'] ?? d['createdAt'];
  return {
    id,
    tx_id: txId,
    flw_ref: typeof d['flw_ref'] === 'string' ? d['flw_ref'] : '',
    amount_refunded: amount,
    status,
    created_at: typeof createdAt === 'string' ? createdAt : '',
  };
}

/**
 * Refund `id` as Flutterwave reports it. Fails like FlutterwaveClient's calls:
 * a FlutterwaveFailure of kind `api` (with the HTTP status) for an error
 * answer, `timeout` after settings.timeoutMs, `network`, or `unexpected_body`
 * for an answer that is not a refund.
 */
export async function fetchRefund(client: FlutterwaveClient, settings: LookupSettings, id: number): Promise<FlwRefund> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FlutterwaveFailure('timeout', `Flutterwave did not answer the refund lookup within ${settings.timeoutMs} ms`)), settings.timeoutMs);
  });
  let result: FlwResult<unknown>;
  try {
    const request = Promise.resolve().then(() => raveBase(client, settings).request(`v3/refunds/${id}`, { method: 'GET', excludeQuery: true }));
    result = (await Promise.race([request, timeout])).body as FlwResult<unknown>;
  } catch (err) {
    if (err instanceof FlutterwaveFailure) throw err;
    throw new FlutterwaveFailure('network', `Could not reach Flutterwave: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  if (typeof result !== 'object' || result === null) {
    throw new FlutterwaveFailure('unexpected_body', `Flutterwave answered the refund lookup with a non-JSON body: ${String(result).slice(0, 200) || '(empty)'}`, result);
  }
  if (result.status !== 'success') {
    const message = typeof result.message === 'string' && result.message !== '' ? result.message : `Flutterwave refund lookup failed (status ${String(result.status)})`;
    throw new FlutterwaveFailure('api', message, result, httpStatusOf(result));
  }
  const refund = readRefund(id, result.data);
  if (!refund) throw new FlutterwaveFailure('unexpected_body', `Flutterwave's answer for refund ${id} is not that refund (id, transaction, amount_refunded and status expected)`, result);
  return refund;
}

/**
 * Whether the lookup failed because Flutterwave has no such refund: its error
 * answer with 400 or 404 (or with no status known). A 401/403 (key), 429, a 5xx,
 * a timeout or a foreign body says nothing about the refund.
 */
export function refundNotFound(err: unknown): boolean {
  if (!(err instanceof FlutterwaveFailure) || err.kind !== 'api') return false;
  return err.httpStatus === 400 || err.httpStatus === 404 || (err.httpStatus === null && err.answered);
}
