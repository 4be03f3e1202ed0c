import { httpStatusOf, loadSdk, type FlutterwaveSdk, type FlwRefund, type FlwResult, type FlwTransaction, type SdkLoadOptions } from './sdk.js';

export type FlutterwaveFailureKind = 'api' | 'network' | 'timeout' | 'invalid_request' | 'unexpected_body';

/** Network errors raised before the request left this host: Flutterwave cannot have seen it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** Why a Flutterwave call did not succeed; the SDK resolves HTTP errors, this makes them failures. */
export class FlutterwaveFailure extends Error {
  constructor(
    readonly kind: FlutterwaveFailureKind,
    message: string,
    readonly body: unknown = null,
    /** The HTTP status of an `api` failure, when the SDK let it through; null otherwise. */
    readonly httpStatus: number | null = null,
    /** False when the request certainly never reached Flutterwave (refused connection, DNS, SDK validation). */
    readonly sent: boolean = true,
  ) {
    super(message);
    this.name = 'FlutterwaveFailure';
  }

  /**
   * Flutterwave gave a definite answer: a 4xx, or its error body
   * (`status: "error"`) with a status below 500 or none known. A timeout, a
   * dropped connection, a 5xx or a body that is not Flutterwave's is no answer.
   */
  get answered(): boolean {
    if (this.kind === 'invalid_request') return true;
    if (this.kind !== 'api') return false;
    if (this.httpStatus !== null && this.httpStatus >= 500) return false;
    if (this.httpStatus !== null && this.httpStatus >= 400) return true;
    const body = this.body as { status?: unknown } | null;
    return typeof body === 'object' && body !== null && body.status === 'error';
  }
}

export interface ClientOptions extends SdkLoadOptions {
  publicKey: string;
  secretKey: string;
  /** Null: the SDK's default (https://api.flutterwave.com/). */
  baseUrl: string | null;
  timeoutMs: number;
  /** Called on every 401 / 403 answer (the secret key refused), whatever the call: `operation` is the client's (`verify`, `refund`...). */
  onKeyRefused?: (refusal: { operation: string; status: 401 | 403 }) => void;
}

function causeCode(err: unknown): string | null {
  const code = (err as { cause?: { code?: unknown }; code?: unknown })?.cause?.code ?? (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : null;
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause ? ` (${[e.cause.code, e.cause.message].filter(Boolean).join(': ')})` : '';
  return `${e?.message ?? String(err)}${cause}`;
}

/**
 * The Flutterwave API as this plugin uses it: each call checks the response
 * status (`success` with data, or a FlutterwaveFailure carrying the message),
 * turns network errors and the SDK's joi validation errors into failures, and
 * gives up after `timeoutMs` (the SDK's fetch has no timeout).
 */
export class FlutterwaveClient {
  private readonly sdk: FlutterwaveSdk;

  constructor(private readonly options: ClientOptions) {
    const { Flutterwave } = loadSdk(options);
    const base = options.baseUrl ? (options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`) : undefined;
    this.sdk = base ? new Flutterwave(options.publicKey, options.secretKey, base) : new Flutterwave(options.publicKey, options.secretKey);
  }

  verify(transactionId: number): Promise<FlwTransaction> {
    return this.call('verify', () => this.sdk.Transaction.verify({ id: transactionId }));
  }

  verifyByReference(txRef: string): Promise<FlwTransaction> {
    return this.call('verify_by_reference', () => this.sdk.Transaction.verify_by_tx({ tx_ref: txRef }));
  }

  /** Refunds `amount` (major units) of transaction `transactionId` (the SDK's schema allows no other field). */
  refund(transactionId: number, amount: number): Promise<FlwRefund> {
    return this.call('refund', () => this.sdk.Transaction.refund({ id: String(transactionId), amount }));
  }

  list(query: Record<string, string>): Promise<FlwTransaction[]> {
    return this.call('list', () => this.sdk.Transaction.fetch(query));
  }

  private async call<T>(operation: string, run: () => Promise<FlwResult<T>>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new FlutterwaveFailure('timeout', `Flutterwave did not answer ${operation} within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    let result: FlwResult<T>;
    try {
      result = await Promise.race([Promise.resolve().then(run), timeout]);
    } catch (err) {
      if (err instanceof FlutterwaveFailure) throw err;
      if ((err as Error)?.name === 'validationError') throw new FlutterwaveFailure('invalid_request', `Invalid Flutterwave ${operation} request: ${(err as Error).message}`, null, null, false);
      const sent = !NOT_SENT_CODES.has(causeCode(err) ?? '');
      throw new FlutterwaveFailure('network', `Could not reach Flutterwave: ${describe(err)}`, null, null, sent);
    } finally {
      clearTimeout(timer);
    }
    if (typeof result !== 'object' || result === null) {
      const text = typeof result === 'string' ? result.slice(0, 200) : String(result);
      throw new FlutterwaveFailure('unexpected_body', `Flutterwave answered ${operation} with a non-JSON body: ${text || '(empty)'}`, result);
    }
    if (result.status !== 'success' || result.data === null || result.data === undefined) {
      const message = typeof result.message === 'string' && result.message !== '' ? result.message : `Flutterwave ${operation} failed (status ${String(result.status)})`;
      const status = httpStatusOf(result);
      if ((status === 401 || status === 403) && this.options.onKeyRefused) this.options.onKeyRefused({ operation, status });
      throw new FlutterwaveFailure('api', message, result, status);
    }
    return result.data;
  }
}
