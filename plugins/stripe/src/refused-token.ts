import type { GatewayResponse, PaymentData, TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { encodeRef, pspAccount } from './connect.js';
import { refusal, type OperationContext } from './context.js';

/** What a person must do about a refused pi_ token the plugin could not cancel or that took money (held), by its status. */
export function heldAdvice(intent: Pick<Stripe.PaymentIntent, 'amount' | 'currency' | 'status'>): string {
  const sum = `${intent.amount} ${intent.currency}, minor units`;
  if (intent.status === 'succeeded' || intent.status === 'processing') {
    return `Yet the intent ${intent.status === 'succeeded' ? 'took' : 'is taking'} the customer's money (${sum}; ${intent.status}), not recorded as this payment's charge: refund it in the Stripe dashboard, then resolve this transaction as failed. First look at the intent's metadata: if payhost_payment_id now names another payment, that payment took the intent as its own: do not refund it, resolve this transaction as failed.`;
  }
  if (intent.status === 'requires_capture') return `Yet the intent holds an authorization (${sum}) and canceling it failed: cancel it in the Stripe dashboard, then resolve this transaction as failed.`;
  return `The intent is still ${intent.status} and canceling it failed: the customer may still pay it; reconciliation tries the cancel again.`;
}

/**
 * The payment's own pi_ token, refused for its amount, currency or Connect terms (`refused`), that took money or
 * could not be canceled: never the payment's charge, never a definite failure either (the money would stay at Stripe
 * with no payment recording it). Answered "cannot tell" (outcome_unknown: the ledger holds the transaction for a
 * person) with the intent as reference and the refusal plus what to do (heldAdvice) as the message, which the ledger
 * keeps on the held row. Used by the charge (charges.ts) and its status check (reconcile.ts), so both say the same.
 */
export function heldRefusal(ctx: OperationContext, payment: PaymentData, kind: TransactionKind, intent: Stripe.PaymentIntent, account: string | null, refused: { code: string | null; message: string }, raw: Record<string, unknown> = {}): GatewayResponse {
  const held = refusal(payment, kind, refused.code, `${refused.message} ${heldAdvice(intent)}`);
  const reference = { transactionId: encodeRef(account, intent.id), pspReference: encodeRef(pspAccount(ctx.settings, account), intent.id) };
  return { ...held, ...reference, rawResponse: { ...(held.rawResponse ?? {}), ...raw, outcome_unknown: true, intent_status: intent.status } };
}
