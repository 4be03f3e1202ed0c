import { createHash } from 'node:crypto';
import { appendFileSync, linkSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BasePlugin,
  Decimal,
  gatewayConfigFromValues,
  type GatewayConfig,
  type GatewayResponse,
  type PaymentData,
  type PluginInit,
  type TransactionKind,
  type TransactionStatusInput,
} from '@payhost/core';

/**
 * A fake payment processor for cross-process and crash tests: stateless in
 * memory, durable on disk, deterministic. Every process that configures the
 * same `state_dir` talks to "the same processor":
 *
 * - each money call is keyed by the host's gateway idempotency key
 *   (PaymentData.idempotencyKey); the first call with a key acts (appends one
 *   line to `charges.log`) and records its response under the key with an
 *   atomic exclusive create; any later call with that key (from any process)
 *   gets the recorded response back and acts no more — like Stripe;
 * - every call, replays and status queries included, is appended to
 *   `requests.log`, so tests can see whether the host called at all;
 * - `getTransactionStatus` answers from the recorded responses (or "never
 *   received this request" when nothing is recorded under the key); with
 *   `can_tell` off it answers null ("cannot tell").
 *
 * It never refuses an amount: the ledger is what must keep refunds within
 * captures, and `charges.log` is the processor's view to compare it with.
 * The token `fp_decline` is declined (errorCode declined) on process/authorize.
 */
export const FILE_PROCESSOR_ID = 'test.file-processor';
export const DECLINE_TOKEN = 'fp_decline';

type Operation = 'process' | 'authorize' | 'capture' | 'refund' | 'void' | 'confirm';

/** One action the processor performed (a line of charges.log). */
export interface ProcessorCharge {
  key: string;
  operation: Operation;
  paymentId: string;
  kind: TransactionKind;
  isSuccess: boolean;
  amount: string;
  currency: string;
  transactionId: string;
  pid: number;
}

/** One call the processor received (a line of requests.log). */
export interface ProcessorRequest {
  key: string | null;
  call: Operation | 'status';
  paymentId: string;
  replayed: boolean;
  pid: number;
}

interface RecordedResponse {
  key: string;
  operation: Operation;
  fingerprint: string;
  response: Omit<GatewayResponse, 'amount'> & { amount: string };
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

function bool(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

function decode(recorded: RecordedResponse, replayed: boolean): GatewayResponse {
  const { amount, rawResponse, ...rest } = recorded.response;
  return { ...rest, amount: new Decimal(amount), rawResponse: { ...(rawResponse ?? {}), replayed } };
}

/** Read-only view of a processor's state directory, for assertions. */
export class ProcessorJournal {
  constructor(readonly dir: string) {}

  private lines<T>(file: string): T[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as T);
  }

  charges(paymentId?: string): ProcessorCharge[] {
    const all = this.lines<ProcessorCharge>('charges.log');
    return paymentId === undefined ? all : all.filter((c) => c.paymentId === paymentId);
  }

  requests(paymentId?: string): ProcessorRequest[] {
    const all = this.lines<ProcessorRequest>('requests.log');
    return paymentId === undefined ? all : all.filter((r) => r.paymentId === paymentId);
  }

  /** How many times each gateway idempotency key made the processor act. */
  chargesPerKey(paymentId?: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.charges(paymentId)) counts.set(c.key, (counts.get(c.key) ?? 0) + 1);
    return counts;
  }

  /** The response recorded under a gateway key (what the processor did), or null when it never received it. */
  response(key: string): GatewayResponse | null {
    try {
      return decode(JSON.parse(readFileSync(join(this.dir, 'keys', `${hash(key)}.json`), 'utf8')) as RecordedResponse, true);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Keys with a recorded response (should equal the keys of charges.log). */
  recordedKeys(): number {
    try {
      return readdirSync(join(this.dir, 'keys')).filter((f) => f.endsWith('.json')).length;
    } catch {
      return 0;
    }
  }
}

export class FileProcessorPlugin extends BasePlugin {
  static override id = FILE_PROCESSOR_ID;
  static override pluginName = 'File processor (tests)';
  static override description = 'A durable, deterministic fake processor for cross-process ledger tests.';
  static override configStructure = {
    state_dir: { type: 'String', label: 'State directory' },
    supported_currencies: { type: 'String', label: 'Supported currencies' },
    auto_capture: { type: 'Boolean', label: 'Automatic capture' },
    can_tell: { type: 'Boolean', label: 'getTransactionStatus answers' },
  } as const;
  static override defaultConfiguration = { state_dir: null, supported_currencies: 'USD', auto_capture: true, can_tell: true };
  static override defaultActive = false;
  static override configurationPerChannel = true;

  private readonly dir: string;
  private readonly autoCapture: boolean;
  private readonly canTell: boolean;

  constructor(init: PluginInit) {
    super(init);
    const dir = this.configuration['state_dir'];
    if (typeof dir !== 'string' || dir === '') throw new Error('file processor: state_dir is required');
    this.dir = dir;
    this.autoCapture = bool(this.configuration['auto_capture'], true);
    this.canTell = bool(this.configuration['can_tell'], true);
    mkdirSync(join(dir, 'keys'), { recursive: true });
  }

  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.pluginName, { ...this.configuration, auto_capture: this.autoCapture }, {}, { supportsMultipleCaptures: true });
  }

