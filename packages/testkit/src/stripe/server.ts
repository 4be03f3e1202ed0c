import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeOAuthError, FakeStripeError } from './errors.js';
import { FaultQueue, matchesPath, type FailOptions, type Fault, type FaultMatch, type LoggedRequest } from './faults.js';
import type { Json } from './fixtures.js';
import { parseForm, str } from './form.js';
import { handleOAuth } from './oauth.js';
import { openDispute, settleRefund } from './refunds.js';
import { matchRoute } from './routes.js';
import { signedWebhook, type SignedWebhook, type SignOptions } from './signing.js';
import { completeAuthentication, settleProcessing } from './simulations.js';
import { StripeState } from './state.js';

export type { FailOptions, FaultMatch, LoggedRequest };
interface StoredResult {
  fingerprint: string;
  status: number;
  body: unknown;
  /** When it was saved (the fake's clock, ms). */
  savedAt: number;
}

/** Stripe may prune an idempotency key once it is 24 hours old; the fake prunes it then. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface FakeStripeOptions {
  /** Port to listen on; default 0 (any free port). */
  port?: number;
  /** Secret keys accepted; default any `sk_`/`rk_` key. */
  secretKeys?: string[];
  /**
   * How long a new customer or payment intent stays out of search results
   * (Stripe's index lags writes: under a minute usually, up to an hour in
   * outages); default 0. See setSearchIndexDelay and advanceClock.
   */
  searchIndexDelayMs?: number;
}

const API_VERSION = '2026-10-28.endive';

/**
 * A loopback Stripe: the real `stripe` SDK talks to it through its host, port
 * and protocol options. It keeps state like Stripe (intents, charges,
 * refunds, customers, payment methods, per connected account), answers with
 * Stripe's shapes and errors, replays idempotent requests, logs every request
 * and can fail or drop the next ones.
 */
