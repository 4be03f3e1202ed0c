import { newId } from './flat-text.js';
import { Decimal } from 'decimal.js';
import { defaultManagerLogger } from '../manager/default-logger.js';
import { implementsHook } from '../manager/hook-pipeline.js';
import { managerClosed, operationNotSupported } from '../manager/manager-errors.js';
import { DEFAULT_HOOK_TIMEOUT_MS } from '../manager/plugin-manager.js';
import { checkDecimalPrecision, parseAmount, refuseNumberAmount } from '../money/amount.js';
import { normalizeCurrency } from '../money/currency.js';
import type { LedgerContext } from './context.js';
import { IdempotencyCoordinator, checkIdempotencyKey, dataForHash, newPaymentFieldsForHash, normalizeAmountForHash, normalizeCurrencyForHash, requestHash, type Attempt, type Settled } from './idempotency.js';
import { invalidInput, noPaymentSource, paymentNotFound } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { OperationRunner } from './operation-runner.js';
import type { PaymentOperation } from './operations.js';
import { encodePayment, replayOutcome, type OperationResult } from './outcome-codec.js';
import { reconcilePending, type ReconcileOptions, type ReconcileReport } from './reconcile.js';
import { listReview, resolveReview, type ReviewItem, type ReviewListOptions, type ReviewResolution } from './review.js';
import { listReviewPage, type ReviewPage, type ReviewPageOptions } from './review-page.js';
import { jsonCopy } from './json-copy.js';
import { customerDetailsForHash, parseCustomerDetails, type CustomerDetails } from './payment-address.js';
import { checkNoCardNumber } from './card-number.js';
import { applyGatewayEvent, type GatewayEventInput, type GatewayEventResult } from './webhook-inbox.js';
import { checkStorableInput } from './storable-text.js';
import { NOT_CARD_DATA, checkData, checkInputObject, checkStorableFields, operationResult, optionalString, type AmountOperationInput, type ChargeInput, type CreatePaymentInput, type OperationInput, type PayInput, type PaymentServiceOptions, type VoidInput } from './payment-inputs.js';

export type { AmountOperationInput, ChargeInput, CreatePaymentInput, OperationInput, OperationResult, PayInput, PaymentServiceOptions, VoidInput } from './payment-inputs.js';

/**
 * The payment service: Saleor's payment lifecycle (create, process,
 * authorize, capture, refund, void, confirm) on top of the plugin manager,
 * with a durable ledger. Every mutating call takes an idempotency key; money
 * operations run in three phases (reserve, call the gateway, apply — see
 * OperationRunner) so no database transaction is open during a gateway call,
 * concurrent operations cannot over-capture or over-refund, and a crash
 * leaves a pending transaction that `reconcile()` resolves.
 *
 * Failures are typed PayhostErrors: payment_not_found, operation_not_allowed,
 * amount_exceeds, invalid_amount, payment_busy, idempotency_key_reused,
 * no_payment_source, gateway_declined (GatewayDeclinedError: unified errorCode
 * and the recorded failed transaction's id), the manager's routing errors, and
 * shutting_down once the manager's close() was called (createPayment, pay, the
 * operations and reconcile refuse before writing anything; reading, events and
 * review resolutions, which run no plugin, still work).
 */
export class PaymentService {
  private readonly ctx: LedgerContext;
  private readonly idempotency: IdempotencyCoordinator;
  private readonly runner: OperationRunner;
  /** reconcile()'s minAgeMs when not given: twice the longest a gateway call runs (see reconcile). */
  private readonly defaultMinAgeMs: number;

  constructor(options: PaymentServiceOptions) {
    const clock = options.clock ?? (() => new Date());
    this.ctx = {
      store: options.store,
      gateways: options.manager,
      logger: options.logger ?? options.manager.logger ?? defaultManagerLogger(),
      now: () => new Date(clock().getTime()),
      faults: options.faults ?? {},
    };
    this.idempotency = new IdempotencyCoordinator(options.store, options.idempotency);
    this.runner = new OperationRunner(this.ctx);
    this.defaultMinAgeMs = 2 * (options.manager.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS);
  }