  private keyFile(key: string): string {
    return join(this.dir, 'keys', `${hash(key)}.json`);
  }

  private read(key: string): RecordedResponse | null {
    try {
      return JSON.parse(readFileSync(this.keyFile(key), 'utf8')) as RecordedResponse;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private log(file: 'charges.log' | 'requests.log', entry: ProcessorCharge | ProcessorRequest): void {
    // One small O_APPEND write per line: lines from several processes never interleave.
    appendFileSync(join(this.dir, file), `${JSON.stringify(entry)}\n`);
  }

  private kindOf(operation: Operation): TransactionKind {
    if (operation === 'process') return this.autoCapture ? 'capture' : 'auth';
    if (operation === 'authorize') return 'auth';
    return operation;
  }

  private respond(operation: Operation, payment: PaymentData): GatewayResponse {
    const key = typeof payment.idempotencyKey === 'string' && payment.idempotencyKey !== '' ? payment.idempotencyKey : null;
    if (!key) throw new Error('file processor: every call needs an idempotency key');
    const fingerprint = `${operation}|${payment.paymentId}|${String(payment.amount)}|${payment.currency}`;
    const existing = this.read(key);
    if (existing) {
      this.log('requests.log', { key, call: operation, paymentId: payment.paymentId, replayed: true, pid: process.pid });
      if (existing.fingerprint !== fingerprint) throw new Error(`file processor: key ${key} reused with other parameters`);
      return decode(existing, true);
    }
    const declined = (operation === 'process' || operation === 'authorize') && payment.token === DECLINE_TOKEN;
    const kind = this.kindOf(operation);
    const transactionId = `fp_tx_${hash(key).slice(0, 20)}`;
    const amount = new Decimal(String(payment.amount));
    const response: RecordedResponse['response'] = {
      isSuccess: !declined,
      actionRequired: false,
      kind,
      amount: amount.toString(),
      currency: payment.currency,
      transactionId,
      error: declined ? 'Your card was declined.' : null,
      errorCode: declined ? 'declined' : null,
      pspReference: `fp_pay_${payment.paymentId}`,
      rawResponse: { object: 'fp_transaction', id: transactionId, key },
    };
    const recorded: RecordedResponse = { key, operation, fingerprint, response };
    // The processor's own idempotency: write aside, then link into place (atomic, fails when the key exists).
    const tmp = `${this.keyFile(key)}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, JSON.stringify(recorded));
    try {
      linkSync(tmp, this.keyFile(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const winner = this.read(key) as RecordedResponse;
      this.log('requests.log', { key, call: operation, paymentId: payment.paymentId, replayed: true, pid: process.pid });
      return decode(winner, true);
    } finally {
      unlinkSync(tmp);
    }
    this.log('requests.log', { key, call: operation, paymentId: payment.paymentId, replayed: false, pid: process.pid });
    this.log('charges.log', {
      key,
      operation,
      paymentId: payment.paymentId,
      kind,
      isSuccess: response.isSuccess,
      amount: response.amount,
      currency: payment.currency,
      transactionId,
      pid: process.pid,
    });
    return decode(recorded, false);
  }

  async processPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.respond('process', payment);
  }
  async authorizePayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.respond('authorize', payment);
  }
  async capturePayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.respond('capture', payment);
  }
  async refundPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.respond('refund', payment);
  }
  async voidPayment(payment: PaymentData, _previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.respond('void', payment);
  }

  /** What became of a call, from the durable record under its key; null when configured not to tell. */
  async getTransactionStatus(input: TransactionStatusInput, _previous: GatewayResponse | null): Promise<GatewayResponse | null | undefined> {
    const key = input.payment.idempotencyKey ?? '';
    this.log('requests.log', { key, call: 'status', paymentId: input.payment.paymentId, replayed: false, pid: process.pid });
    if (!this.canTell) return null;
    const recorded = key ? this.read(key) : null;
    if (recorded) return decode(recorded, true);
    return {
      isSuccess: false,
      actionRequired: false,
      kind: input.transaction.kind,
      amount: input.transaction.amount,
      currency: input.transaction.currency,
      transactionId: '',
      error: 'The processor never received this request',
      errorCode: 'processing_error',
    };
  }
}
