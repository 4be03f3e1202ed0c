import type { IncomingMessage } from 'node:http';
import { LoopbackJsonServer, takeFailure, type InjectedFailure, type LoggedRequest, type Reply } from '../loopback-json-server.js';
import { signedCheckoutResult, signRazorpayWebhook, type RazorpayCheckoutResult, type RazorpayWebhookDelivery } from './signing.js';
import { RazorpayApiError, RazorpayState, collection, type FakePayment, type FakePaymentStatus, type RazorpayErrorBody } from './state.js';

export interface FakeRazorpayOptions {
  keyId?: string;
  keySecret?: string;
  webhookSecret?: string;
}

export interface CheckoutOptions {
  /** What the payment becomes: 'authorized' (default), 'captured' (account auto-capture) or 'failed'. */
  status?: Extract<FakePaymentStatus, 'authorized' | 'captured' | 'failed'>;
  /** Razorpay's error fields for a failed payment. */
  error?: Partial<RazorpayErrorBody>;
  /** Notes Checkout was opened with (copied onto the payment). */
  notes?: Record<string, string>;
}

export type RazorpayWebhookEvent = 'payment.authorized' | 'payment.captured' | 'payment.failed' | 'refund.processed' | 'refund.failed' | 'order.paid' | (string & {});

type Route = { method: string; pattern: RegExp; run: (match: string[], request: LoggedRequest) => unknown };

/**
 * A loopback fake of Razorpay's REST API (v1 orders, payments, capture,
 * refunds), stateful, with a request log, injectable errors and network
 * failures, and helpers that play the customer's part (Checkout) and sign
 * webhooks. Point the real SDK at it:
 * `client.api.rq.defaults.baseURL = fake.url`.
 */
export class FakeRazorpay {
  readonly keyId: string;
  readonly keySecret: string;
  readonly webhookSecret: string;
  readonly state = new RazorpayState();
  private readonly failures: InjectedFailure[] = [];
  /** Requests Razorpay acts on but whose answer is lost (see loseAnswer). */
  private readonly lost: Array<InjectedFailure & { delayMs: number | null; thenDrop: number }> = [];
  private readonly server: LoopbackJsonServer;
  private readonly routes: Route[];
  private eventCounter = 0;