export class FakeStripe {
  readonly state = new StripeState();
  readonly requests: LoggedRequest[] = [];
  private readonly faults = new FaultQueue();
  private readonly idempotency = new Map<string, StoredResult>();
  private requestSeq = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: FakeStripeOptions,
  ) {
    this.state.searchIndexDelayMs = options.searchIndexDelayMs ?? 0;
  }

  static async start(options: FakeStripeOptions = {}): Promise<FakeStripe> {
    let fake: FakeStripe | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    fake = new FakeStripe(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`: the plugin's `api_base_url`. */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Options for `new Stripe(key, ...)`. */
  sdkOptions(maxNetworkRetries = 0): { host: string; port: number; protocol: 'http'; maxNetworkRetries: number } {
    return { host: this.host, port: this.port, protocol: 'http', maxNetworkRetries };
  }

  /** The next matching request(s) get an error status (500 by default) instead of an answer. */
  failNext(options: FailOptions = {}): void {
    this.faults.push({ status: 500, ...options, kind: 'fail', remaining: options.times ?? 1 });
  }

  /** The next matching request(s) get their connection closed without an answer. */
  dropNext(options: FaultMatch = {}): void {
    this.faults.push({ ...options, kind: 'drop', remaining: options.times ?? 1 });
  }

  /** Requests to `path` (exact or pattern), optionally of one method. */
  requestsTo(path: string | RegExp, method?: string): LoggedRequest[] {
    return this.requests.filter((r) => matchesPath(r.path, path) && (!method || r.method === method));
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /**
   * Moves the fake's clock forward: idempotency keys older than 24 hours are
   * pruned (a retry with one runs the request again, as at Stripe once it
   * pruned the key).
   */
  advanceClock(ms: number): void {
    this.state.advanceClock(ms);
  }

  /** Prunes the idempotency keys saved at least `olderThanMs` ago (default: all of them), as Stripe may after 24 hours. */
  expireIdempotencyKeys(olderThanMs = 0): void {
    const now = this.state.now();
    for (const [key, stored] of this.idempotency) if (now - stored.savedAt >= olderThanMs) this.idempotency.delete(key);
  }

  /**
   * Customers and payment intents younger than `ms` (on the fake's clock:
   * see advanceClock) are left out of /v1/customers/search and
   * /v1/payment_intents/search, as by Stripe's lagging index.
   */
  setSearchIndexDelay(ms: number): void {
    this.state.searchIndexDelayMs = ms;
  }

  /** Forgets everything: state, log, faults, idempotency keys; the search delay goes back to the start option's. */
  reset(): void {
    this.state.reset();
    this.state.searchIndexDelayMs = this.options.searchIndexDelayMs ?? 0;
    this.requests.length = 0;
    this.faults.clear();
    this.idempotency.clear();
  }

  /** Events emitted so far, optionally of one type, oldest first. */
  events(type?: string): Json[] {
    return this.state.events.filter((e) => !type || e['type'] === type);
  }

  lastEvent(type: string): Json {
    const event = this.events(type).at(-1);
    if (!event) throw new Error(`The fake emitted no ${type} event`);
    return event;
  }

  /** An event signed as Stripe signs webhook deliveries. */
  webhook(event: Json, secret: string, options: SignOptions = {}): SignedWebhook {
    return signedWebhook(event, secret, options);
  }

  /** A payment intent as the fake holds it (any account). */
  paymentIntent(id: string): Json {
    const found = this.state.locate('paymentIntents', id);
    if (!found) throw new Error(`No payment intent ${id} in the fake`);
    return found.object;
  }

  /** The customer passes (or fails) the 3-D Secure challenge of a payment or setup intent. */
  completeThreeDSecure(intentId: string, succeeded = true): Json {
    const found = this.state.locate(intentId.startsWith('seti_') ? 'setupIntents' : 'paymentIntents', intentId);
    if (!found) throw new Error(`No intent ${intentId} in the fake`);
    return completeAuthentication(this.state, found.store, found.object, succeeded);
  }

  /** Ends the `processing` state of a payment: it succeeds (or requires_capture), or fails. */
  settleProcessing(intentId: string, outcome: 'succeeded' | 'failed' = 'succeeded'): Json {
    const found = this.state.locate('paymentIntents', intentId);
    if (!found) throw new Error(`No payment intent ${intentId} in the fake`);
    return settleProcessing(this.state, found.store, found.object, outcome);
  }

  /** A refund (pending, or succeeded) becomes succeeded, failed or canceled: emits refund.updated (and refund.failed when it failed). */
  settleRefund(refundId: string, status: 'succeeded' | 'failed' | 'canceled' = 'succeeded'): Json {
    const found = this.state.locate('refunds', refundId);
    if (!found) throw new Error(`No refund ${refundId} in the fake`);
    return settleRefund(this.state, found.store, found.object, status);
  }

  /** Forces an intent into a status (to test status mapping of states cards do not reach). */
  setIntentStatus(intentId: string, status: string): Json {
    const intent = this.paymentIntent(intentId);
    intent['status'] = status;
    return intent;
  }

  /** The cardholder's bank disputes the payment: emits charge.dispute.created. */
  openDispute(intentId: string, reason?: string): Json {
    const found = this.state.locate('paymentIntents', intentId);
    if (!found) throw new Error(`No payment intent ${intentId} in the fake`);
    return openDispute(this.state, found.store, found.object, reason);
  }

  /** An OAuth authorization code, as Connect hands to the redirect URL; exchanging it gives `accountId`. */
  createOAuthCode(accountId = this.state.nextId('acct')): { code: string; accountId: string } {
    const code = this.state.nextId('ac');
    this.state.oauthCodes.set(code, accountId);
    return { code, accountId };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const body = method === 'POST' ? parseForm(Buffer.concat(chunks).toString('utf8')) : {};
    const query = parseForm(url.search.slice(1));
    const params = method === 'POST' ? body : query;
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      headers,
      params,
      body,
      query,
      account: headers['stripe-account'] ?? null,
      idempotencyKey: headers['idempotency-key'] ?? null,
      replayed: false,
      status: null,
      fault: null,
    };
    this.requests.push(entry);
    const requestId = `req_${(++this.requestSeq).toString().padStart(6, '0')}`;
    const fault = this.faults.take(method, url.pathname, entry.account);
    if (fault) entry.fault = fault.kind;
    // Before the endpoint executes (a network-level fault): nothing runs, nothing is saved.
    if (fault && !fault.afterProcessing && !fault.saved) return this.applyFault(fault, entry, res, requestId);

    const result = this.answer(entry, requestId, fault?.saved ? fault : null);
    // After the endpoint answered (and its answer was saved): the answer is lost on the way back.
    if (fault && !fault.saved) return this.applyFault(fault, entry, res, requestId);
    entry.status = result.status;
    res.writeHead(result.status, {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': API_VERSION,
      ...(entry.idempotencyKey ? { 'idempotency-key': entry.idempotencyKey } : {}),
      ...(entry.replayed ? { 'idempotent-replayed': 'true' } : {}),
      ...(fault?.saved && fault.shouldRetry !== undefined ? { 'stripe-should-retry': String(fault.shouldRetry) } : {}),
    });
    res.end(JSON.stringify(result.body));
  }

  private applyFault(fault: Fault, entry: LoggedRequest, res: ServerResponse, requestId: string): void {
    if (fault.kind === 'drop') {
      res.socket?.destroy();
      return;
    }
    const { status, body } = faultAnswer(fault);
    entry.status = status;
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': requestId,
      ...(fault.shouldRetry === undefined ? {} : { 'stripe-should-retry': String(fault.shouldRetry) }),
    });
    res.end(JSON.stringify(body));
  }

  /**
   * Authenticates, replays or runs the request; saves the result under its
   * idempotency key once the endpoint began executing (whatever it is: 4xx,
   * 5xx), as Stripe does. Not saved: errors before execution (API key,
   * account, unknown URL, parameters failing validation). A `saved` fault is
   * the endpoint's answer instead of the handler's (after it ran, with
   * `afterProcessing`).
   */
  private answer(entry: LoggedRequest, requestId: string, fault: Fault | null): { status: number; body: unknown } {
    const auth = entry.headers['authorization'] ?? '';
    const key = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
    const accepted = this.options.secretKeys ? this.options.secretKeys.includes(key) : /^(sk|rk)_(test|live)_\w+$/.test(key);
    if (!accepted) {
      return { status: 401, body: { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${key.slice(0, 8)}***` } } };
    }
    if (entry.account !== null && !/^acct_\w+$/.test(entry.account)) {
      return { status: 403, body: { error: { type: 'invalid_request_error', code: 'account_invalid', message: `The provided key does not have access to account '${entry.account}' (or that account does not exist).` } } };
    }
    // Stripe ignores idempotency keys on GET and DELETE (idempotent by definition).
    const storeKey = entry.idempotencyKey && entry.method === 'POST' ? `${entry.account ?? ''}|${entry.idempotencyKey}` : null;
    const fingerprint = `${entry.method} ${entry.path} ${JSON.stringify(entry.params)}`;
    if (storeKey) {
      this.expireIdempotencyKeys(IDEMPOTENCY_KEY_TTL_MS);
      const stored = this.idempotency.get(storeKey);
      if (stored && stored.fingerprint !== fingerprint) {
        return {
          status: 400,
          body: { error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${entry.idempotencyKey}' if you meant to execute a different request.` } },
        };
      }
      if (stored) {
        entry.replayed = true;
        return { status: stored.status, body: stored.body };
      }
    }
    let result: { status: number; body: unknown; beforeExecution?: boolean };
    if (fault && !fault.afterProcessing) {
      result = faultAnswer(fault);
    } else {
      this.state.currentRequest = { id: requestId, idempotencyKey: entry.idempotencyKey };
      try {
        result = this.dispatch(entry);
      } finally {
        this.state.currentRequest = { id: null, idempotencyKey: null };
      }
      if (fault) result = faultAnswer(fault);
    }
    if (storeKey && !result.beforeExecution) this.idempotency.set(storeKey, { fingerprint, status: result.status, body: result.body, savedAt: this.state.now() });
    return { status: result.status, body: result.body };
  }

  private dispatch(entry: LoggedRequest): { status: number; body: unknown; beforeExecution?: boolean } {
    const ctx = { state: this.state, store: this.state.account(entry.account), form: entry.params };
    try {
      if (entry.path.startsWith('/oauth/')) return { status: 200, body: handleOAuth(ctx, entry.path, str(entry.params, 'client_id')) };
      if (entry.method === 'GET' && entry.path === '/v1/account') {
        return { status: 200, body: { id: entry.account ?? 'acct_platform', object: 'account', charges_enabled: true, payouts_enabled: true, type: entry.account ? 'standard' : null } };
      }
      const found = matchRoute(entry.method, entry.path);
      if (!found) return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${entry.method}: ${entry.path}).` } }, beforeExecution: true };
      return { status: 200, body: found.handler(ctx, found.id) };
    } catch (err) {
      if (err instanceof FakeStripeError) return { status: err.status, body: { error: { ...err.body, request_log_url: null } }, beforeExecution: err.validation };
      if (err instanceof FakeOAuthError) return { status: err.status, body: { error: err.error, error_description: err.description } };
      return { status: 500, body: { error: { type: 'api_error', message: `Fake Stripe failed: ${(err as Error).message}` } } };
    }
  }
}

/** The status and body an injected error answers with. */
function faultAnswer(fault: FailOptions): { status: number; body: unknown } {
  const status = fault.status ?? 500;
  return { status, body: fault.body ?? { error: { type: 'api_error', message: `An unknown error occurred (injected by the fake, HTTP ${status}).` } } };
}