  /** Records a new payment (not charged yet). Validates channel, gateway, currency and amount first. */
  async createPayment(input: CreatePaymentInput): Promise<Payment> {
    checkInputObject('createPayment', input);
    const key = checkIdempotencyKey(input.idempotencyKey);
    const { idempotencyKey: _key, total, ...rest } = input;
    checkStorableFields(rest);
    const details = parseCustomerDetails(rest);
    customerDetailsForHash(rest, details);
    refuseNumberAmount(total, typeof rest.currency === 'string' ? rest.currency : null);
    // Object.assign, not `{ ...rest, total }`: see `pay`.
    const hash = requestHash('create', Object.assign(newPaymentFieldsForHash(rest), { total: normalizeAmountForHash(total), currency: normalizeCurrencyForHash(rest.currency) }));
    this.refuseWhenClosed('createPayment');
    const settled = await this.runForNewPayment(key, hash, input, details, (payment) =>
      this.ctx.store.transaction(async (tx) => {
        const now = this.ctx.now();
        const claim = await tx.claimIdempotencyKey(key, hash, now);
        if (!claim.claimed) return { taken: claim.record };
        // Seed 000: a charge needs a token or a card on file; refuse before anything is written.
        if (!payment.token) {
          const account = payment.customerId ? await tx.getCustomerAccount(payment.customerId, payment.channel, payment.gateway) : null;
          if (!account) throw noPaymentSource(null, payment.customerId, payment.gateway);
        }
        await tx.insertPayment(payment);
        const recorded = { ok: true as const, payment: encodePayment(payment), transaction: null };
        await tx.completeIdempotencyKey(key, recorded, now);
        return { outcome: recorded, live: { payment, transaction: null } };
      }),
    );
    return replayOutcome(settled.outcome, settled.live).payment;
  }

  /**
   * createPayment followed by process (or authorize), as one idempotent
   * operation: the payment and its pending transaction are written in one
   * store transaction under one idempotency key, then the gateway is called
   * and the answer applied as `process` does. What checkout and
   * `POST /payments` use; a replay of the key returns the same result.
   */
  async pay(input: PayInput): Promise<OperationResult> {
    checkInputObject('pay', input);
    const key = checkIdempotencyKey(input.idempotencyKey);
    const { idempotencyKey: _key, total, action = 'process', data = null, ...rest } = input;
    if (action !== 'process' && action !== 'authorize') throw invalidInput('action must be "process" or "authorize"', { field: 'action' });
    checkData(data);
    checkStorableFields(rest);
    // Read before the hash, which takes them as they are stored (see customerDetailsForHash).
    const details = parseCustomerDetails(rest);
    customerDetailsForHash(rest, details);
    refuseNumberAmount(total, typeof rest.currency === 'string' ? rest.currency : null);
    // Object.assign onto `rest` (ours: destructuring made it), not `{ ...rest, total, ... }`: on
    // Node 20's V8 a spread followed by new properties builds a new hidden class for every object
    // (about 2 us each, and garbage for the GC).
    const hash = requestHash('pay', Object.assign(newPaymentFieldsForHash(rest), { total: normalizeAmountForHash(total), currency: normalizeCurrencyForHash(rest.currency), action, data: dataForHash(data) }));
    this.refuseWhenClosed('pay');
    const settled = await this.runForNewPayment(
      key,
      hash,
      input,
      details,
      (payment) => this.runner.attempt({ operation: action, paymentId: payment.id, idempotencyKey: key, requestHash: hash, data, create: payment }),
      action === 'authorize' ? 'authorizePayment' : 'processPayment',
    );
    return operationResult(key, settled);
  }

  /** Checkout: authorize and, when the gateway auto-captures, capture the total (may require action: see `confirm`). */
  process(input: ChargeInput): Promise<OperationResult> {
    return this.operate('process', input, { data: input?.data ?? null });
  }

  /** Authorizes the total without capturing it. */
  authorize(input: ChargeInput): Promise<OperationResult> {
    return this.operate('authorize', input, { data: input?.data ?? null });
  }

  /** Captures `amount` (default: all that is authorized and not captured or reserved). */
  capture(input: AmountOperationInput): Promise<OperationResult> {
    return this.operate('capture', input, { amount: input?.amount ?? undefined });
  }

  /** Refunds `amount` (default: all that is captured and not refunded or reserved). */
  refund(input: AmountOperationInput): Promise<OperationResult> {
    return this.operate('refund', input, { amount: input?.amount ?? undefined });
  }