  private constructor(options: FakeRazorpayOptions) {
    this.keyId = options.keyId ?? 'rzp_test_fakeKeyId01';
    this.keySecret = options.keySecret ?? 'fake_key_secret_0123456789';
    this.webhookSecret = options.webhookSecret ?? 'fake_webhook_secret';
    this.server = new LoopbackJsonServer(
      (request, headers) => this.handle(request, headers),
      (message) => ({ error: { code: 'SERVER_ERROR', description: message } }),
    );
    const s = this.state;
    this.routes = [
      { method: 'POST', pattern: /^\/v1\/orders$/, run: (_m, r) => s.createOrder(body(r)) },
      { method: 'GET', pattern: /^\/v1\/orders$/, run: (_m, r) => collection([...s.orders.values()], r.query) },
      { method: 'GET', pattern: /^\/v1\/orders\/([^/]+)$/, run: (m) => s.order(m[1] as string) },
      {
        method: 'GET',
        pattern: /^\/v1\/orders\/([^/]+)\/payments$/,
        run: (m) => collection([...s.payments.values()].filter((p) => p.order_id === s.order(m[1] as string).id), { count: '100' }),
      },
      { method: 'GET', pattern: /^\/v1\/payments$/, run: (_m, r) => collection([...s.payments.values()], r.query) },
      { method: 'GET', pattern: /^\/v1\/payments\/([^/]+)$/, run: (m) => s.payment(m[1] as string) },
      { method: 'POST', pattern: /^\/v1\/payments\/([^/]+)\/capture$/, run: (m, r) => s.capture(m[1] as string, body(r)) },
      { method: 'PATCH', pattern: /^\/v1\/payments\/([^/]+)$/, run: (m, r) => s.editPayment(m[1] as string, body(r)) },
      { method: 'POST', pattern: /^\/v1\/payments\/([^/]+)\/refund$/, run: (m, r) => s.refund(m[1] as string, body(r), r.headers['x-refund-idempotency']) },
      { method: 'GET', pattern: /^\/v1\/payments\/([^/]+)\/refunds$/, run: (m, r) => collection(s.refundsOf(m[1] as string), r.query) },
      {
        method: 'GET',
        pattern: /^\/v1\/payments\/([^/]+)\/refunds\/([^/]+)$/,
        run: (m) => {
          const refund = s.findRefund(m[2] as string);
          if (refund.payment_id !== m[1]) throw new RazorpayApiError(400, { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' });
          return refund;
        },
      },
      { method: 'GET', pattern: /^\/v1\/refunds\/([^/]+)$/, run: (m) => s.findRefund(m[1] as string) },
    ];
  }

  /** Starts a fake on 127.0.0.1 and an ephemeral port. */
  static async start(options: FakeRazorpayOptions = {}): Promise<FakeRazorpay> {
    const fake = new FakeRazorpay(options);
    await fake.server.listen();
    return fake;
  }

  /** Base URL for the SDK (`http://127.0.0.1:<port>`). */
  get url(): string {
    return this.server.origin;
  }

  /** Every request received, oldest first. */
  get requests(): LoggedRequest[] {
    return this.server.requests;
  }

  /** Answers the next matching request(s) with a Razorpay error body (`{ error }`) and `status`. */
  injectError(match: Omit<InjectedFailure, 'reply'>, status: number, error: Partial<RazorpayErrorBody> & { description: string }): void {
    this.failures.push({ ...match, reply: { status, body: { error: { code: 'BAD_REQUEST_ERROR', field: null, metadata: {}, ...error } } } });
  }

  /** Drops the connection of the next matching request(s) without answering. */
  injectNetworkError(match: Omit<InjectedFailure, 'reply'> = {}): void {
    this.failures.push({ ...match, reply: 'network' });
  }

  /**
   * Razorpay acts on the next matching request(s) but the answer is lost: the
   * connection is dropped after the work is done, or, with `delayMs`, the
   * answer comes that late (longer than the client's timeout). `thenDrop`:
   * Razorpay is unreachable for that many requests after it (e.g. the
   * client's own status check).
   */
  loseAnswer(match: Omit<InjectedFailure, 'reply'> = {}, options: { delayMs?: number; thenDrop?: number } = {}): void {
    this.lost.push({ ...match, reply: 'network', delayMs: options.delayMs ?? null, thenDrop: options.thenDrop ?? 0 });
  }

  /** Answers the next matching request(s) with `status` and `body` as is (e.g. a proxy's HTML page as a string). */
  injectReply(match: Omit<InjectedFailure, 'reply'>, status: number, body: unknown): void {
    this.failures.push({ ...match, reply: { status, body } });
  }

  /** The customer completes Razorpay Checkout for `orderId`: returns what Checkout hands the browser. */
  checkout(orderId: string, options: CheckoutOptions = {}): RazorpayCheckoutResult & { payment: FakePayment } {
    const payment = this.state.pay(orderId, options.status ?? 'authorized', options.error ?? null, options.notes ?? {});
    return { ...signedCheckoutResult(orderId, payment.id, this.keySecret), payment };
  }

  /**
   * A signed webhook delivery for the current state of the named entities
   * (payment / refund / order ids). The event id is unique per call unless
   * given; `eventId: null` leaves the header out.
   */
  webhook(event: RazorpayWebhookEvent, ids: { paymentId?: string; refundId?: string; orderId?: string }, options: { eventId?: string | null; createdAt?: number } = {}): RazorpayWebhookDelivery {
    if (event === 'order.paid' && ids.orderId && this.state.order(ids.orderId).status !== 'paid') {
      // Razorpay sends order.paid when a payment of the order is captured, never for an authorization alone.
      throw new Error(`Order ${ids.orderId} is ${this.state.order(ids.orderId).status}, not paid: Razorpay sends order.paid only once a payment is captured`);
    }
    const payload: Record<string, { entity: unknown }> = {};
    if (ids.paymentId) payload['payment'] = { entity: { ...this.state.payment(ids.paymentId) } };
    if (ids.refundId) payload['refund'] = { entity: { ...this.state.findRefund(ids.refundId) } };
    if (ids.orderId) payload['order'] = { entity: { ...this.state.order(ids.orderId) } };
    const body = {
      entity: 'event',
      account_id: 'acc_FakeAccount0001',
      event,
      contains: Object.keys(payload),
      payload,
      created_at: options.createdAt ?? Math.floor(Date.now() / 1000),
    };
    this.eventCounter += 1;
    const eventId = options.eventId === undefined ? `evt_fake${Date.now().toString(36)}${this.eventCounter}` : options.eventId;
    return signRazorpayWebhook(body, this.webhookSecret, eventId);
  }

  /** Forgets every entity, request and injected failure. */
  reset(): void {
    this.state.reset();
    this.failures.length = 0;
    this.lost.length = 0;
    this.server.requests.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private authorized(headers: IncomingMessage['headers']): boolean {
    const expected = `Basic ${Buffer.from(`${this.keyId}:${this.keySecret}`).toString('base64')}`;
    return headers.authorization === expected;
  }

  private handle(request: LoggedRequest, headers: IncomingMessage['headers']): Reply | Promise<Reply> {
    const injected = takeFailure(this.failures, request);
    if (injected) return injected;
    const lostIndex = this.lost.findIndex((l) => takeFailure([{ ...l, times: 1 }], request) !== undefined);
    if (lostIndex >= 0) {
      const lost = this.lost[lostIndex] as (typeof this.lost)[number];
      if ((lost.times ?? 1) <= 1) this.lost.splice(lostIndex, 1);
      else lost.times = (lost.times ?? 1) - 1;
      const reply = this.answer(request, headers);
      if (lost.thenDrop > 0) this.failures.push({ reply: 'network', times: lost.thenDrop });
      if (lost.delayMs === null) return 'network';
      return new Promise((resolve) => setTimeout(() => resolve(reply), lost.delayMs as number));
    }
    return this.answer(request, headers);
  }

  private answer(request: LoggedRequest, headers: IncomingMessage['headers']): Reply {
    if (!this.authorized(headers)) {
      return { status: 401, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed', source: 'NA', step: 'NA', reason: 'NA', metadata: {} } } };
    }
    for (const route of this.routes) {
      const match = route.method === request.method ? route.pattern.exec(request.path) : null;
      if (!match) continue;
      try {
        return { status: 200, body: route.run([...match], request) };
      } catch (err) {
        if (err instanceof RazorpayApiError) return { status: err.status, body: { error: err.body } };
        throw err;
      }
    }
    return { status: 400, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'The requested URL was not found on the server.', metadata: {} } } };
  }
}

function body(request: LoggedRequest): Record<string, unknown> {
  return request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
}
