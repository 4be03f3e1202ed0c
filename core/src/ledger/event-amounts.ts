import { Decimal } from 'decimal.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import { minorUnits } from '../money/currency.js';
import { invalidInput } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { operationOf } from './operations.js';
import { incoherentAmount } from './outcome-unknown.js';
import type { NormalizedResponse } from './records.js';
import type { RefundEventNote } from './refund-events.js';

/**
 * Amounts of processor events, checked once the payment is known. A figure that is no amount of
 * the payment's currency is refused (`invalid_input`, nothing recorded: the plugin's reading of the
 * event is wrong, and its retry, fixed, applies). A success for more than the ledger can count for
 * it is held for review, as a plugin's answer for more than was asked is (outcome-unknown.ts), and
 * as a refund event for more than is captured is (refund-events.ts).
 */

/** Kinds whose success moves money: an event reporting one for nothing is refused. */
const MOVES_MONEY: ReadonlySet<TransactionKind> = new Set(['auth', 'capture', 'refund', 'refund_ongoing', 'refund_reversed']);

/** Kinds whose success is bounded by the operation it answers (a successful refund with no call of its own: refund-events.ts). */
const BOUNDED: ReadonlySet<TransactionKind> = new Set(['auth', 'capture', 'refund', 'refund_ongoing']);

const ZERO = new Decimal(0);

/**
 * Refuses an event amount finer than the payment's currency ("3.005" USD: minor units converted
 * through a float), or zero for a success that moves money: a capture of nothing would leave the
 * payment partially charged and no longer voidable, a refund of nothing fully refunded and inactive.
 */
export function checkEventAmount(payment: Payment, eventId: string, response: { isSuccess: boolean; kind: TransactionKind; actionRequired?: boolean | null }, amount: Decimal): void {
  const digits = minorUnits(payment.currency);
  const details = { paymentId: payment.id, eventId, amount: amount.toFixed(), currency: payment.currency };
  if (amount.decimalPlaces() > digits) {
    throw invalidInput(`A gateway event reports ${amount.toFixed()} ${payment.currency}, with more decimal places than ${payment.currency} has (${digits}): nothing recorded`, details);
  }
  if (amount.isZero() && response.isSuccess && response.actionRequired !== true && MOVES_MONEY.has(response.kind)) {
    throw invalidInput(`A gateway event reports a successful ${response.kind} of 0 ${payment.currency}: an event that moves money needs its amount; nothing recorded`, details);
  }
}

/**
 * The most an event recorded on its own (no transaction of the ledger's answers it) may count: a
 * capture, what the payment's total leaves uncaptured (the payment is never captured past its
 * total); an authorization, the total. Null: not bounded here.
 */
function ownLimit(payment: Payment, kind: TransactionKind): Decimal | null {
  if (kind === 'capture') return Decimal.max(payment.total.minus(payment.capturedAmount), ZERO);
  // As an authorize call asks: the total (a new authorization of another gateway transaction is counted on its own).
  if (kind === 'auth') return payment.total;
  return null;
}

/**
 * Why an event's success cannot be counted as it says, or null: more than the operation it answers
 * (`target`, unresolved) asked for, the rule applied to a plugin's answer (incoherentAmount); with
 * no such operation, more than ownLimit.
 */
export function eventExcess(payment: Payment, target: Transaction | undefined, r: NormalizedResponse): string | null {
  if (!r.isSuccess || r.actionRequired || !BOUNDED.has(r.kind)) return null;
  const operation = target ? operationOf(target) : null;
  if (target && operation) return incoherentAmount(operation, payment.currency, { amount: r.amount }, target.amount, 'event');
  const limit = ownLimit(payment, r.kind);
  return limit && incoherentAmount(r.kind === 'capture' ? 'capture' : 'authorize', payment.currency, { amount: r.amount }, limit, 'event');
}

/** The note logged (warn) for an event held for eventExcess. */
export function excessNote(payment: Payment, held: Transaction, r: NormalizedResponse): RefundEventNote {
  return {
    fields: {
      paymentId: payment.id,
      transactionId: held.id,
      gatewayTransactionId: held.gatewayTransactionId ?? '',
      kind: r.kind,
      reported: r.amount.toFixed(),
      captured: payment.capturedAmount.toFixed(),
      authorized: payment.authorizedAmount.toFixed(),
    },
    msg: held.error ?? 'processor event held for review',
  };
}
