import type { PluginSettingsStore } from '../config/saved-settings.js';
import type { CustomerGatewayAccount, IdempotencyRecord, Payment, Transaction } from './model.js';

/** What claiming an idempotency key answers: claimed, or the record that holds it already. */
export type ClaimResult = { claimed: true } | { claimed: false; record: IdempotencyRecord };

/** An idempotency key to claim (claimIdempotencyKey's arguments). */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
  now: Date;
}

/** What `LedgerTx.lockPaymentForOperation` reads. */
export interface PaymentForOperation {
  payment: Payment | null;
  /** The payment's transactions, oldest first (none when it is missing). */
  transactions: Transaction[];
  /** The record of the operation's idempotency key, when the key is taken already. */
  record: IdempotencyRecord | null;
}

/**
 * What `LedgerTx.claimAndInsertTransaction` answers: as ClaimResult, or a taken key whose record was
 * gone by the time it was read (its holder released it: the caller may try again).
 */
export type ClaimAndInsertResult = ClaimResult | { claimed: false; record: null };

/**
 * The writes that settle an unresolved transaction (see `LedgerTx.settle`), in
 * the order they are made.
 */
export interface SettleWrites {
  /** `updateTransaction`: the row must exist. */
  transaction: Transaction;
  /** `updatePayment`: the stored version must be `expectedVersion`. */
  payment?: { next: Payment; expectedVersion: number };
  /** `upsertCustomerAccount`. */
  account?: CustomerGatewayAccount;
  /** `completeIdempotencyKey`: the key must be claimed. */
  idempotency?: { key: string; response: unknown; now: Date };
}

/**
 * Operations available inside one store transaction. Everything written in a
 * transaction commits together or not at all.
 */
export interface LedgerTx {
  /**
   * Reads a payment. With `forUpdate` the row stays locked until the
   * transaction ends (SELECT ... FOR UPDATE): concurrent lockers wait, across
   * processes.
   */
  getPayment(id: string, options?: { forUpdate?: boolean }): Promise<Payment | null>;
  insertPayment(payment: Payment): Promise<void>;
  /** Writes the payment if its stored version is `expectedVersion`; returns false otherwise (nothing written). */
  updatePayment(payment: Payment, expectedVersion: number): Promise<boolean>;

  insertTransaction(transaction: Transaction): Promise<void>;
  updateTransaction(transaction: Transaction): Promise<void>;
  getTransaction(id: string): Promise<Transaction | null>;
  /** A payment's transactions, oldest first. */
  listTransactions(paymentId: string): Promise<Transaction[]>;

  /**
   * Claims an idempotency key: inserts an `in_flight` record, or returns the
   * existing record untouched when the key is taken (by any process).
   */
  claimIdempotencyKey(key: string, requestHash: string, now: Date): Promise<ClaimResult>;
  /** Marks a claimed key `done` with its response. */
  completeIdempotencyKey(key: string, response: unknown, now: Date): Promise<void>;
  /** Frees a claimed key (the operation was rejected before any effect). */
  releaseIdempotencyKey(key: string): Promise<void>;
  /**
   * Optional: stores `response` on the record of `key` while it stays `in_flight` (what
   * `LedgerStore.getIdempotencyRecord` and a claim that finds the key taken answer from then on),
   * and sets its `updatedAt`; nothing when the key is `done` or missing. The ledger writes a marker
   * there when it holds the key's transaction for review (see review-hold.ts), so that a retry of
   * the key, in any process, answers payment_busy at once; completing the key replaces it. Without
   * this method such a retry first waits for the key as for a request still running (up to
   * `idempotency.waitTimeoutMs` from its claim), then answers payment_busy.
   */
  holdIdempotencyKey?(key: string, response: unknown, now: Date): Promise<void>;

  /** Records (gateway, event id); true when it was new, false when already seen. */
  recordWebhookEvent(gateway: string, eventId: string, now: Date): Promise<boolean>;

  /**
   * Reserves a PSP reference of `gateway` for `paymentId` until the transaction
   * ends, and returns the id of another payment that already holds it, or null
   * when none does. A concurrent claimer of the same reference (in any
   * process) waits for this transaction to end, then sees its payment: one
   * processor payment cannot be counted for two host payments.
   */
  claimPspReference(gateway: string, pspReference: string, paymentId: string): Promise<string | null>;

  getCustomerAccount(customerId: string, channel: string, gateway: string): Promise<CustomerGatewayAccount | null>;
  upsertCustomerAccount(account: CustomerGatewayAccount): Promise<void>;

  /*
   * Optional methods that do what a sequence of the methods above does in
   * fewer round trips to a database. The ledger calls them through core's
   * store-steps.ts, which runs that sequence when a store has none.
   */

  /**
   * Optional: `getPayment(paymentId, { forUpdate: true })` then
   * `getTransaction(transactionId)`, in one statement where the store can.
   * The transaction is read once the payment's lock is held, so it is its
   * latest committed state, as a read made after the lock would give. With
   * `pspClaim`, also takes beforehand what `claimPspReference(pspClaim.gateway,
   * pspClaim.pspReference, paymentId)` would wait for, when the locked payment
   * has no PSP reference yet (the claim itself must still be made).
   */
  lockPaymentAndTransaction?(
    paymentId: string,
    transactionId: string,
    options?: { pspClaim?: { gateway: string; pspReference: string } },
  ): Promise<{ payment: Payment | null; transaction: Transaction | null }>;

