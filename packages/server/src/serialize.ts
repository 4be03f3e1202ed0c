import { formatAmount, type Payment, type Transaction } from '@payhost/core';

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
    customerId: payment.customerId,
    customerEmail: payment.customerEmail,
    pspReference: payment.pspReference,
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

/** The schema of resultJson's answer. */
export const resultSchema = {
  type: 'object',
  properties: { payment: { $ref: 'Payment#' }, transaction: { $ref: 'Transaction#' } },
} as const;

/**
 * A transaction held for review, for the person who checks the processor: its payment and itself, and
 * the Idempotency-Key the gateway call carried (what a processor's request log can be searched by,
 * when a first charge's answer was lost before any processor reference was known).
 */
export function reviewItemJson(item: { payment: Payment; transaction: Transaction }): Record<string, unknown> {
  return { ...resultJson(item), gatewayIdempotencyKey: item.transaction.gatewayIdempotencyKey };
}

/** The schema of reviewItemJson's answer. */
export const reviewItemSchema = {
  type: 'object',
  properties: { ...resultSchema.properties, gatewayIdempotencyKey: { type: 'string' } },
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
    actionRequiredData: transaction.actionRequiredData,
    amount: formatAmount(transaction.amount, transaction.currency),
    currency: transaction.currency,
    errorCode: transaction.errorCode,
    error: transaction.error,
    gatewayTransactionId: transaction.gatewayTransactionId,
    pspReference: transaction.pspReference,
    createdAt: transaction.createdAt.toISOString(),
  };
}

const nullableString = { type: ['string', 'null'] } as const;

export const paymentSchema = {
  $id: 'Payment',
  type: 'object',
  properties: {
    id: { type: 'string' },
    channel: { type: 'string' },
    gateway: { type: 'string' },
    chargeStatus: { type: 'string' },
    total: { type: 'string' },
    authorizedAmount: { type: 'string' },
    capturedAmount: { type: 'string' },
    currency: { type: 'string' },
    customerId: nullableString,
    customerEmail: nullableString,
    pspReference: nullableString,
    toConfirm: { type: 'boolean' },
    isActive: { type: 'boolean' },
    metadata: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    version: { type: 'integer' },
  },
} as const;

export const transactionSchema = {
  $id: 'Transaction',
  type: 'object',
  properties: {
    id: { type: 'string' },
    paymentId: { type: 'string' },
    kind: { type: 'string' },
    state: { type: 'string' },
    isSuccess: { type: 'boolean' },
    actionRequired: { type: 'boolean' },
    actionRequiredData: { type: ['object', 'null'], additionalProperties: true },
    amount: { type: 'string' },
    currency: { type: 'string' },
    errorCode: nullableString,
    error: nullableString,
    gatewayTransactionId: nullableString,
    pspReference: nullableString,
    createdAt: { type: 'string' },
  },
} as const;
