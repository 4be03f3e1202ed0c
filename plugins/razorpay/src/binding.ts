import type { GatewayResponse, Logger, PaymentData, TransactionKind } from '@payhost/core';
import { PAYMENT_ID_NOTE } from './checkout.js';
import { notesOf, type RzpOrder, type RzpPayment, type RzpRefund } from './client.js';
import { claimLeavesOpen, mapRazorpayError } from './errors.js';
import { signedNoteOwner, signedPaymentNotes } from './note-signature.js';
import type { RazorpayContext } from './operations.js';
import { RAZORPAY_FAILURES as F, failedResponse, rejectedResponse } from './responses.js';

/** The host payment id an entity's notes name; null when none. */
export function noteOwner(entity: RzpOrder | RzpPayment | RzpRefund | null | undefined): string | null {
  return notesOf(entity)[PAYMENT_ID_NOTE] ?? null;
}

/**
 * The order's note is the server's (createClientToken); a payment's notes
 * also take Checkout's `notes` option, which the customer sets in the
 * browser. So when the order names a payment it decides, and a payment note
 * naming another one is only logged.
 */
export function warnIfNotesContradict(logger: Logger, order: RzpOrder | null | undefined, rzp: RzpPayment | null | undefined): void {
  const orderOwner = noteOwner(order);
  const paymentNote = noteOwner(rzp);
  if (orderOwner === null || paymentNote === null || paymentNote === orderOwner) return;
  logger.warn(
    { gateway: 'payhost.razorpay', razorpayPaymentId: rzp?.id, razorpayOrderId: order?.id, orderPaymentId: orderOwner, ignoredPaymentNote: paymentNote },
    "Razorpay payment notes name another host payment than its order's: the order's note is used",
  );
}

/**
 * Binds a Razorpay payment to exactly one host payment, so one checkout
 * result cannot mark two host payments paid (a replayed token).
 * - An order created for a host payment (its `payhost_payment_id` note) binds
 *   its payments to that payment, whatever the payment's own notes say
 *   (Checkout lets the customer set them).
 * - Otherwise (the token was requested before the host payment existed) the
 *   first host payment to process it claims it: the plugin writes its id and
 *   signature into the Razorpay payment's notes (PATCH /payments/:id, the
 *   only thing Razorpay lets a merchant change; note-signature.ts) before
 *   reporting success, and any other host payment is refused from then on.
 *   A note naming another payment refuses it signed or not: unsigned, it may
 *   be a claim made before signatures existed (or the customer's own note,
 *   which then blocks only their own checkout). An unsigned note naming this
 *   payment is claimed again, signed, so its webhooks can name it.
 * Null when the payment is this host payment's; else the refusal. A claim
 * that cannot be written is `payment_binding_failed`: outcome_unknown when the
 * note may have landed or the payment holds the money (claimLeavesOpen),
 * definite only when Razorpay says the payment does not exist.
 */
export async function bindPayment(ctx: RazorpayContext, payment: PaymentData, order: RzpOrder | null, rzp: RzpPayment, kind: TransactionKind): Promise<GatewayResponse | null> {
  const where = { amount: payment.amount, currency: payment.currency, pspReference: rzp.id };
  const orderOwner = noteOwner(order);
  if (orderOwner !== null) {
    if (orderOwner !== payment.paymentId) {
      return rejectedResponse(kind, F.orderMismatch, `Razorpay order ${order?.id ?? ''} was created for payment ${orderOwner}, not ${payment.paymentId}`, where);
    }
    warnIfNotesContradict(ctx.logger, order, rzp);
    return null;
  }
  const owner = noteOwner(rzp);
  if (owner !== null && owner !== payment.paymentId) return alreadyUsed(rzp.id, owner, payment, kind);
  const secret = ctx.settings.keySecret;
  if (signedNoteOwner(secret, rzp) === payment.paymentId) return null;
  let claimed: RzpPayment;
  try {
    claimed = await ctx.api.payments.edit(rzp.id, { notes: { ...notesOf(rzp), ...signedPaymentNotes(secret, rzp.id, payment.paymentId) } });
  } catch (err) {
    // Unbound, nothing is reported as paid. But the customer's money is held (authorized / captured), and the note
    // may have landed: unless Razorpay says the payment does not exist, outcome_unknown (claimLeavesOpen), so the
    // ledger holds the charge for review instead of recording it failed; reconciliation claims it again, a refusal
    // there (another payment's note) settles it as failed, a claim refused again reports the checkout's own payment
    // unclaimed (status.ts unboundOwnCheckout), and the ledger's PSP reference claim counts the Razorpay payment for
    // one host payment only.
    const mapped = mapRazorpayError(err);
    const unknown = claimLeavesOpen(err, rzp.status);
    return failedResponse(kind, { ...mapped, message: `Could not bind Razorpay payment ${rzp.id} to this payment: ${mapped.message}` }, {
      ...where,
      reason: F.bindingFailed,
      ...(unknown ? { raw: { outcome_unknown: true } } : {}),
    });
  }
  if (signedNoteOwner(secret, claimed) === payment.paymentId) return null;
  return alreadyUsed(rzp.id, noteOwner(claimed) ?? '(none)', payment, kind);
}

function alreadyUsed(id: string, owner: string, payment: PaymentData, kind: TransactionKind): GatewayResponse {
  return rejectedResponse(kind, F.paymentAlreadyUsed, `Razorpay payment ${id} was already used for payment ${owner}, not ${payment.paymentId}`, {
    amount: payment.amount,
    currency: payment.currency,
    pspReference: id,
  });
}
