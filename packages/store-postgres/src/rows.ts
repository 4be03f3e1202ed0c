import { Decimal, type AddressData, type CustomerGatewayAccount, type IdempotencyRecord, type Payment, type Transaction } from '@payhost/core';
import type { Row } from './driver.js';

/**
 * Row <-> model mapping. Amounts travel as decimal strings both ways
 * (`numeric` columns; never a JS number), JSON as text cast to jsonb,
 * timestamps as ISO strings.
 */

export function amountParam(value: Decimal): string {
  if (!Decimal.isDecimal(value) || !value.isFinite()) throw new TypeError(`amount must be a finite Decimal, got ${String(value)}`);
  return value.toFixed();
}

export function toDecimal(value: unknown): Decimal {
  if (typeof value !== 'string') throw new TypeError(`numeric column returned ${typeof value}, expected a string`);
  return new Decimal(value);
}

export function jsonParam(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value);
}

export function timeParam(value: Date): string {
  return value.toISOString();
}

export function toDate(value: unknown): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(String(value));
}

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Both drivers parse jsonb already (a JSON string value arrives as a JS string). */
function json<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : (value as T);
}

export const PAYMENT_COLUMNS =
  'id, channel, gateway, charge_status, total, authorized_amount, captured_amount, currency, customer_id, customer_email, ' +
  'token, psp_reference, to_confirm, is_active, store_payment_method, metadata, created_at, updated_at, version, ' +
  'billing, shipping, customer_ip_address';

/** How many parameters paymentParams gives: a statement's next parameter after a payment's is $(first + PAYMENT_PARAMS + 1). */
export const PAYMENT_PARAMS = PAYMENT_COLUMNS.split(',').length;

/** Parameters in `PAYMENT_COLUMNS` order ($1..$22); metadata ($16), billing ($20) and shipping ($21) need `::jsonb`. */
export function paymentParams(p: Payment): unknown[] {
  return [
    p.id,
    p.channel,
    p.gateway,
    p.chargeStatus,
    amountParam(p.total),
    amountParam(p.authorizedAmount),
    amountParam(p.capturedAmount),
    p.currency,
    p.customerId,
    p.customerEmail,
    p.token,
    p.pspReference,
    p.toConfirm,
    p.isActive,
    p.storePaymentMethod,
    jsonParam(p.metadata ?? {}),
    timeParam(p.createdAt),
    timeParam(p.updatedAt),
    p.version,
    jsonParam(p.billing),
    jsonParam(p.shipping),
    p.customerIpAddress ?? null,
  ];
}

export function rowToPayment(r: Row): Payment {
  return {
    id: String(r.id),
    channel: String(r.channel),
    gateway: String(r.gateway),
    chargeStatus: String(r.charge_status) as Payment['chargeStatus'],
    total: toDecimal(r.total),
    authorizedAmount: toDecimal(r.authorized_amount),
    capturedAmount: toDecimal(r.captured_amount),
    currency: String(r.currency),
    customerId: str(r.customer_id),
    customerEmail: str(r.customer_email),
    token: str(r.token),
    pspReference: str(r.psp_reference),
    toConfirm: Boolean(r.to_confirm),
    isActive: Boolean(r.is_active),
    storePaymentMethod: Boolean(r.store_payment_method),
    metadata: json<Record<string, unknown>>(r.metadata) ?? {},
    // Migration 9's columns; null for payments made before it.
    billing: json<AddressData>(r.billing),
    shipping: json<AddressData>(r.shipping),
    customerIpAddress: str(r.customer_ip_address),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    version: Number(r.version),
  };
}

export const TRANSACTION_COLUMNS =
  'id, payment_id, kind, state, is_success, action_required, action_required_data, amount, currency, error_code, error, ' +
  'gateway_transaction_id, psp_reference, customer_id, raw_response, idempotency_key, gateway_idempotency_key, created_at, updated_at, ' +
  'request_data';

/** Parameters in `TRANSACTION_COLUMNS` order ($1..$20); $7, $15 and $20 need `::jsonb`. */
export function transactionParams(t: Transaction): unknown[] {
  return [
    t.id,
    t.paymentId,
    t.kind,
    t.state,
    t.isSuccess,
    t.actionRequired,
    jsonParam(t.actionRequiredData),
    amountParam(t.amount),
    t.currency,
    t.errorCode,
    t.error,
    t.gatewayTransactionId,
    t.pspReference,
    t.customerId,
    jsonParam(t.rawResponse),
    t.idempotencyKey,
    t.gatewayIdempotencyKey,
    timeParam(t.createdAt),
    timeParam(t.updatedAt),
    jsonParam(t.requestData ?? null),
  ];
}

export function rowToTransaction(r: Row): Transaction {
  return {
    id: String(r.id),
    paymentId: String(r.payment_id),
    kind: String(r.kind) as Transaction['kind'],
    state: String(r.state) as Transaction['state'],
    isSuccess: Boolean(r.is_success),
    actionRequired: Boolean(r.action_required),
    actionRequiredData: json<Record<string, unknown>>(r.action_required_data),
    amount: toDecimal(r.amount),
    currency: String(r.currency),
    errorCode: str(r.error_code) as Transaction['errorCode'],
    error: str(r.error),
    gatewayTransactionId: str(r.gateway_transaction_id),
    pspReference: str(r.psp_reference),
    customerId: str(r.customer_id),
    rawResponse: json<Record<string, unknown>>(r.raw_response),
    requestData: json<Record<string, unknown>>(r.request_data),
    idempotencyKey: str(r.idempotency_key),
    gatewayIdempotencyKey: String(r.gateway_idempotency_key),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export const IDEMPOTENCY_COLUMNS = 'key, request_hash, state, response, created_at, updated_at';

export function rowToIdempotency(r: Row): IdempotencyRecord {
  return {
    key: String(r.key),
    requestHash: String(r.request_hash),
    state: String(r.state) as IdempotencyRecord['state'],
    response: json<unknown>(r.response),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export const ACCOUNT_COLUMNS = 'customer_id, channel, gateway, gateway_customer_id, created_at';

export function rowToAccount(r: Row): CustomerGatewayAccount {
  return {
    customerId: String(r.customer_id),
    channel: String(r.channel),
    gateway: String(r.gateway),
    gatewayCustomerId: String(r.gateway_customer_id),
    createdAt: toDate(r.created_at),
  };
}