  /**
   * Voids an uncaptured authorization (refused once anything was captured). `onlyWhileAwaitingAction`:
   * only while the payment still waits for customer action (3-D Secure), checked under the payment's
   * lock, so a confirm landing first leaves its authorization alone (operation_not_allowed).
   */
  void(input: VoidInput): Promise<OperationResult> {
    const condition: unknown = input?.onlyWhileAwaitingAction;
    // A safety condition: anything but a boolean (a JavaScript caller's "true") is refused, not read as "no condition".
    if (condition !== undefined && typeof condition !== 'boolean') return Promise.reject(invalidInput('onlyWhileAwaitingAction must be a boolean when given', { field: 'onlyWhileAwaitingAction' }));
    return this.operate('void', input, { onlyWhileAwaitingAction: condition === true });
  }

  /** Confirms a payment waiting for the customer (e.g. 3-D Secure); may require action again. */
  confirm(input: ChargeInput): Promise<OperationResult> {
    return this.operate('confirm', input, { data: input?.data ?? null });
  }

  async getPayment(paymentId: string): Promise<Payment> {
    const payment = typeof paymentId === 'string' && paymentId !== '' ? await this.ctx.store.getPayment(paymentId) : null;
    if (!payment) throw paymentNotFound(String(paymentId));
    return payment;
  }

  /** The payment's transactions, oldest first (pending and review ones included). */
  async listTransactions(paymentId: string): Promise<Transaction[]> {
    await this.getPayment(paymentId);
    return this.ctx.store.listTransactions(paymentId);
  }

