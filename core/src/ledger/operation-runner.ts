import type { Decimal } from 'decimal.js';
import type { GatewayConfig, GatewayResponse } from '../contracts/gateway.js';
import type { PaymentData } from '../contracts/payment-data.js';
import { isTransactionErrorCode } from '../contracts/error-codes.js';
import { ERROR_CODES, PayhostError, isPayhostError } from '../errors/index.js';
import { applyResponse, markReview, outcomeOf, recordAnotherRefund } from './apply.js';
import { asOutcomeUnknown, heldWithAnswer, incoherentAnswer, isOutcomeUnknown, withStatusCheck } from './outcome-unknown.js';
import { askGateway } from './reconcile.js';
import { applyOptionsOf, fault, gatewayConfigOf, operationGateway, refuseUnsupportedOperation, type LedgerContext } from './context.js';
import type { Attempt, Settled } from './idempotency.js';
import { noPaymentSource, notAllowed, OPERATION_REFUSAL_REASONS, paymentNotFound } from './ledger-errors.js';
import type { CustomerGatewayAccount, IdempotencyRecord, Payment, Transaction } from './model.js';
import { OPERATION_HOOK, gatewayIdempotencyKey, pendingKind, type PaymentOperation } from './operations.js';
import { isStoredOutcome } from './outcome-codec.js';
import { buildPaymentData } from './payment-data.js';
import { pendingTransaction } from './records.js';
import { checkOperation } from './rules.js';
import type { LedgerTx } from './store.js';
import { claimAndCreate, claimAndInsertTransaction, lockPaymentAndTransaction, lockPaymentForOperation } from './store-steps.js';
import { storableText } from './storable-text.js';
import { newId } from './flat-text.js';

export interface OperationRequest {
  operation: PaymentOperation;
  paymentId: string;
  idempotencyKey: string;
  requestHash: string;
  amount?: unknown;
  data?: Record<string, unknown> | null;
  /** Void only a payment still waiting for customer action (toConfirm), checked under its lock (a public "cancel"). */
  onlyWhileAwaitingAction?: boolean;
  /**
   * A new payment to record in the reserve transaction itself (create and
   * charge as one operation: one transaction, one idempotency record).
   * `paymentId` must be its id.
   */
  create?: Payment;
}

const CANNOT_TELL = 'The gateway did not say whether it acted; held for review';
const IN_FLIGHT = 'The gateway call timed out and may still be running; the gateway showed no outcome of it yet; held for review';
const MAY_LAND = 'The gateway\'s answer left open whether it acted (a lost answer) and the call may still land at the processor; the gateway showed no outcome of it yet; held for review';

/** A call the manager stopped waiting for (plugin_timeout), as opposed to a lost answer the plugin marked. */
function timedOut(response: GatewayResponse): boolean {
  const failure = response.rawResponse?.['pluginFailure'];
  return typeof failure === 'object' && failure !== null && (failure as { code?: unknown }).code === ERROR_CODES.pluginTimeout;
}

/**
 * Whether a status answer shows the processor has the operation: a success, or a failure with the
 * processor's verdict on it (a unified errorCode other than processing_error: declined, expired, ...).
 * "No record of this call" is a processing_error in every plugin: asked while the call may still
 * be running, it says only that the call has not landed yet.
 */
function showsTheCall(status: GatewayResponse): boolean {
  return status.isSuccess || (isTransactionErrorCode(status.errorCode) && status.errorCode !== 'processing_error');
}

/** A reserve whose key was taken by a record gone when read (released by its holder): reserve again. */
const RELEASED = Symbol('released');

interface Reserved {
  payment: Payment;
  pending: Transaction;
  paymentData: PaymentData;
  gateway: GatewayConfig;
}

