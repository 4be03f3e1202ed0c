import type { GatewayResponse, PaymentData } from '@payhost/core';
import { fromFlutterwaveAmount } from './amounts.js';
import type { FlutterwaveClient } from './client.js';
import type { FlutterwaveSettings } from './config.js';
import { mapChargeFailure, mapFlutterwaveError, outcomeUnknown } from './errors.js';
import { FLUTTERWAVE_FAILURES as F, failedResponse, rejectedResponse, transactionResponse } from './responses.js';
import type { FlwTransaction } from './sdk.js';
import { checkTxRef } from './tx-ref.js';

export interface FlutterwaveContext {
  client: FlutterwaveClient;
  settings: FlutterwaveSettings;
  channel: string;
}

/**
 * Checks a verified transaction against the payment: tx_ref (the host's
 * pinned `data.txRef`, else one this plugin issued for this channel and —
 * when bound — this payment; and the one the browser claimed, if any),
 * currency, exact amount, then status. Returns the response to record:
 * a capture only when everything matches.
 */
export function judge(ctx: FlutterwaveContext, payment: PaymentData, tx: FlwTransaction, claimedTxRef: string | null): GatewayResponse {
  const where = { amount: payment.amount, currency: payment.currency, pspReference: String(tx.id) };
  const pinned = typeof payment.data?.['txRef'] === 'string' ? (payment.data['txRef'] as string) : null;
  if (pinned !== null ? tx.tx_ref !== pinned : !checkTxRef(ctx.settings.secretKey, ctx.channel, tx.tx_ref, payment.paymentId).issued) {
    return rejectedResponse('capture', F.referenceMismatch, `Flutterwave transaction ${tx.id} has tx_ref "${tx.tx_ref}", which was not issued for this payment`, where);
  }
  if (claimedTxRef !== null && claimedTxRef !== tx.tx_ref) {
    return rejectedResponse('capture', F.referenceMismatch, `The checkout claimed tx_ref "${claimedTxRef}", Flutterwave has "${tx.tx_ref}" for transaction ${tx.id}`, where);
  }
  if (tx.currency !== payment.currency) {
    return rejectedResponse('capture', F.currencyMismatch, `Flutterwave transaction ${tx.id} is in ${tx.currency}, the payment is in ${payment.currency}`, where);
  }
  const paid = fromFlutterwaveAmount(tx.amount);
  if (!paid.eq(payment.amount)) {
    const message = `Flutterwave transaction ${tx.id} is for ${paid.toString()} ${tx.currency}, the payment expects ${payment.amount.toString()} ${payment.currency}`;
    return rejectedResponse('capture', F.amountMismatch, message, where);
  }
  switch (tx.status) {
    case 'successful':
      return transactionResponse('capture', tx);
    case 'pending':
      return transactionResponse('pending', tx);
    case 'failed':
      return failedResponse('capture', mapChargeFailure(tx.processor_response), { ...where, raw: { transaction: tx.id } });
    default:
      return rejectedResponse('capture', F.notSuccessful, `Flutterwave transaction ${tx.id} is ${tx.status}`, where);
  }
}

/**
 * Verifies transaction `id` with Flutterwave and judges it. A failed verify
 * says nothing about the payment unless Flutterwave answered (4xx): otherwise
 * the failure is flagged `outcome_unknown`, so the ledger asks again
 * (getTransactionStatus) or holds it for review instead of recording a
 * paid checkout as a failed payment.
 */
export async function verifyTransaction(ctx: FlutterwaveContext, payment: PaymentData, id: number, claimedTxRef: string | null): Promise<GatewayResponse> {
  let tx: FlwTransaction;
  try {
    tx = await ctx.client.verify(id);
  } catch (err) {
    const raw = { outcome_unknown: outcomeUnknown(err, 'read') };
    return failedResponse('capture', mapFlutterwaveError(err), { amount: payment.amount, currency: payment.currency, pspReference: String(id), raw });
  }
  return judge(ctx, payment, tx, claimedTxRef);
}