  /**
   * Optional: `updateTransaction`, then `updatePayment`,
   * `upsertCustomerAccount` and `completeIdempotencyKey` (each when given),
   * as one write. When the transaction row or the key does not exist, or
   * the payment is not at `expectedVersion`, it fails and so does the whole
   * store transaction: nothing of it is written. A store may defer the write
   * to the transaction's next statement or to its COMMIT (sent together):
   * its failure then rejects that call or `transaction()`. Call it last.
   */
  settle?(writes: SettleWrites): Promise<void>;

  /**
   * Optional: `getPayment(paymentId, { forUpdate: true })`, then, once that lock is held,
   * `listTransactions(paymentId)` and the record of idempotency key `key` (as
   * `LedgerStore.getIdempotencyRecord`), in one round trip where the store can. Both reads see what
   * a holder of the payment's lock committed before it (a payment's transactions are written under
   * that lock, and an operation on it claims its key there). It only reads: the key is claimed by
   * `claimAndInsertTransaction`. (Not one SQL statement: a statement's snapshot is taken before it
   * waits for the lock, so it would miss rows the holder inserted.)
   */
  lockPaymentForOperation?(paymentId: string, key: string): Promise<PaymentForOperation>;

  /**
   * Optional: `claimIdempotencyKey` and, only when it claimed the key, `insertTransaction`, as one
   * write that ends the store transaction: a store may send its COMMIT with it, so it must be the
   * last call on `tx`, and the function given to `transaction()` must return right after it. When
   * the write fails, nothing of the store transaction is written and the call rejects. When the key
   * is taken (a claimer since `lockPaymentForOperation` read it), nothing is inserted and it
   * answers the key's record, read once this transaction ended (null if it was gone by then).
   */
  claimAndInsertTransaction?(claim: IdempotencyClaim, transaction: Transaction): Promise<ClaimAndInsertResult>;
}

/**
 * Durable storage of payments, transactions, idempotency keys, webhook events
 * and customer accounts. Implementations: in-memory (core), PGlite and
 * PostgreSQL (`@payhost/store-postgres`). Amounts are stored exactly
 * (numeric), never as floating point.
 */
export interface LedgerStore {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /** Runs `fn` in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T>;
  /**
   * Optional: in one atomic step, claims `claim.key` (as claimIdempotencyKey)
   * and, only when it was free, inserts `payment` and `transaction` (a new
   * payment and its pending transaction): one statement where the store can.
   * Core's store-steps.ts runs it as a transaction of those three calls when
   * a store has none.
   */
  claimAndCreate?(claim: IdempotencyClaim, payment: Payment, transaction: Transaction): Promise<ClaimResult>;
  /** Reads outside any explicit transaction. */
  getPayment(id: string): Promise<Payment | null>;
  listTransactions(paymentId: string): Promise<Transaction[]>;
  getIdempotencyRecord(key: string): Promise<IdempotencyRecord | null>;
  /**
   * Optional: the payment of `gateway` whose PSP reference is `pspReference`
   * (or null), so gateway events that carry only the processor's reference
   * can find their payment. Without it, events must name the payment id.
   */
  findPaymentIdByPspReference?(gateway: string, pspReference: string): Promise<string | null>;
  /**
   * Transactions still `pending` (crash between gateway call and ledger
   * update), oldest first; with `includeReview`, also those held for `review`
   * (the gateway could not tell what it did), in the same order.
   */
  listPendingTransactions(options?: { includeReview?: boolean }): Promise<Transaction[]>;
  /**
   * Optional: refunds the processor accepted but has not finished, oldest first: applied, successful
   * `refund_ongoing` rows that no applied `refund` or `refund_failed` row of the same payment and
   * gateway transaction id settles (one without a gateway transaction id is never settled). Their
   * amount stays reserved until settled (rules.ts); listReview lists them and reconciliation asks the
   * gateway about them. Without it, only the processor's event settles them.
   */
  listUnsettledRefunds?(): Promise<Transaction[]>;
  /**
   * Optional: charges the processor answered `pending` whose payment is still unsettled, oldest first:
   * applied, successful `pending` rows of a payment whose charge status is still `pending`, whether or
   * not a row of the same gateway transaction settled them. Reconciliation asks the gateway about those
   * nothing settled (pending-charges.ts), and sets a payment whose pending charge was settled but that
   * stayed `pending` (the rule before endsPendingCharge) back to `not-charged`. Without it, only the
   * processor's event settles them.
   */
  listUnsettledPendingCharges?(): Promise<Transaction[]>;
  /**
   * Optional: resolves when the store answers (a trivial query), rejects when
   * it cannot be reached; a readiness probe for servers.
   */
  ping?(): Promise<void>;
  /** Optional (with savePluginSettings): plugin settings saved by the admin API (`PluginSettingsStore`). */
  listPluginSettings?: PluginSettingsStore['listPluginSettings'];
  savePluginSettings?: PluginSettingsStore['savePluginSettings'];
  close(): Promise<void>;
}