/**
 * Runs one money operation in three steps, never holding a database
 * transaction across the gateway call:
 * 1. reserve — a short transaction locks the payment, finds whether the
 *    idempotency key is taken (a repeat answers from its record), checks the
 *    rules (pending captures/refunds count), then claims the key and writes a
 *    pending transaction that reserves the amount;
 * 2. call the gateway with a key derived from payment and transaction;
 * 3. apply — a short transaction applies the answer (or finds it already
 *    applied by a gateway event) and records the outcome under the key.
 * A crash between 2 and 3 leaves the pending row for reconcile().
 */
export class OperationRunner {
  /** Transactions whose gateway call is running in this process (reconcile() leaves them alone). */
  readonly calling = new Set<string>();

  constructor(private readonly ctx: LedgerContext) {}

  async attempt(request: OperationRequest): Promise<Attempt> {
    const reserved = (request.create && (await this.reserveNew(request, request.create))) || (await this.reserveInTransaction(request));
    if ('taken' in reserved) return reserved;
    this.calling.add(reserved.pending.id);
    try {
      return await this.callAndApply(request, reserved);
    } finally {
      this.calling.delete(reserved.pending.id);
    }
  }

  /** Reserve in a store transaction; again (a few times) when the key was released under a claim that found it taken. */
  private async reserveInTransaction(request: OperationRequest): Promise<Reserved | { taken: IdempotencyRecord }> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const reserved = await this.ctx.store.transaction((tx) => (request.create ? this.reserveCreate(tx, request, request.create) : this.reserve(tx, request)));
      if (reserved !== RELEASED) return reserved;
    }
    throw new Error(`idempotency key ${request.idempotencyKey}: could neither claim nor read it`);
  }

  /**
   * Reserve on an existing payment: lock it and read its transactions and the key's record (one
   * round trip on the SQL stores); a taken key answers with its record, before any check; the
   * checks; then claim the key and record the pending transaction as the store transaction's last
   * write (sent with its COMMIT on the SQL stores).
   */
  private async reserve(tx: LedgerTx, request: OperationRequest): Promise<Reserved | { taken: IdempotencyRecord } | typeof RELEASED> {
    const { operation } = request;
    const now = this.ctx.now();
    const claim = { key: request.idempotencyKey, requestHash: request.requestHash, now };
    const lock = await lockPaymentForOperation(tx, request.paymentId, claim);
    if (lock.record) return { taken: lock.record };
    const { payment, transactions } = lock;
    if (!payment) throw paymentNotFound(request.paymentId);
    // Everything below throws before any effect: the store rolls back (the claim included, when the lock made it).
    const entry = operationGateway(this.ctx, payment, operation);
    const gateway = entry.config;
    const amount = checkOperation({ operation, payment, transactions, gateway, amount: request.amount });
    refuseUnsupportedOperation(entry, payment.channel, operation);
    if (request.onlyWhileAwaitingAction === true && !payment.toConfirm) throw notAllowed(operation, payment, OPERATION_REFUSAL_REASONS.notAwaitingConfirmation, 'the payment is not waiting for customer action (3-D Secure)');
    const account = await this.paymentSource(tx, operation, payment, false);
    const reserved = this.pendingOf(request, payment, gateway, amount, transactions, account, now);
    const claimed = await claimAndInsertTransaction(tx, lock, claim, reserved.pending);
    if (claimed.claimed) return reserved;
    return claimed.record ? { taken: claimed.record } : RELEASED;
  }

  /** Reserve for a new payment charged with the card on file: claim, look up the card, write the payment and its pending transaction. */
  private async reserveCreate(tx: LedgerTx, request: OperationRequest, payment: Payment): Promise<Reserved | { taken: IdempotencyRecord }> {
    const { operation } = request;
    const now = this.ctx.now();
    const claim = await tx.claimIdempotencyKey(request.idempotencyKey, request.requestHash, now);
    if (!claim.claimed) return { taken: claim.record };
    // Everything below throws before any effect: the store rolls back, the claim included.
    const entry = operationGateway(this.ctx, payment, operation);
    const gateway = entry.config;
    await tx.insertPayment(payment);
    const amount = checkOperation({ operation, payment, transactions: [], gateway, amount: request.amount });
    refuseUnsupportedOperation(entry, payment.channel, operation);
    const account = await this.paymentSource(tx, operation, payment, true);
    const reserved = this.pendingOf(request, payment, gateway, amount, [], account, now);
    await tx.insertTransaction(reserved.pending);
    return reserved;
  }

  /**
   * Reserve for a new payment with a token (what POST /payments does) in one store step: its checks need
   * nothing from the database, so they run first, then claimAndCreate claims the key and writes the
   * payment and its pending transaction at once (one statement on the SQL stores, instead of a
   * transaction of five round trips). Undefined when a check throws or the charge needs the card on file:
   * `reserveCreate` then runs as it always has, claim first, so a key recorded before still answers a request
   * that no longer passes the checks, and a new key gets the same typed error with nothing written.
   */
  private async reserveNew(request: OperationRequest, payment: Payment): Promise<Reserved | { taken: IdempotencyRecord } | undefined> {
    const { operation } = request;
    if (!payment.token || (operation !== 'process' && operation !== 'authorize')) return undefined;
    const now = this.ctx.now();
    let reserved: Reserved;
    try {
      const gateway = gatewayConfigOf(this.ctx, payment, false);
      const amount = checkOperation({ operation, payment, transactions: [], gateway, amount: request.amount });
      reserved = this.pendingOf(request, payment, gateway, amount, [], null, now);
    } catch {
      return undefined;
    }
    const claim = await claimAndCreate(this.ctx.store, { key: request.idempotencyKey, requestHash: request.requestHash, now }, payment, reserved.pending);
    return claim.claimed ? reserved : { taken: claim.record };
  }

  /** The pending transaction that reserves `amount`, and the gateway's PaymentData for it. */
  private pendingOf(
    request: OperationRequest,
    payment: Payment,
    gateway: GatewayConfig,
    amount: Decimal,
    transactions: Transaction[],
    account: CustomerGatewayAccount | null,
    now: Date,
  ): Reserved {
    const { operation } = request;
    const id = newId();
    const pending = pendingTransaction({
      id,
      payment,
      kind: pendingKind(operation, gateway.autoCapture),
      amount,
      idempotencyKey: request.idempotencyKey,
      gatewayIdempotencyKey: gatewayIdempotencyKey(operation, payment.id, id),
      now,
      data: request.data ?? null,
    });
    const paymentData = buildPaymentData({ operation, payment, transaction: pending, amount, transactions, account, data: request.data ?? null });
    return { payment, pending, paymentData, gateway };
  }

  /** Card on file: a charge without a token needs a stored gateway account (seed 000's error otherwise). */
  private async paymentSource(tx: LedgerTx, operation: PaymentOperation, payment: Payment, creating: boolean): Promise<CustomerGatewayAccount | null> {
    if ((operation !== 'process' && operation !== 'authorize') || payment.token) return null;
    const account = payment.customerId ? await tx.getCustomerAccount(payment.customerId, payment.channel, payment.gateway) : null;
    // A payment being created rolls back with the error: it is not named.
    if (!account) throw noPaymentSource(creating ? null : payment.id, payment.customerId, payment.gateway);
    return account;
  }

  private async callAndApply(request: OperationRequest, reserved: Reserved): Promise<Settled> {
    const { payment, pending } = reserved;
    const where = { operation: request.operation, paymentId: payment.id, transactionId: pending.id };
    // Fault hooks exist in crash tests only: no context object, no await, otherwise.
    if (this.ctx.faults['after-pending']) await fault(this.ctx, { point: 'after-pending', ...where });
    const called = await this.call(request.operation, payment, pending, reserved.paymentData);
    const { error } = called;
    if (this.ctx.faults['after-gateway']) await fault(this.ctx, { point: 'after-gateway', ...where, response: called.response });
    const response = error ? called.response : await this.settleUnknown(called.response, payment, pending);
    const closing = error?.code === ERROR_CODES.shuttingDown;
    // A first success with a PSP reference claims it while applying: the store may prepare that claim with the lock.
    const claimed = response.isSuccess === true && typeof response.pspReference === 'string' && response.pspReference !== '' ? storableText(response.pspReference) : null;
    const options = claimed === null || payment.pspReference !== null ? {} : { pspClaim: { gateway: payment.gateway, pspReference: claimed } };
    const outcome = await this.ctx.store.transaction(async (tx) => {
      const { payment: locked, transaction: current } = await lockPaymentAndTransaction(tx, payment.id, pending.id, options);
      if (!locked || !current) throw new Error(`Pending transaction ${pending.id} of payment ${payment.id} disappeared`);
      const now = this.ctx.now();
      // The configuration the manager routed the call with: whether the processor kept the rest of a partial capture.
      const { storeCustomer, captureReleasesRest } = applyOptionsOf(reserved.gateway);
      if (current.state === 'applied') {
        // Already applied by a gateway event that arrived first: do not count it twice. An answer naming
        // another refund than the event recorded is that refund: recorded, not dropped (apply.ts).
        const another = error ? null : await recordAnotherRefund(tx, locked, current, response, { now, storeCustomer, captureReleasesRest });
        return { alreadyApplied: outcomeOf(locked, current), another: another?.note ?? null };
      }
      if (!closing) return applyResponse(tx, locked, current, response, { now, storeCustomer, captureReleasesRest, error, complete: request.idempotencyKey });
      // A manager refusing because it is closing: the attempt is recorded failed (nothing reached a gateway),
      // and the key is released with it, not completed with the refusal: its retry runs again (on an instance that is up).
      const applied = await applyResponse(tx, locked, current, response, { now, storeCustomer, captureReleasesRest, error, complete: null });
      await tx.releaseIdempotencyKey(request.idempotencyKey);
      return applied;
    });
    if (closing && error && !('alreadyApplied' in outcome)) throw error;
    if ('alreadyApplied' in outcome && outcome.another) this.ctx.logger.warn(outcome.another.fields, outcome.another.msg);
    if (this.ctx.faults['after-apply']) await fault(this.ctx, { point: 'after-apply', ...where, response });
    if (this.ctx.logger.isLevelEnabled('info')) {
      // Written out, not `{ ...where, isSuccess, ... }`: on Node 20's V8 a spread followed by new
      // properties builds a new hidden class for every log line.
      const { operation, paymentId, transactionId } = where;
      // What the ledger recorded, which is not always what the gateway said (a PSP reference another payment holds).
      const recorded = 'alreadyApplied' in outcome ? response : outcome.transaction;
      const fields = { operation, paymentId, transactionId, isSuccess: recorded.isSuccess, errorCode: recorded.errorCode ?? null, alreadyApplied: 'alreadyApplied' in outcome };
      this.ctx.logger.info(fields, 'payment operation applied');
    }
    if (!('alreadyApplied' in outcome)) return { outcome: outcome.outcome, live: { payment: outcome.payment, transaction: outcome.transaction } };
    // The event recorded the outcome under our key in the same transaction; prefer that record.
    const record = await this.ctx.store.getIdempotencyRecord(request.idempotencyKey);
    return { outcome: record?.state === 'done' && isStoredOutcome(record.response) ? record.response : outcome.alreadyApplied };
  }

  /**
   * An answer that leaves unknown whether the processor acted is not final:
   * ask the gateway once (as reconcile() would); if it still cannot tell, or
   * its answer does not show the call (see showsTheCall: "no record" while the
   * call may still land), the transaction goes to review with its amount
   * still reserved, its idempotency key stays in flight (a retry is
   * payment_busy, never a second charge), and the caller gets
   * `outcome_unknown`. A processor event, reconciliation once the call cannot
   * still land (minAgeMs), or a person resolves it.
   */
  private async settleUnknown(response: GatewayResponse, payment: Payment, pending: Transaction): Promise<GatewayResponse> {
    if (!isOutcomeUnknown(response)) return response;
    const status = await askGateway(this.ctx, payment, pending);
    // Every unknown outcome is a call that may still land: the manager's timeout leaves the plugin's call
    // running, and a plugin's own timed-out or dropped request is not over at the processor, which may act
    // on it after the plugin gave up. Its "no record of this call" is final only once the call is old
    // enough (reconciliation's minAgeMs); a success or the processor's own verdict settles it at once.
    if (status && !isOutcomeUnknown(status) && showsTheCall(status)) return status;
    const noRecordYet = status !== null && !isOutcomeUnknown(status);
    const managerTimeout = timedOut(response);
    const reason = noRecordYet ? (managerTimeout ? IN_FLIGHT : MAY_LAND) : CANNOT_TELL;
    const held = await this.ctx.store.transaction(async (tx) => {
      // Under the payment's lock, as every writer of its rows: a processor event applying this
      // transaction meanwhile must not be overwritten by a stale "review" (it would be counted again).
      const { transaction: current } = await lockPaymentAndTransaction(tx, payment.id, pending.id);
      if (current?.state !== 'pending') return false;
      // What the plugin knows (its reference, what to do at the processor) is kept for the person resolving it.
      // The call's own answer (an incoherent one's evidence) first, a status check that could not tell beside it.
      const kept = withStatusCheck(heldWithAnswer(current, reason, response), status);
      await markReview(tx, kept.row, this.ctx.now(), kept.reason);
      return true;
    });
    // Settled meanwhile by the processor's event: the apply step finds it applied and answers its outcome.
    if (!held) return response;
    this.ctx.logger.warn({ paymentId: payment.id, transactionId: pending.id, timedOut: managerTimeout, noRecordYet }, 'gateway outcome unknown; transaction held for review');
    throw new PayhostError(
      ERROR_CODES.outcomeUnknown,
      'The payment gateway did not say whether it acted; the transaction is held for review and will be settled by the processor\'s event or reconciliation',
      { paymentId: payment.id, transactionId: pending.id },
    );
  }

  /** Calls the gateway; a manager error (the call never reached a plugin) becomes a failed response plus that typed error. */
  private async call(
    operation: PaymentOperation,
    payment: Payment,
    pending: Transaction,
    paymentData: PaymentData,
  ): Promise<{ response: GatewayResponse; error?: PayhostError }> {
    try {
      const response = await this.ctx.gateways.runOperation(OPERATION_HOOK[operation], { channel: payment.channel, gateway: payment.gateway, payment: paymentData });
      const incoherent = incoherentAnswer(operation, payment.currency, response, pending.amount);
      if (!incoherent) return { response };
      this.ctx.logger.error({ plugin: payment.gateway, channel: payment.channel, paymentId: payment.id, transactionId: pending.id, operation, kind: response.kind, currency: response.currency ?? null }, incoherent);
      return { response: asOutcomeUnknown(response, incoherent) };
    } catch (err) {
      const base = isPayhostError(err) ? err : new PayhostError(ERROR_CODES.pluginFailed, err instanceof Error ? err.message : String(err));
      this.ctx.logger.error({ paymentId: payment.id, transactionId: pending.id, operation, code: base.code }, 'gateway call failed before reaching the gateway');
      const error = new PayhostError(base.code, base.message, { ...(base.details ?? {}), paymentId: payment.id, transactionId: pending.id }, { cause: err });
      const response: GatewayResponse = {
        isSuccess: false,
        actionRequired: false,
        kind: pending.kind,
        amount: pending.amount,
        currency: payment.currency,
        transactionId: '',
        error: base.message,
        errorCode: 'processing_error',
        rawResponse: { hostError: { code: base.code } },
      };
      return { response, error };
    }
  }
}
