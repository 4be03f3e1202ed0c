import { Decimal } from 'decimal.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { ChargeStatus, Payment } from './model.js';

/** What a transition needs from a transaction. */
export interface TransitionInput {
  kind: TransactionKind;
  isSuccess: boolean;
  actionRequired: boolean;
  amount: Decimal;
}

/** What a transition needs from the payment's gateway. */
export interface TransitionOptions {
  /**
   * The gateway captures an authorization once (GatewayConfig.supportsMultipleCaptures false, e.g.
   * Stripe, Razorpay): the processor releases what a partial capture leaves, so a capture clears the
   * authorization. Default false: the rest stays authorized for a later capture.
   */
  captureReleasesRest?: boolean;
  /**
   * A capture of the payment is still in flight: a refund to zero keeps what is authorized, since
   * that capture's success makes the payment active again (its failure releases it: apply.ts).
   */
  capturesInFlight?: boolean;
}

/** The part of a payment transitions change. */
export type PaymentAmounts = Pick<Payment, 'chargeStatus' | 'total' | 'authorizedAmount' | 'capturedAmount' | 'toConfirm' | 'isActive'>;

const ZERO = new Decimal(0);

function max0(value: Decimal): Decimal {
  return value.isNegative() ? ZERO : value;
}

/**
 * The charge status a payment's amounts give outside a pending charge: `not-charged` when nothing is captured,
 * `fully-charged` when the total is, `partially-charged` in between (as a capture sets it).
 */
export function chargeStatusOfAmounts(payment: Pick<Payment, 'total' | 'capturedAmount'>): ChargeStatus {
  if (payment.capturedAmount.lte(0)) return 'not-charged';
  return payment.total.minus(payment.capturedAmount).lte(0) ? 'fully-charged' : 'partially-charged';
}

const CHARGED: ReadonlySet<ChargeStatus> = new Set(['partially-charged', 'fully-charged']);

/**
 * Saleor's status table (payment/utils.py `gateway_postprocess` and
 * `update_payment_charge_status`), applied to one successful transaction.
 * Pure: returns a new value, never touches the input.
 *
 * - failed transactions change nothing;
 * - action required: sets "to confirm", changes nothing else; otherwise
 *   "to confirm" is cleared and the kind decides:
 * - capture / refund_reversed: captured += amount; partially-charged, or
 *   fully-charged when total - captured <= 0 (and active again, as Saleor);
 * - refund: captured -= amount; partially-refunded, or fully-refunded and
 *   inactive at zero (captured never below zero), the uncaptured rest of
 *   the authorization released with it (unless `options.capturesInFlight`);
 * - void: inactive; pending: status pending; cancel: cancelled, inactive;
 * - capture_failed: if charged, captured -= amount; partially-charged, or
 *   not-charged at zero;
 * - auth: no status change; every other kind: nothing.
 *
 * `authorizedAmount` is what is authorized and not yet captured or voided
 * (model.ts): auth adds to it, capture consumes it (all of it on a gateway
 * that captures once: `options.captureReleasesRest`), void and cancel clear
 * it. So the amount rule "capture <= authorized - captured" reads
 * "capture <= authorizedAmount" here.
 */
export function applyTransition<P extends PaymentAmounts>(payment: P, tx: TransitionInput, options: TransitionOptions = {}): P {
  if (!tx.isSuccess) return payment;
  if (tx.actionRequired) return { ...payment, toConfirm: true };
  const next: P = { ...payment, toConfirm: false };
  const amount = tx.amount;
  switch (tx.kind) {
    case 'capture':
    case 'refund_reversed': {
      next.capturedAmount = payment.capturedAmount.plus(amount);
      if (tx.kind === 'capture') next.authorizedAmount = options.captureReleasesRest === true ? ZERO : max0(payment.authorizedAmount.minus(amount));
      next.isActive = true;
      next.chargeStatus = chargeStatusOfAmounts(next) === 'fully-charged' ? 'fully-charged' : 'partially-charged';
      return next;
    }
    case 'refund': {
      next.capturedAmount = payment.capturedAmount.minus(amount);
      next.chargeStatus = 'partially-refunded';
      if (next.capturedAmount.lte(0)) {
        next.capturedAmount = ZERO;
        next.chargeStatus = 'fully-refunded';
        next.isActive = false;
        // An inactive payment captures nothing more, and the void hooks refuse a partly captured
        // authorization: what a multiple-capture gateway kept is left to expire at the processor.
        if (options.capturesInFlight !== true) next.authorizedAmount = ZERO;
      }
      return next;
    }
    case 'void':
      next.isActive = false;
      next.authorizedAmount = ZERO;
      return next;
    case 'pending':
      next.chargeStatus = 'pending';
      return next;
    case 'cancel':
      next.chargeStatus = 'cancelled';
      next.isActive = false;
      next.authorizedAmount = ZERO;
      return next;
    case 'capture_failed': {
      if (!CHARGED.has(payment.chargeStatus)) return next;
      next.capturedAmount = payment.capturedAmount.minus(amount);
      next.chargeStatus = 'partially-charged';
      if (next.capturedAmount.lte(0)) {
        next.capturedAmount = ZERO;
        next.chargeStatus = 'not-charged';
      }
      return next;
    }
    case 'auth':
      next.authorizedAmount = payment.authorizedAmount.plus(amount);
      return next;
    default:
      return next;
  }
}

/** True when the transition would change any amount or status field. */
export function transitionChanges(before: PaymentAmounts, after: PaymentAmounts): boolean {
  return (
    before.chargeStatus !== after.chargeStatus ||
    before.toConfirm !== after.toConfirm ||
    before.isActive !== after.isActive ||
    !before.authorizedAmount.eq(after.authorizedAmount) ||
    !before.capturedAmount.eq(after.capturedAmount)
  );
}
