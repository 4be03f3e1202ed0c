import { createHash } from 'node:crypto';
import Razorpay from 'razorpay';

/** Razorpay sends `notes: []` when an entity has none (a PHP quirk). */
export type RzpNotes = Record<string, string> | [];

export interface RzpOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  currency: string;
  receipt: string | null;
  status: 'created' | 'attempted' | 'paid';
  notes: RzpNotes;
  created_at: number;
}

export type RzpPaymentStatus = 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';

export interface RzpPayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: RzpPaymentStatus;
  order_id: string | null;
  method: string;
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  captured: boolean;
  notes: RzpNotes;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface RzpRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: RzpNotes;
  receipt: string | null;
  status: 'pending' | 'processed' | 'failed';
  created_at: number;
}

export interface RzpCollection<T> {
  entity: 'collection';
  count: number;
  items: T[];
}

/**
 * The part of the `razorpay` SDK (v2.9) this plugin uses, typed as the API
 * answers. Errors reject with Razorpay's plain error object
 * `{ statusCode, error: { code, description, reason, ... } }` (see errors.ts).
 */
export interface RazorpayApi {
  orders: {
    create(params: { amount: number; currency: string; receipt?: string; notes?: Record<string, string> }): Promise<RzpOrder>;
    fetch(orderId: string): Promise<RzpOrder>;
  };
  payments: {
    fetch(paymentId: string): Promise<RzpPayment>;
    capture(paymentId: string, amount: number, currency: string): Promise<RzpPayment>;
    /** With `idempotencyKey`, sent as X-Refund-Idempotency (the SDK has no header option; see createRazorpayClient). */
    refund(paymentId: string, params: RefundParams, options?: { idempotencyKey?: string }): Promise<RzpRefund>;
    edit(paymentId: string, params: { notes: Record<string, string> }): Promise<RzpPayment>;
    fetchMultipleRefund(paymentId: string, params: { count?: number; skip?: number }): Promise<RzpCollection<RzpRefund>>;
    all(params: { from?: number; to?: number; count?: number; skip?: number }): Promise<RzpCollection<RzpPayment>>;
  };
}

export interface RefundParams {
  amount: number;
  speed?: 'normal' | 'optimum';
  notes?: Record<string, string>;
  receipt?: string;
}

export interface RazorpayClientOptions {
  keyId: string;
  keySecret: string;
  /** Null: the SDK's default host. */
  baseUrl: string | null;
  timeoutMs: number;
  /** Called on every 401 / 403 answer (the keys refused), whatever the call: `operation` is the request (`POST /v1/orders`). */
  onKeyRefused?: (refusal: { operation: string; status: 401 | 403 }) => void;
}

/** The axios instance inside the SDK (`client.api.rq`), which has no base-URL option of its own. */
interface SdkHttp {
  defaults: { baseURL?: string; timeout?: number };
  post(url: string, data: unknown, config: { headers: Record<string, string> }): Promise<{ data: unknown }>;
  interceptors: { response: { use(onFulfilled: undefined, onRejected: (err: unknown) => unknown): number } };
}

/** The code a network failure is reported under (Razorpay's own codes are upper-case words too). */
export const NETWORK_ERROR_CODE = 'NETWORK_ERROR';

/**
 * The SDK's error normalizer reads `err.response.status` and throws a
 * TypeError when there is no response (a network failure), losing the cause.
 * This turns such failures into a response-shaped rejection first, so they
 * surface as `{ statusCode: 0, error: { code: 'NETWORK_ERROR', description } }`.
 */
function networkFailureAsResponse(err: unknown): unknown {
  const e = err as { response?: unknown; code?: string; message?: string };
  if (e && typeof e === 'object' && e.response) return Promise.reject(err);
  const cause = [e?.code, e?.message].filter((part) => typeof part === 'string' && part !== '').join(': ');
  return Promise.reject({
    response: {
      status: 0,
      data: { error: { code: NETWORK_ERROR_CODE, description: `Could not reach Razorpay (${cause || 'network failure'})`, reason: 'network_error', source: 'network' } },
    },
  });
}

/** Passes a 401 / 403 on to `report` (the request's method and path only: no query, no body), then rejects with the error unchanged. */
function reportKeyRefusal(err: unknown, report: NonNullable<RazorpayClientOptions['onKeyRefused']>): unknown {
  const e = err as { response?: { status?: unknown }; config?: { method?: unknown; url?: unknown } } | null;
  const status = e?.response?.status;
  if (status === 401 || status === 403) {
    const method = typeof e?.config?.method === 'string' ? e.config.method.toUpperCase() : '?';
    const url = typeof e?.config?.url === 'string' ? (e.config.url.split('?')[0] ?? '?') : '?';
    report({ operation: `${method} ${url}`, status });
  }
  return Promise.reject(err);
}

/** Constructs the SDK client, pointed at `baseUrl` (a fake in tests), with a request timeout. */
export function createRazorpayClient(options: RazorpayClientOptions): RazorpayApi {
  const client = new Razorpay({ key_id: options.keyId, key_secret: options.keySecret });
  const http = (client.api as unknown as { rq: SdkHttp }).rq;
  if (options.baseUrl) http.defaults.baseURL = options.baseUrl;
  http.defaults.timeout = options.timeoutMs;
  const onKeyRefused = options.onKeyRefused;
  if (onKeyRefused) http.interceptors.response.use(undefined, (err) => reportKeyRefusal(err, onKeyRefused));
  http.interceptors.response.use(undefined, networkFailureAsResponse);
  const api = client as unknown as RazorpayApi;
  const sdkRefund = api.payments.refund.bind(api.payments);
  // Razorpay dedupes refunds by the X-Refund-Idempotency header, which the SDK cannot send: post
  // through the SDK's own axios instance (auth, base URL, timeout) and reject as the SDK does.
  api.payments.refund = (paymentId, params, options) => {
    if (!options?.idempotencyKey) return sdkRefund(paymentId, params);
    return http.post(`/v1/payments/${paymentId}/refund`, params, { headers: { 'X-Refund-Idempotency': options.idempotencyKey } }).then(
      (response) => response.data as RzpRefund,
      (err: { response?: { status?: unknown; data?: { error?: unknown } } }) => Promise.reject({ statusCode: err?.response?.status, error: err?.response?.data?.error }),
    );
  };
  return api;
}

/**
 * The X-Refund-Idempotency value for a host idempotency key: Razorpay takes
 * 10+ characters of letters, digits, `-` and `_` only, so the key (which has
 * `:`) is hashed; the same key always gives the same value.
 */
export function refundIdempotencyKey(key: string): string {
  return `payhost_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40)}`;
}

/** Entity notes as a record (`[]` -> `{}`). */
export function notesOf(entity: { notes?: RzpNotes | null } | null | undefined): Record<string, string> {
  const notes = entity?.notes;
  return notes && !Array.isArray(notes) && typeof notes === 'object' ? notes : {};
}

/** Razorpay ids are `<prefix>_<alphanumerics>`; anything else never reaches a URL path. */
export function isRazorpayId(value: unknown, prefix: 'pay' | 'order' | 'rfnd'): value is string {
  return typeof value === 'string' && new RegExp(`^${prefix}_[A-Za-z0-9]{1,40}$`).test(value);
}
