import { Decimal } from 'decimal.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import type { PaymentData } from '../contracts/payment-data.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayOperation } from '../plugin/hooks.js';
import { readAmount } from '../ledger/records.js';
import { describeValue as describe } from './answer-text.js';
import type { PluginFailure } from './plugin-failure.js';

/** The transaction kind each gateway operation records. */
export const OPERATION_KIND: Readonly<Record<GatewayOperation, TransactionKind>> = {
  authorizePayment: 'auth',
  capturePayment: 'capture',
  refundPayment: 'refund',
  voidPayment: 'void',
  processPayment: 'capture',
  confirmPayment: 'confirm',
};

/** A failed `processing_error` for `operation` on `payment`, saying `error`, with the plugin failure in rawResponse. */
function failedResponse(operation: GatewayOperation, payment: PaymentData, error: string, rawResponse: Record<string, unknown>): GatewayResponse {
  return {
    isSuccess: false,
    actionRequired: false,
    kind: OPERATION_KIND[operation],
    amount: new Decimal(payment.amount),
    currency: payment.currency,
    transactionId: '',
    error,
    errorCode: 'processing_error',
    rawResponse,
  };
}

/**
 * Whether a broken call of a money hook may have reached the processor: one
 * that timed out (the plugin's call runs on), or one that rejected after the
 * call returned (operationTap: an SDK error on a dropped connection, a
 * TypeError reading the processor's answer, after the charge was made). Not
 * a throw before any await, nor a non-promise: nothing async ran.
 */
function mayHaveActed(failure: PluginFailure): boolean {
  return failure.code === 'plugin_timeout' || failure.reason === 'rejected';
}

/**
 * The response a broken plugin call turns into: a failed `processing_error`,
 * marked `outcome_unknown` when the gateway may have acted (mayHaveActed): the
 * ledger must not record it as a final failure, which would free the amount
 * and let a retry under a new key charge twice; it asks getTransactionStatus,
 * then holds the transaction for review.
 */
export function processingErrorResponse(operation: GatewayOperation, payment: PaymentData, failure: PluginFailure): GatewayResponse {
  const unknown = mayHaveActed(failure);
  const error =
    failure.code === 'plugin_timeout'
      ? 'The payment gateway did not answer in time'
      : unknown
        ? 'The payment gateway failed while processing the request, after it may have reached the processor'
        : 'The payment gateway failed to process the request';
  return failedResponse(operation, payment, error, {
    pluginFailure: { code: failure.code, reason: failure.reason, plugin: failure.plugin, hook: failure.hook },
    ...(unknown ? { outcome_unknown: true } : {}),
  });
}

/** Log code of an amount a plugin answered as something else than a Decimal (the conformance suite reads it). */
export const AMOUNT_NOT_DECIMAL = 'amount_not_decimal';

/**
 * What is wrong with the amount of a plugin's answer, read as the ledger reads a processor event's
 * (readAmount): a number (a binary float: 0.1 + 0.2), or a string that is no plain decimal ("0x10",
 * "1e1", " 3.00": decimal.js would read another number than it shows) is none. Null when it is a Decimal
 * (the ledger checks its value against the payment) or a plain decimal string, or when there is none.
 */
export function amountProblem(response: GatewayResponse): string | null {
  const amount: unknown = response.amount;
  if (typeof amount === 'number') return `amount ${describe(amount)}, a JavaScript number, not a Decimal or a decimal string`;
  if (typeof amount === 'string' && readAmount(amount) === null) return `amount ${describe(amount)}, not a plain decimal string`;
  return null;
}

/**
 * A plugin's answer with its amount as the Decimal the contract promises: a plugin written in
 * JavaScript may answer a plain decimal string ("10.50", which amountProblem let through). The
 * conversion is logged (a plugin bug its author should see).
 */
export function withDecimalAmount(response: GatewayResponse, warn: (message: string, details: Record<string, unknown>) => void, where: { plugin: string; hook: string }): GatewayResponse {
  const amount: unknown = response.amount;
  if (typeof amount !== 'string') return response;
  const converted = readAmount(amount);
  if (converted === null) return response;
  warn(`Plugin "${where.plugin}" answered ${where.hook} with a string amount; converted to a Decimal (the contract is a Decimal)`, {
    ...where,
    code: AMOUNT_NOT_DECIMAL,
    answered: typeof amount,
    amount: amount.slice(0, 40),
  });
  return { ...response, amount: converted };
}

/** `rawResponse.pluginFailure.reason` (and log reason) of an answer that is not a GatewayResponse. */
export const INVALID_ANSWER = 'invalid_answer';

/** Log code of a success without a transactionId (a plugin bug the host can live with). */
export const MISSING_TRANSACTION_ID = 'transaction_id_missing';

/**
 * What is wrong with a plugin's answer that the ledger could not read as a
 * GatewayResponse: not an object, or an `isSuccess` that is not a boolean (a
 * JavaScript plugin answering `'true'`). Null when it is one. Read as a
 * decline, such an answer would free the amount of a charge the plugin may
 * have made.
 */
export function invalidAnswer(answer: unknown): string | null {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return `${describe(answer)}, not a GatewayResponse object`;
  const isSuccess = (answer as { isSuccess?: unknown }).isSuccess;
  return typeof isSuccess === 'boolean' ? null : `isSuccess ${describe(isSuccess)}, not a boolean`;
}

/**
 * The response an invalid answer to an operation turns into: a failed
 * `processing_error` marked `outcome_unknown`, as a timeout is, since the
 * plugin may have reached the processor before answering it; the ledger asks
 * getTransactionStatus, then holds the transaction for review.
 */
export function invalidAnswerResponse(operation: GatewayOperation, payment: PaymentData, where: { plugin: string; hook: string }, problem: string): GatewayResponse {
  return failedResponse(operation, payment, 'The payment gateway plugin gave an answer that is not a valid response', {
    pluginFailure: { code: 'plugin_failed', reason: INVALID_ANSWER, plugin: where.plugin, hook: where.hook, problem },
    outcome_unknown: true,
  });
}

/**
 * Logs a success without a transactionId. Follow-ups send the last such
 * transaction's id (capture and void the authorization's, refund the
 * capture's, confirm the action's), else the payment's pspReference: with
 * one, they still find the processor's payment, so the success is counted;
 * without, they go with no token. Either way the plugin breaks the contract.
 */
export function warnMissingTransactionId(response: GatewayResponse, warn: (message: string, details: Record<string, unknown>) => void, where: { plugin: string; hook: string }): void {
  if (response.isSuccess !== true || (typeof response.transactionId === 'string' && response.transactionId !== '')) return;
  const reference = typeof response.pspReference === 'string' && response.pspReference !== '';
  const then = reference
    ? "follow-up operations will send the payment's pspReference instead"
    : "nor a pspReference: follow-up operations will send the payment's pspReference from an earlier answer, if any, else no token";
  warn(`Plugin "${where.plugin}" answered ${where.hook} with a success without a transactionId (the contract asks for the processor's id); ${then}`, {
    ...where,
    code: MISSING_TRANSACTION_ID,
    hasPspReference: reference,
  });
}
