import type { Decimal, GatewayResponse, Logger, PaymentData } from '@payhost/core';
import { fromFlutterwaveAmount } from './amounts.js';
import type { FlutterwaveClient } from './client.js';
import { txRefSecrets, type FlutterwaveSettings } from './config.js';
import { mapChargeFailure, mapFlutterwaveError, outcomeUnknown } from './errors.js';
import { FLUTTERWAVE_FAILURES as F, failedResponse, rejectedResponse, transactionResponse, type FailureContext } from './responses.js';
import type { FlwTransaction } from './sdk.js';
import { checkTxRef } from './tx-ref.js';

/** The Inline `meta` key that binds a transaction paid with an unbound tx_ref to a payment. */
export const META_PAYMENT_ID = 'payhost_payment_id';

export interface FlutterwaveContext {
  client: FlutterwaveClient;
  settings: FlutterwaveSettings;
  channel: string;
  /** The plugin's logger (webhooks log what they acknowledge without applying); none: not logged. */
  logger?: Logger;
}

/** The tx_ref the host pinned for this operation (`data.txRef`), if any. */
export function pinnedTxRef(payment: PaymentData): string | null {
  const value = payment.data?.['txRef'];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Why the verified transaction is not bound to this payment (reason, message); null when it is. */
function bindingProblem(ctx: FlutterwaveContext, payment: PaymentData, tx: FlwTransaction): [string, string] | null {
  const notIssued: [string, string] = [F.referenceMismatch, `Flutterwave transaction ${tx.id} has tx_ref "${tx.tx_ref}", which was not issued for this payment`];
  const pinned = pinnedTxRef(payment);
  if (pinned !== null) return tx.tx_ref === pinned ? null : notIssued;
  const ref = checkTxRef(txRefSecrets(ctx.settings), ctx.channel, tx.tx_ref, payment.paymentId);
  if (!ref.issued) return notIssued;
  if (ref.boundTo !== null) return ref.boundTo === payment.paymentId ? null : notIssued;
  // Unbound (issued before the payment existed): one transaction could otherwise pay any payment of its amount.
  const meta = tx.meta?.[META_PAYMENT_ID];
  if ((typeof meta === 'string' || typeof meta === 'number') && payment.paymentId !== '' && String(meta) === payment.paymentId) return null;
  return [
    F.unboundReference,
    `Flutterwave transaction ${tx.id} has tx_ref "${tx.tx_ref}", which is bound to no payment, and its meta does not name payment ${payment.paymentId}: ` +
      `issue the tx_ref with getClientToken({ data: { paymentId } }), pass meta.${META_PAYMENT_ID} to Inline, or pin data.txRef`,
  ];
}

/**
 * A transaction paid for another amount than the payment's, refused either
 * way: what was paid (`amount`) and charged (`charged_amount`: with the fees
 * passed to the customer), what was expected and the difference, in the
 * message and in `rawResponse.amount_mismatch`, so an operator can refund
 * the customer on Flutterwave. Flutterwave's verification guide would take
 * an overpayment and refund the rest; the ledger counts no capture above the
 * amount asked, and a capture of the amount asked would take the later
 * refund of the excess (its refund.completed) for a refund of the payment.
 */
function amountMismatch(tx: FlwTransaction, paid: Decimal, payment: PaymentData, where: Omit<FailureContext, 'reason'>): GatewayResponse {
  const charged = fromFlutterwaveAmount(tx.charged_amount);
  const over = paid.greaterThan(payment.amount);
  const difference = over ? paid.minus(payment.amount) : payment.amount.minus(paid);
  const fees = charged.greaterThan(paid) ? ` (charged ${charged.toString()} ${tx.currency} with fees)` : '';
  const message =
    `Flutterwave transaction ${tx.id} is for ${paid.toString()} ${tx.currency}${fees}, the payment expects ${payment.amount.toString()} ${payment.currency}: ` +
    `${difference.toString()} ${tx.currency} ${over ? 'more than asked' : 'short'}; nothing is captured` +
    (tx.status === 'successful' ? `: refund the ${paid.toString()} ${tx.currency} the customer paid on Flutterwave` : ` (the transaction is ${tx.status})`);
  const detail = { expected: payment.amount.toString(), paid: paid.toString(), charged: charged.toString(), difference: difference.toString(), direction: over ? 'over' : 'under', currency: tx.currency };
  return rejectedResponse('capture', F.amountMismatch, message, { ...where, raw: { amount_mismatch: detail } });
}

/**
 * Checks a verified transaction against the payment: its binding (the host's
 * pinned `data.txRef`; else a tx_ref this plugin issued for this channel and
 * this payment, or an unbound one whose Inline meta names this payment; and
 * the tx_ref the browser claimed, if any), currency, exact amount, then
 * status. Returns the response to record: a capture only when everything
 * matches. `binding: false` skips the binding (reconciliation without the pin).
 */
export function judge(ctx: FlutterwaveContext, payment: PaymentData, tx: FlwTransaction, claimedTxRef: string | null, options: { binding?: boolean } = {}): GatewayResponse {
  const where = { amount: payment.amount, currency: payment.currency, pspReference: String(tx.id) };
  const problem = options.binding === false ? null : bindingProblem(ctx, payment, tx);
  if (problem) return rejectedResponse('capture', problem[0], problem[1], where);
  if (claimedTxRef !== null && claimedTxRef !== tx.tx_ref) {
    return rejectedResponse('capture', F.referenceMismatch, `The checkout claimed tx_ref "${claimedTxRef}", Flutterwave has "${tx.tx_ref}" for transaction ${tx.id}`, where);
  }
  if (tx.currency !== payment.currency) {
    return rejectedResponse('capture', F.currencyMismatch, `Flutterwave transaction ${tx.id} is in ${tx.currency}, the payment is in ${payment.currency}`, where);
  }
  // `amount`, as Flutterwave's verification guide checks: charged_amount adds the fees passed to the customer.
  const paid = fromFlutterwaveAmount(tx.amount);
  if (!paid.eq(payment.amount)) return amountMismatch(tx, paid, payment, where);
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

/** True for a response refused because the transaction is not bound to the payment. */
export function isBindingFailure(response: GatewayResponse): boolean {
  const code = response.rawResponse?.['code'];
  return !response.isSuccess && (code === F.referenceMismatch || code === F.unboundReference);
}

/**
 * Verifies transaction `id` with Flutterwave and judges it. A failed verify
 * says nothing about the payment unless Flutterwave answered that it has no
 * such transaction: any other failure (no answer, a 5xx, a 429, 401 or 403,
 * a body that is not Flutterwave's) is flagged `outcome_unknown`, with the
 * transaction id (pspReference) and the tx_ref when known, so the ledger asks
 * again (getTransactionStatus) or holds it for review, and the
 * charge.completed webhook or reconciliation settles it, instead of
 * recording a paid checkout as a failed payment.
 */
export async function verifyTransaction(ctx: FlutterwaveContext, payment: PaymentData, id: number, claimedTxRef: string | null): Promise<GatewayResponse> {
  let tx: FlwTransaction;
  try {
    tx = await ctx.client.verify(id);
  } catch (err) {
    const unknown = outcomeUnknown(err, 'read');
    const txRef = claimedTxRef ?? pinnedTxRef(payment);
    const raw = { outcome_unknown: unknown, ...(unknown && txRef !== null ? { tx_ref: txRef } : {}) };
    return failedResponse('capture', mapFlutterwaveError(err), { amount: payment.amount, currency: payment.currency, pspReference: String(id), raw });
  }
  return judge(ctx, payment, tx, claimedTxRef);
}
