import { Decimal, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { fromFlutterwaveAmount, toFlutterwaveAmount } from './amounts.js';
import { parseToken, resolveTransactionId } from './checkout.js';
import { mapFlutterwaveError, outcomeUnknown, transactionNotFound } from './errors.js';
import { FLUTTERWAVE_FAILURES as F, failedResponse, refundResponse, rejectedResponse } from './responses.js';
import { txRefSecrets } from './config.js';
import { fetchRefund } from './refund-lookup.js';
import { accountOf, rememberRefund } from './refund-memory.js';
import { checkTxRef } from './tx-ref.js';
import type { FlwTransaction } from './sdk.js';
import { isBindingFailure, judge, pinnedTxRef, verifyTransaction, type FlutterwaveContext } from './verify.js';

/** An ongoing refund as Flutterwave holds it now, for no more than it asked; null when it cannot be looked up. */
async function ongoingRefundStatus(ctx: FlutterwaveContext, input: TransactionStatusInput): Promise<GatewayResponse | null> {
  const { transaction } = input;
  const id = /^\d{1,15}$/.test(transaction.gatewayTransactionId ?? '') ? Number(transaction.gatewayTransactionId) : null;
  if (id === null) return null;
  try {
    const refund = await fetchRefund(ctx.client, ctx.settings, id);
    // Another transaction's refund is no answer about this one.
    if (transaction.pspReference !== null && String(refund.tx_id) !== transaction.pspReference) return null;
    return refundResponse(refund, transaction.currency, transaction.amount);
  } catch {
    return null;
  }
}

/** processPayment: verifies the Inline transaction by id and records a capture only when everything matches. */
export async function processPayment(ctx: FlutterwaveContext, payment: PaymentData): Promise<GatewayResponse> {
  const token = parseToken(payment.token);
  if (typeof token === 'string') return rejectedResponse('capture', F.invalidToken, token, { amount: payment.amount, currency: payment.currency });
  return verifyTransaction(ctx, payment, token.transactionId, token.txRef);
}

/**
 * refundPayment: partial or full, several per transaction. Flutterwave takes
 * no idempotency key and the SDK's refund schema allows only id and amount,
 * so a lost answer (timeout, dropped connection, 5xx) is flagged
 * `outcome_unknown`: the ledger holds the refund for review (getTransactionStatus
 * cannot look refunds up) instead of recording a failure a retry would repeat.
 */
export async function refundPayment(ctx: FlutterwaveContext, payment: PaymentData): Promise<GatewayResponse> {
  const where = { amount: payment.amount, currency: payment.currency };
  const id = resolveTransactionId(payment.token, payment.data);
  if (id === null) return rejectedResponse('refund', F.unknownTransaction, 'No Flutterwave transaction id: pass the pspReference or the Inline result as the token', where);
  try {
    const amount = toFlutterwaveAmount(payment.amount, payment.currency);
    const requested = new Decimal(payment.amount);
    const refund = await ctx.client.refund(id, amount);
    // completed -> refund, pending -> refund_ongoing (refund.completed settles it), failed -> refund_failed.
    const response = refundResponse(refund, payment.currency, requested);
    // Remembered so that its refund.completed is recorded for no more than was asked either (webhooks.ts).
    if (response.kind !== 'refund_failed') rememberRefund(accountOf(ctx.settings), id, refund.id, requested, response.kind === 'refund' ? response.amount : null);
    return response;
  } catch (err) {
    return failedResponse('refund', mapFlutterwaveError(err), { ...where, pspReference: String(id), raw: { outcome_unknown: outcomeUnknown(err, 'write') } });
  }
}

/**
 * Reconciliation: for a process transaction, verifies the transaction again
 * (by id, else by the tx_ref the token carried) and judges it, binding
 * included: the ledger sends the operation's data again (a host-pinned
 * `data.txRef`, kept with the transaction), so a restart loses nothing.
 * A refund Flutterwave answered pending (`refund_ongoing`, its refund id known) is looked up by that
 * id (GET /v3/refunds/:id, as the webhook does): its status now, so the ledger settles it when the
 * refund.completed webhook never came. Any other refund: null (a lost answer never gave the refund's
 * id, and Flutterwave finds refunds by nothing of ours; the ledger holds it for review).
 */
export async function transactionStatus(ctx: FlutterwaveContext, input: TransactionStatusInput): Promise<GatewayResponse | null> {
  const { transaction, payment } = input;
  if (transaction.kind === 'refund_ongoing') return ongoingRefundStatus(ctx, input);
  const op = transaction.gatewayIdempotencyKey.split(':')[1];
  if (op !== 'process' && op !== 'confirm' && transaction.kind !== 'capture' && transaction.kind !== 'pending') return null;
  const token = parseToken(payment.token);
  const claimed = typeof token === 'string' ? null : token.txRef;
  const id = resolveTransactionId(payment.token, payment.data, transaction.pspReference, transaction.gatewayTransactionId);
  const subject = { ...payment, amount: transaction.amount };
  let tx: FlwTransaction;
  try {
    if (id !== null) tx = await ctx.client.verify(id);
    else if (claimed) tx = await ctx.client.verifyByReference(claimed);
    else return null;
  } catch (err) {
    // "not found" is an answer: the customer never paid; anything else (429, 401, 403, 5xx, no answer): cannot tell.
    if (transactionNotFound(err)) return failedResponse('capture', mapFlutterwaveError(err), { amount: transaction.amount, currency: transaction.currency });
    return null;
  }
  const verdict = judge(ctx, subject, tx, claimed);
  // Not pinned and not bound: the binding cannot be re-checked, so a would-be capture is held for review.
  if (pinnedTxRef(payment) !== null || !isBindingFailure(verdict)) return verdict;
  const rest = judge(ctx, subject, tx, claimed, { binding: false });
  return rest.isSuccess ? null : rest;
}

/** One transaction as listed for reconciliation. */
export interface FlutterwaveTransactionRecord {
  pspReference: string;
  txRef: string;
  status: string;
  amount: Decimal;
  currency: string;
  /** The host payment id the tx_ref was issued for, when the plugin issued it bound. */
  paymentId: string | null;
  createdAt: Date;
}

export interface ListTransactionsQuery {
  /** ISO dates (YYYY-MM-DD). */
  from?: string;
  to?: string;
  status?: string;
  page?: number;
}

export async function listTransactions(ctx: FlutterwaveContext, query: ListTransactionsQuery = {}): Promise<FlutterwaveTransactionRecord[]> {
  const params: Record<string, string> = {};
  if (query.from) params['from'] = query.from;
  if (query.to) params['to'] = query.to;
  if (query.status) params['status'] = query.status;
  if (query.page) params['page'] = String(query.page);
  const items = await ctx.client.list(params);
  return items.map((tx) => ({
    pspReference: String(tx.id),
    txRef: tx.tx_ref,
    status: tx.status,
    amount: fromFlutterwaveAmount(tx.amount),
    currency: tx.currency,
    paymentId: checkTxRef(txRefSecrets(ctx.settings), ctx.channel, tx.tx_ref).boundTo,
    createdAt: new Date(tx.created_at),
  }));
}
