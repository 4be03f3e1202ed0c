import type { Decimal } from 'decimal.js';
import type { TransactionErrorCode } from '../contracts/error-codes.js';
import type { AddressData } from '../contracts/payment-data.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';

/** Saleor's ChargeStatus values. */
export const CHARGE_STATUSES = [
  'not-charged',
  'pending',
  'partially-charged',
  'fully-charged',
  'partially-refunded',
  'fully-refunded',
  'refused',
  'cancelled',
] as const;

export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** A payment as the ledger keeps it (Saleor's Payment model). */
export interface Payment {
  id: string;
  channel: string;
  gateway: string;
  chargeStatus: ChargeStatus;
  total: Decimal;
  /** Authorized and not yet captured or voided. */
  authorizedAmount: Decimal;
  capturedAmount: Decimal;
  currency: string;
  customerId: string | null;
  customerEmail: string | null;
  /** The token the payment was created with (a gateway token, never a card number). */
  token: string | null;
  pspReference: string | null;
  /** Waiting for the customer (e.g. 3-D Secure) before `confirm`. */
  toConfirm: boolean;
  isActive: boolean;
  /** Ask the gateway to store the payment method on a gateway customer. */
  storePaymentMethod: boolean;
  metadata: Record<string, unknown>;
  /**
   * The addresses and the customer's IP address the payment was created with, sent in every
   * PaymentData of it (personal data: not in the API's answers nor in log lines). Absent or null: none
   * (payments made before they were kept have none).
   */
  billing?: AddressData | null;
  shipping?: AddressData | null;
  customerIpAddress?: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Incremented on every update (optimistic concurrency and change detection). */
  version: number;
}

/**
 * Where a transaction is in the two-phase protocol: `pending` is written
 * before the gateway call, `applied` after its result, `review` when
 * reconciliation could not tell what the gateway did (or a refund event
 * could not be counted safely).
 */
export const TRANSACTION_STATES = ['pending', 'applied', 'review'] as const;

export type TransactionState = (typeof TRANSACTION_STATES)[number];

/** A transaction as the ledger keeps it (Saleor's Transaction model). */
export interface Transaction {
  id: string;
  paymentId: string;
  kind: TransactionKind;
  state: TransactionState;
  isSuccess: boolean;
  actionRequired: boolean;
  actionRequiredData: Record<string, unknown> | null;
  amount: Decimal;
  currency: string;
  errorCode: TransactionErrorCode | null;
  error: string | null;
  /** The gateway's transaction id (Saleor's `token`). */
  gatewayTransactionId: string | null;
  pspReference: string | null;
  customerId: string | null;
  /** The gateway response with secrets and card data removed. */
  rawResponse: Record<string, unknown> | null;
  /**
   * The caller's extra gateway data for the operation (PaymentData.data), card data removed: reconciliation
   * sends it again when it asks the gateway what became of the call (a Stripe connected account, a pinned
   * Flutterwave tx_ref). Absent or null: none.
   */
  requestData?: Record<string, unknown> | null;
  /** The caller's idempotency key for the operation that created this transaction. */
  idempotencyKey: string | null;
  /** The key sent to the gateway: derived from payment id and transaction id, stable across retries. */
  gatewayIdempotencyKey: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The outcome of one idempotent operation, stored under its key. */
export interface IdempotencyRecord {
  key: string;
  /** Hash of the operation name and its parameters. */
  requestHash: string;
  state: 'in_flight' | 'done';
  /**
   * `done`: the JSON-serializable result (or typed error) replayed to repeats. `in_flight`: null, or
   * a marker that its transaction is held for review (LedgerTx.holdIdempotencyKey).
   */
  response: unknown;
  createdAt: Date;
  updatedAt: Date;
}

/** A gateway's customer id stored for (customer, channel, gateway): card on file. */
export interface CustomerGatewayAccount {
  customerId: string;
  channel: string;
  gateway: string;
  gatewayCustomerId: string;
  createdAt: Date;
}
