import type { Logger } from 'pino';
import type { AddressData } from '../contracts/payment-data.js';
import type { AmountInput } from '../money/amount.js';
import type { FaultHooks, PaymentGateways } from './context.js';
import type { IdempotencyOptions, Settled } from './idempotency.js';
import { invalidInput } from './ledger-errors.js';
import type { LedgerStore } from './store.js';
import { replayOutcome, type OperationResult } from './outcome-codec.js';
import { checkNoCardNumber } from './card-number.js';
import { checkStorableInput } from './storable-text.js';

// What PaymentService takes (its options and each method's input) and the checks of that input.

export interface PaymentServiceOptions {
  /**
   * The plugin manager (or anything with runOperation, resolveGateway and getTransactionStatus).
   * Its `hookTimeoutMs` sizes reconcile()'s default minAgeMs (the manager's default, 30 s, when absent).
   */
  manager: PaymentGateways & { readonly logger?: Logger; readonly hookTimeoutMs?: number };
  store: LedgerStore;
  /**
   * Where the ledger logs (an unknown outcome held for review, a plugin's
   * incoherent answer, a reconciliation that failed). Default: the manager's
   * logger, so what the manager logs about a plugin and what the ledger made
   * of it go to one place; else the manager's default (warnings and errors on
   * stderr, `PAYHOST_LOG_LEVEL`).
   */
  logger?: Logger;
  /** Source of "now" for timestamps; default `() => new Date()`. */
  clock?: () => Date;
  /** Fault-injection hooks for crash tests (see FaultPoint). */
  faults?: FaultHooks;
  /** Polling when another process holds an idempotency key. */
  idempotency?: IdempotencyOptions;
}

export interface CreatePaymentInput {
  idempotencyKey: string;
  channel: string;
  /** Gateway (plugin id); default: the channel's default gateway for the currency. */
  gateway?: string | null;
  total: AmountInput;
  currency: string;
  /** A gateway token from client-side tokenization (never a card number); none: use the card on file. */
  token?: string | null;
  customerId?: string | null;
  customerEmail?: string | null;
  /** Ask the gateway to keep the payment method, and remember the gateway's customer id. */
  storePaymentMethod?: boolean;
  metadata?: Record<string, unknown>;
  /**
   * The billing and shipping addresses (AddressData's fields only, each a string of at most 256
   * characters; fields left out are ''), and the customer's IP address (IPv4 or IPv6 text): kept with
   * the payment and sent in the PaymentData of every operation on it (address verification, risk
   * checks). Part of the request: a repeat of the key with other ones is idempotency_key_reused.
   */
  billing?: Partial<AddressData> | null;
  shipping?: Partial<AddressData> | null;
  customerIpAddress?: string | null;
}

/** createPayment's input plus what to do with the new payment right away. */
export interface PayInput extends CreatePaymentInput {
  /** "process" (default: charge, or authorize when the gateway does not auto-capture) or "authorize". */
  action?: 'process' | 'authorize';
  /** Extra gateway data (PaymentData.data). */
  data?: Record<string, unknown> | null;
}

export interface OperationInput {
  paymentId: string;
  idempotencyKey: string;
}

export interface VoidInput extends OperationInput {
  /** Void only while the payment waits for customer action (toConfirm): a shopper's "cancel", never an authorization. */
  onlyWhileAwaitingAction?: boolean;
}

export interface ChargeInput extends OperationInput {
  /** Extra gateway data (PaymentData.data), e.g. a 3-D Secure result for confirm. */
  data?: Record<string, unknown> | null;
}

export interface AmountOperationInput extends OperationInput {
  /** Default: everything still available (authorized for capture, captured for refund). */
  amount?: AmountInput | null;
}

export type { OperationResult };

export function optionalString(name: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(`${name} must be a non-empty string when given`, { field: name });
  return value;
}

/** A method's input must be an object (a JavaScript caller may pass nothing): invalid_input, not a TypeError. */
export function checkInputObject(method: string, input: unknown): void {
  if (typeof input !== 'object' || input === null) throw invalidInput(`${method} needs an input object`);
}

/** What the refusal of a card number in metadata or data says to do instead. */
export const NOT_CARD_DATA = "card data must never be sent to the host nor stored; send the gateway's token, and keep at most the card's last 4 digits";

/** Extra gateway data, when given, must be a plain object (not an array) the ledger can store, without a card number. */
export function checkData(data: unknown): void {
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) throw invalidInput('data must be an object when given');
  checkStorableInput('data', data);
  checkNoCardNumber('data', data, NOT_CARD_DATA);
}

/** Every field of a new payment must be storable (checked before hashing: deep nesting would overflow it). */
export function checkStorableFields(fields: Record<string, unknown>): void {
  for (const name of Object.keys(fields)) checkStorableInput(name, fields[name]);
}

/** An operation's result from its settled outcome (the recorded error thrown); a key recorded by createPayment has no transaction. */
export function operationResult(key: string, settled: Settled): OperationResult {
  const { payment, transaction } = replayOutcome(settled.outcome, settled.live);
  if (!transaction) throw invalidInput(`Idempotency key "${key}" belongs to a request that created a payment`, { idempotencyKey: key });
  return { payment, transaction };
}
