import type { IncomingMessage } from 'node:http';
import { LoopbackJsonServer, takeFailure, type InjectedFailure, type LoggedRequest, type Reply } from '../loopback-json-server.js';
import { flutterwaveWebhook, type FlutterwaveInlineResult, type FlutterwaveWebhookDelivery } from './signing.js';
import { FlutterwaveApiError, FlutterwaveState, type FakeTransaction, type PayOptions } from './state.js';

export interface FakeFlutterwaveOptions {
  publicKey?: string;
  secretKey?: string;
  /** The dashboard's "secret hash", sent back in every webhook's verif-hash header. */
  secretHash?: string;
}

export type FlutterwaveWebhookEvent = 'charge.completed' | 'refund.completed' | (string & {});

/**
 * How an answer is lost after the fake acted: an error reply with `status`
 * (a 5xx after the fact), a dropped connection, or the real answer sent only
 * after `delayMs` (longer than the client waits: a timeout).
 */
export type LostAnswer = { status: number; message?: string } | { delayMs: number } | 'network';

interface LostAnswerRule {
  method?: string;
  path?: string | RegExp;
  times: number;
  how: LostAnswer;
}

type Route = { method: string; pattern: RegExp; run: (match: string[], request: LoggedRequest) => { message: string; data: unknown; meta?: unknown } };

/**
 * A loopback fake of Flutterwave's v3 API (verify by id and by tx_ref,
 * refunds, transaction listing), stateful, with a request log, injectable
 * errors and network failures, and helpers that play the customer's part
 * (Inline) and build webhooks. Point the real SDK at it with the base-URL
 * constructor argument: `new Flutterwave(pub, sec, fake.baseUrl)`.
 */
export class FakeFlutterwave {
  readonly publicKey: string;
  readonly secretKey: string;
  readonly secretHash: string;
  readonly state = new FlutterwaveState();
  private readonly failures: InjectedFailure[] = [];
  private readonly lostAnswers: LostAnswerRule[] = [];
  private readonly server: LoopbackJsonServer;
  private readonly routes: Route[];

  private constructor(options: FakeFlutterwaveOptions) {
    this.publicKey = options.publicKey ?? 'FLWPUBK_TEST-fakepublickey0000000000000000-X';
    this.secretKey = options.secretKey ?? 'FLWSECK_TEST-fakesecretkey0000000000000000-X';
    this.secretHash = options.secretHash ?? 'fake-secret-hash';
    this.server = new LoopbackJsonServer(
      (request, headers) => this.handle(request, headers),
      (message) => ({ status: 'error', message, data: null }),
    );
    const s = this.state;
    this.routes = [
      { method: 'GET', pattern: /^\/v3\/transactions\/(\d+)\/verify$/, run: (m) => ({ message: 'Transaction fetched successfully', data: s.transaction(m[1] as string) }) },
      {
        method: 'GET',
        pattern: /^\/v3\/transactions\/verify_by_reference$/,
        run: (_m, r) => ({ message: 'Transaction fetched successfully', data: s.byReference(r.query['tx_ref']) }),
      },
      { method: 'POST', pattern: /^\/v3\/transactions\/([^/]+)\/refund$/, run: (m, r) => ({ message: 'Transaction refund initiated', data: s.refund(m[1] as string, body(r)) }) },
      { method: 'GET', pattern: /^\/v3\/refunds\/([^/]+)$/, run: (m) => ({ message: 'Refund fetched', data: s.findRefund(m[1] as string) }) },
      {
        method: 'GET',
        pattern: /^\/v3\/transactions$/,
        run: (_m, r) => {
          const { meta, data } = s.list(r.query);
          return { message: 'Transactions fetched', meta, data };
        },
      },
    ];
  }

  static async start(options: FakeFlutterwaveOptions = {}): Promise<FakeFlutterwave> {
    const fake = new FakeFlutterwave(options);
    await fake.server.listen();
    return fake;
  }

  /** Base URL for the SDK's third constructor argument: `http://127.0.0.1:<port>/` (trailing slash). */
  get baseUrl(): string {
    return `${this.server.origin}/`;
  }

  get requests(): LoggedRequest[] {
    return this.server.requests;
  }

  /** Answers the next matching request(s) with `{ status: 'error', message, data: null }` and `status`. */
  injectError(match: Omit<InjectedFailure, 'reply'>, status: number, message: string): void {
    this.failures.push({ ...match, reply: { status, body: { status: 'error', message, data: null } } });
  }