  /**
   * Resolves pending transactions left by a crash, and held for review ones once the gateway can tell
   * (run at start-up and periodically). `minAgeMs` defaults to twice the manager's hookTimeoutMs: a
   * younger call may still be running (the plugin's own request, or another instance's call and its
   * status check, each up to hookTimeoutMs), and the gateway's "no record of it" would be taken as final
   * while the processor still acts on it. Pass a smaller value only for calls known to be over.
   */
  reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    // Every getTransactionStatus would be refused, and each pending row then held for review.
    if (this.ctx.gateways.closed === true) return Promise.reject(managerClosed('reconcile'));
    try {
      checkDecimalPrecision();
    } catch (err) {
      return Promise.reject(err);
    }
    const minAgeMs = options.minAgeMs ?? this.defaultMinAgeMs;
    return reconcilePending(this.ctx, this.runner.calling, { ...options, minAgeMs });
  }

  /**
   * Transactions held for review (the gateway could not tell what it did), refunds still ongoing, and charges
   * answered pending that nothing settled for `pendingChargeMinAgeMs` (one hour), oldest first, with their payments (see review.ts).
   */
  listReview(options: ReviewListOptions = {}): Promise<ReviewItem[]> {
    return listReview(this.ctx, options);
  }

  /**
   * The same list a page at a time: at most `limit` items (default 100, at most 1000) after the cursor `after`
   * (a page's `nextCursor`), with the next page's cursor, null at the end. Only the page's payments are read (see review-page.ts).
   */
  listReviewPage(options: ReviewPageOptions = {}): Promise<ReviewPage> {
    return listReviewPage(this.ctx, options);
  }

  /** Records what a person found at the processor for a transaction held for review (see review.ts). */
  async resolveReview(input: ReviewResolution): Promise<ReviewItem> {
    checkDecimalPrecision();
    return resolveReview(this.ctx, input);
  }

  /** The webhook inbox: applies a verified processor event once, in any order with API responses. */
  async applyGatewayEvent(event: GatewayEventInput): Promise<GatewayEventResult> {
    checkDecimalPrecision();
    return applyGatewayEvent(this.ctx, event);
  }

  /**
   * shutting_down once the manager's close() was called, before anything is reserved or written: the
   * gateway call would be refused, and the attempt recorded failed (a new payment left behind by pay).
   * A request already past this check when close() begins is the race OperationRunner records.
   */
  private refuseWhenClosed(method: string): void {
    if (this.ctx.gateways.closed === true) throw managerClosed(method);
    checkDecimalPrecision();
  }

  private async operate(
    operation: PaymentOperation,
    input: OperationInput,
    params: { amount?: unknown; data?: Record<string, unknown> | null; onlyWhileAwaitingAction?: boolean },
  ): Promise<OperationResult> {
    checkInputObject(operation, input);
    const key = checkIdempotencyKey(input.idempotencyKey);
    const paymentId = optionalString('paymentId', input.paymentId);
    if (!paymentId) throw invalidInput('paymentId is required');
    checkStorableInput('paymentId', paymentId);
    checkData(params.data);
    // Before the hash: a number must not replay the outcome recorded for the same amount as a string.
    refuseNumberAmount(params.amount, null);
    // The condition only when set: every other request hashes exactly as before it existed.
    const hashed = { paymentId, amount: normalizeAmountForHash(params.amount), data: dataForHash(params.data) };
    const hash = requestHash(operation, params.onlyWhileAwaitingAction === true ? Object.assign(hashed, { onlyWhileAwaitingAction: true }) : hashed);
    this.refuseWhenClosed(operation);
    // The attempt's reserve finds a taken key (its first read, or its claim) before any check: no separate read first.
    const settled = await this.idempotency.run(
      key,
      hash,
      () => this.runner.attempt({ operation, paymentId, idempotencyKey: key, requestHash: hash, amount: params.amount, data: params.data ?? null, onlyWhileAwaitingAction: params.onlyWhileAwaitingAction === true }),
      { claimsFirst: true },
    );
    return operationResult(key, settled);
  }

  /**
   * Runs `attempt` under `key` for the new payment `input` describes. The
   * attempt's first transaction claims the key before it writes anything, and
   * that claim finds a request made before, so the record is not read first.
   * But when this request no longer validates (the configuration changed
   * since: a gateway made inactive, a currency removed) and its key was
   * recorded, the recorded request answers it: a repeat still gets its outcome.
   */
  private runForNewPayment(
    key: string,
    hash: string,
    input: CreatePaymentInput,
    details: CustomerDetails,
    attempt: (payment: Payment) => Promise<Attempt>,
    hook?: 'processPayment' | 'authorizePayment',
  ): Promise<Settled> {
    const create = async (): Promise<Attempt> => {
      let payment: Payment;
      try {
        payment = this.newPayment(input, details, hook);
      } catch (err) {
        const recorded = await this.ctx.store.getIdempotencyRecord(key);
        if (recorded) return { taken: recorded };
        throw err;
      }
      return attempt(payment);
    };
    return this.idempotency.run(key, hash, create, { claimsFirst: true });
  }

  private newPayment(input: CreatePaymentInput, details: CustomerDetails, hook?: 'processPayment' | 'authorizePayment'): Payment {
    if (typeof input !== 'object' || input === null) throw invalidInput('createPayment needs an input object');
    const channel = optionalString('channel', input.channel);
    if (!channel || typeof input.currency !== 'string') throw invalidInput('channel and currency are required');
    const currency = normalizeCurrency(input.currency);
    const gateway = this.ctx.gateways.resolveGateway(channel, currency, optionalString('gateway', input.gateway));
    // Refused before anything is written: not a payment and a failed transaction per retry.
    if (hook && gateway.instance && !implementsHook(gateway.instance, hook)) throw operationNotSupported(channel, gateway.id, hook);
    const total = parseAmount(input.total, currency);
    const token = optionalString('token', input.token);
    // A card number anywhere in the token, metadata, customer fields or addresses (parseAddress) is refused, never stored (PCI DSS scope): see card-number.ts.
    checkNoCardNumber('token', token, "send the token the gateway's tokenizer returned, never the card number (card data must not reach the host)");
    if (input.metadata !== undefined && (typeof input.metadata !== 'object' || input.metadata === null || Array.isArray(input.metadata))) {
      throw invalidInput('metadata must be an object');
    }
    checkNoCardNumber('metadata', input.metadata, NOT_CARD_DATA);
    // Stored and shown by every read as the token and metadata are: a card number there is card data too.
    const customerId = optionalString('customerId', input.customerId);
    checkNoCardNumber('customerId', customerId, "send your own customer record's id, never a card number");
    const customerEmail = optionalString('customerEmail', input.customerEmail);
    checkNoCardNumber('customerEmail', customerEmail, "send the customer's email address, never a card number");
    const now = this.ctx.now();
    return {
      id: newId(),
      channel,
      gateway: gateway.id,
      chargeStatus: 'not-charged',
      total,
      authorizedAmount: new Decimal(0),
      capturedAmount: new Decimal(0),
      currency,
      customerId,
      customerEmail,
      token,
      pspReference: null,
      toConfirm: false,
      isActive: true,
      storePaymentMethod: input.storePaymentMethod === true,
      metadata: input.metadata ? jsonCopy(input.metadata) : {},
      billing: details.billing,
      shipping: details.shipping,
      customerIpAddress: details.customerIpAddress,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
  }
}
