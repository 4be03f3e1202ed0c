import { CHARGE_STATUSES, formatAmount, REVIEW_REASONS, TRANSACTION_ERROR_CODES, TRANSACTION_KINDS, TRANSACTION_STATES, type Payment, type ReviewItem, type Transaction } from '@payhost/core';

/** A payment as the API shows it: amounts as decimal strings with the currency's places. */
export function paymentJson(payment: Payment): Record<string, unknown> {
  const money = (value: Payment['total']) => formatAmount(value, payment.currency);
  return {
    id: payment.id,
    channel: payment.channel,
    gateway: payment.gateway,
    chargeStatus: payment.chargeStatus,
    total: money(payment.total),
    authorizedAmount: money(payment.authorizedAmount),
    capturedAmount: money(payment.capturedAmount),
    currency: payment.currency,
    customerId: payment.customerId ?? null,
    customerEmail: payment.customerEmail ?? null,
    pspReference: payment.pspReference ?? null,
    toConfirm: payment.toConfirm,
    isActive: payment.isActive,
    metadata: payment.metadata,
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
    version: payment.version,
  };
}

/** A payment with one of its transactions (an operation's result, a transaction held for review), as the API shows it. */
export function resultJson({ payment, transaction }: { payment: Payment; transaction: Transaction }): Record<string, unknown> {
  return { payment: paymentJson(payment), transaction: transactionJson(transaction) };
}

/** The schema of resultJson's answer: a response schema (`{ $ref: 'PaymentResult#' }`), described. */
export const resultSchema = {
  $ref: 'PaymentResult#',
  description:
    "The operation's transaction and its payment as they were when the operation was first answered: a retry with the same Idempotency-Key answers this same snapshot (GET /payments/{id} for the payment's current state)",
} as const;

/** A payment and its transactions (GET of a payment): a response schema, described. */
export const paymentWithTransactionsResponse = { $ref: 'PaymentWithTransactions#', description: 'The payment and its transactions, oldest first' } as const;

/**
 * An item of the review list, for the person who checks the processor: its payment and transaction, why
 * it is listed (`reason`), and the Idempotency-Key the gateway call carried (what a processor's request log
 * can be searched by, when a first charge's answer was lost before any processor reference was known).
 */
export function reviewItemJson(item: ReviewItem): Record<string, unknown> {
  return { ...resultJson(item), reason: item.reason, gatewayIdempotencyKey: item.transaction.gatewayIdempotencyKey };
}

/** The schema of reviewItemJson's answer. */
export const reviewItemSchema = {
  $id: 'ReviewItem',
  type: 'object',
  required: ['payment', 'transaction', 'reason', 'gatewayIdempotencyKey'],
  properties: {
    payment: { $ref: 'Payment#' },
    transaction: { $ref: 'Transaction#' },
    reason: {
      type: 'string',
      enum: [...REVIEW_REASONS],
      description:
        'Why it is listed: `held_for_review`, the gateway could not tell what it did (state `review`); `refund_ongoing`, a refund the processor accepted and has not reported finished; ' +
        '`pending_charge`, a charge the processor answered pending (kind `pending`) that nothing settled for an hour, its payment still `pending`',
    },
    gatewayIdempotencyKey: { type: 'string' },
  },
} as const;

/** A transaction as the API shows it (the redacted raw response is left out). */
export function transactionJson(transaction: Transaction): Record<string, unknown> {
  return {
    id: transaction.id,
    paymentId: transaction.paymentId,
    kind: transaction.kind,
    state: transaction.state,
    isSuccess: transaction.isSuccess,
    actionRequired: transaction.actionRequired,
    actionRequiredData: transaction.actionRequiredData ?? null,
    amount: formatAmount(transaction.amount, transaction.currency),
    currency: transaction.currency,
    errorCode: transaction.errorCode ?? null,
    error: transaction.error ?? null,
    gatewayTransactionId: transaction.gatewayTransactionId ?? null,
    pspReference: transaction.pspReference ?? null,
    createdAt: transaction.createdAt.toISOString(),
  };
}

const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
/** A decimal amount with the currency's places ("10.00", "1000" in JPY). */
const amount = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;

/**
 * The shared schemas: fastify serializes the answers with them (a required field absent would make it
 * throw, so paymentJson and transactionJson write every field, null when unset), and the OpenAPI
 * document names them by their `$id`. The enums come from core's lists.
 */
export const paymentSchema = {
  $id: 'Payment',
  type: 'object',
  required: ['id', 'channel', 'gateway', 'chargeStatus', 'total', 'authorizedAmount', 'capturedAmount', 'currency', 'customerId', 'customerEmail', 'pspReference', 'toConfirm', 'isActive', 'metadata', 'createdAt', 'updatedAt', 'version'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    channel: { type: 'string' },
    gateway: { type: 'string' },
    chargeStatus: { type: 'string', enum: [...CHARGE_STATUSES] },
    total: amount,
    authorizedAmount: { ...amount, description: 'Authorized and not yet captured or voided' },
    capturedAmount: amount,
    currency: { type: 'string' },
    customerId: nullableString,
    customerEmail: nullableString,
    pspReference: { ...nullableString, description: "The processor's reference for the payment (e.g. a Stripe PaymentIntent id)" },
    toConfirm: { type: 'boolean', description: 'Waiting for the customer (e.g. 3-D Secure) before `confirm`' },
    isActive: { type: 'boolean' },
    metadata: { type: 'object', additionalProperties: true },
    createdAt: timestamp,
    updatedAt: timestamp,
    version: { type: 'integer', description: 'Incremented on every change of the payment' },
  },
} as const;

export const transactionSchema = {
  $id: 'Transaction',
  type: 'object',
  required: ['id', 'paymentId', 'kind', 'state', 'isSuccess', 'actionRequired', 'actionRequiredData', 'amount', 'currency', 'errorCode', 'error', 'gatewayTransactionId', 'pspReference', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    paymentId: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: [...TRANSACTION_KINDS] },
    state: { type: 'string', enum: [...TRANSACTION_STATES], description: '`pending` while the gateway call is out, `applied` once its result is recorded, `review` when nobody could tell what the gateway did (see /admin/review)' },
    isSuccess: { type: 'boolean' },
    actionRequired: { type: 'boolean' },
    actionRequiredData: { type: ['object', 'null'], additionalProperties: true },
    amount,
    currency: { type: 'string' },
    errorCode: { type: ['string', 'null'], enum: [...TRANSACTION_ERROR_CODES, null], description: "A failure's unified error code" },
    error: nullableString,
    gatewayTransactionId: nullableString,
    pspReference: nullableString,
    createdAt: timestamp,
  },
} as const;

/** `{ payment, transaction }`: an operation's answer (resultJson). */
export const paymentResultSchema = {
  $id: 'PaymentResult',
  type: 'object',
  required: ['payment', 'transaction'],
  properties: { payment: { $ref: 'Payment#' }, transaction: { $ref: 'Transaction#' } },
} as const;

/** `{ payment, transactions }`: a payment read with its transactions. */
export const paymentWithTransactionsSchema = {
  $id: 'PaymentWithTransactions',
  type: 'object',
  required: ['payment', 'transactions'],
  properties: { payment: { $ref: 'Payment#' }, transactions: { type: 'array', items: { $ref: 'Transaction#' } } },
} as const;

/** Every shared schema of this file, in the order buildApp adds them (a schema before those that refer to it). */
export const sharedSchemas = [paymentSchema, transactionSchema, paymentResultSchema, paymentWithTransactionsSchema, reviewItemSchema] as const;