  /** Answers the next matching request(s) with any body (e.g. an HTML error page). */
  injectReply(match: Omit<InjectedFailure, 'reply'>, status: number, replyBody: unknown): void {
    this.failures.push({ ...match, reply: { status, body: replyBody } });
  }

  /** Drops the connection of the next matching request(s) without answering. */
  injectNetworkError(match: Omit<InjectedFailure, 'reply'> = {}): void {
    this.failures.push({ ...match, reply: 'network' });
  }

  /**
   * The next matching request(s) are carried out (a refund is made, the
   * state changes) and then the answer is lost as `how` says: what a client
   * sees when Flutterwave acted but its reply never arrived.
   */
  loseAnswer(match: Omit<InjectedFailure, 'reply'>, how: LostAnswer): void {
    this.lostAnswers.push({ ...match, times: match.times ?? 1, how });
  }

  /** The customer pays with Flutterwave Inline: returns what Inline hands the browser's callback. */
  pay(options: PayOptions): FlutterwaveInlineResult & { transaction: FakeTransaction } {
    const tx = this.state.pay(options);
    return { transaction_id: tx.id, tx_ref: tx.tx_ref, flw_ref: tx.flw_ref, status: tx.status, amount: tx.amount, currency: tx.currency, transaction: tx };
  }

  /**
   * A webhook delivery with the right verif-hash (override with
   * `secretHash`, or null to leave the header out). charge.completed carries a
   * transaction; refund.completed a refund in v3's webhook shape (`id`,
   * `AmountRefunded`, `status`, `TransactionId`, ...: no currency, no tx_ref).
   */
  webhook(event: FlutterwaveWebhookEvent, id: number, options: { secretHash?: string | null } = {}): FlutterwaveWebhookDelivery {
    const hash = options.secretHash === undefined ? this.secretHash : options.secretHash;
    if (event === 'refund.completed') return flutterwaveWebhook({ event, data: this.state.refundWebhookData(id) }, hash);
    const tx = this.state.transaction(id);
    const { card, customer, ...rest } = tx;
    return flutterwaveWebhook({ event, data: { ...rest, customer, card: { ...card } }, 'event.type': 'CARD_TRANSACTION' }, hash);
  }

  reset(): void {
    this.state.reset();
    this.failures.length = 0;
    this.lostAnswers.length = 0;
    this.server.requests.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(request: LoggedRequest, headers: IncomingMessage['headers']): Promise<Reply> {
    const injected = takeFailure(this.failures, request);
    if (injected) return injected;
    const reply = this.answer(request, headers);
    const lost = this.takeLostAnswer(request);
    if (!lost) return reply;
    if (lost === 'network') return 'network';
    if ('status' in lost) return { status: lost.status, body: { status: 'error', message: lost.message ?? 'Internal server error', data: null } };
    await new Promise((resolve) => setTimeout(resolve, lost.delayMs).unref());
    return reply;
  }

  private takeLostAnswer(request: LoggedRequest): LostAnswer | null {
    const index = this.lostAnswers.findIndex(
      (r) => (!r.method || r.method.toUpperCase() === request.method) && (!r.path || (typeof r.path === 'string' ? request.path.includes(r.path) : r.path.test(request.path))),
    );
    const rule = this.lostAnswers[index];
    if (!rule) return null;
    rule.times -= 1;
    if (rule.times <= 0) this.lostAnswers.splice(index, 1);
    return rule.how;
  }

  private answer(request: LoggedRequest, headers: IncomingMessage['headers']): Reply {
    if (headers.authorization !== `Bearer ${this.secretKey}`) {
      return { status: 401, body: { status: 'error', message: 'Invalid authorization key', data: null } };
    }
    for (const route of this.routes) {
      const match = route.method === request.method ? route.pattern.exec(request.path) : null;
      if (!match) continue;
      try {
        return { status: 200, body: { status: 'success', ...route.run([...match], request) } };
      } catch (err) {
        if (err instanceof FlutterwaveApiError) return { status: err.status, body: { status: 'error', message: err.message, data: null } };
        throw err;
      }
    }
    return { status: 404, body: { status: 'error', message: `Cannot ${request.method} ${request.path}`, data: null } };
  }
}

function body(request: LoggedRequest): Record<string, unknown> {
  return request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
}
