import { jsonCopy } from './json-copy.js';
import type { Payment, Transaction } from './model.js';
import { copyAddress } from './payment-address.js';

/**
 * Copies of ledger records that share nothing mutable with the original
 * (Decimals are immutable and shared). Every field is listed, not spread:
 * one object shape, several times cheaper than `{ ...p, ... }` on the hot
 * path, and the compiler flags a field added to the model but not here.
 */
export function copyPayment(p: Payment): Payment {
  return {
    id: p.id,
    channel: p.channel,
    gateway: p.gateway,
    chargeStatus: p.chargeStatus,
    total: p.total,
    authorizedAmount: p.authorizedAmount,
    capturedAmount: p.capturedAmount,
    currency: p.currency,
    customerId: p.customerId,
    customerEmail: p.customerEmail,
    token: p.token,
    pspReference: p.pspReference,
    toConfirm: p.toConfirm,
    isActive: p.isActive,
    storePaymentMethod: p.storePaymentMethod,
    metadata: jsonCopy(p.metadata) ?? {},
    billing: copyAddress(p.billing),
    shipping: copyAddress(p.shipping),
    customerIpAddress: p.customerIpAddress ?? null,
    createdAt: new Date(p.createdAt.getTime()),
    updatedAt: new Date(p.updatedAt.getTime()),
    version: p.version,
  };
}

export function copyTransaction(t: Transaction): Transaction {
  return {
    id: t.id,
    paymentId: t.paymentId,
    kind: t.kind,
    state: t.state,
    isSuccess: t.isSuccess,
    actionRequired: t.actionRequired,
    actionRequiredData: t.actionRequiredData === null ? null : (jsonCopy(t.actionRequiredData) ?? null),
    amount: t.amount,
    currency: t.currency,
    errorCode: t.errorCode,
    error: t.error,
    gatewayTransactionId: t.gatewayTransactionId,
    pspReference: t.pspReference,
    customerId: t.customerId,
    rawResponse: t.rawResponse === null ? null : (jsonCopy(t.rawResponse) ?? null),
    requestData: t.requestData ? (jsonCopy(t.requestData) ?? null) : null,
    idempotencyKey: t.idempotencyKey,
    gatewayIdempotencyKey: t.gatewayIdempotencyKey,
    createdAt: new Date(t.createdAt.getTime()),
    updatedAt: new Date(t.updatedAt.getTime()),
  };
}
