import { Decimal } from 'decimal.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import type { Payment, Transaction } from './model.js';
import { amountExceeds, notAllowed, OPERATION_REFUSAL_REASONS as REFUSED, PAYMENT_BUSY_REASONS, paymentBusy, type OperationRefusalReason } from './ledger-errors.js';
import { operationOf, reservesAmount, unresolved, type PaymentOperation } from './operations.js';

/** What the rule checks need to know about the gateway. */
export interface GatewayCapabilities {
  supportsMultipleCaptures?: boolean;
}

export interface RuleInput {
  operation: PaymentOperation;
  payment: Payment;
  /** Every transaction of the payment (pending ones reserve amounts). */
  transactions: readonly Transaction[];
  gateway: GatewayCapabilities;
  /** Capture / refund amount; default: everything still available. */
  amount?: unknown;
}

const ZERO = new Decimal(0);

function sum(transactions: readonly Transaction[]): Decimal {
  return transactions.reduce((acc, t) => acc.plus(t.amount), ZERO);
}

/** Unresolved transactions of one operation (they reserve their amount). */
function reserved(transactions: readonly Transaction[], operation: 'capture' | 'refund'): Transaction[] {
  return unresolved(transactions).filter((t) => operationOf(t) === operation);
}

const REFUND_SETTLEMENTS: ReadonlySet<string> = new Set(['refund', 'refund_failed']);

/** Statuses a capture may start from: what is left authorized is checked by the amount. */
const CAPTURABLE: ReadonlySet<string> = new Set(['not-charged', 'partially-charged', 'partially-refunded']);

/**
 * Refunds the processor accepted but has not finished (`refund_ongoing`):
 * captured money not yet returned, so it stays reserved until a `refund` or
 * `refund_failed` row for the same gateway transaction settles it (without a
 * gateway transaction id nothing can settle it: it stays reserved).
 * Otherwise a second refund of the same money could be sent while the first
 * is still pending, and both succeed.
 */
function ongoingRefunds(transactions: readonly Transaction[]): Transaction[] {
  const settled = (id: string | null): boolean =>
    id !== null && transactions.some((s) => s.state === 'applied' && REFUND_SETTLEMENTS.has(s.kind) && s.gatewayTransactionId === id);
  return transactions.filter((t) => t.state === 'applied' && t.isSuccess && t.kind === 'refund_ongoing' && !settled(t.gatewayTransactionId));
}

/**
 * Rejects an operation that conflicts with transactions still in flight:
 * process / authorize / confirm / void run alone; captures and refunds may
 * run side by side, each reserving its amount (checked below). A transaction
 * held for review (the gateway could not tell what happened, or a refund
 * event the inbox could not count) blocks everything but the
 * reservation-based operations until it is resolved: payment_busy with
 * `reason: 'held_for_review'`, as the held operation's own retry answers,
 * since it clears once the review is settled.
 */
function checkConflicts(input: RuleInput): void {
  const { operation, payment } = input;
  for (const t of unresolved(input.transactions)) {
    const other = operationOf(t);
    if (other !== null && reservesAmount(other) && reservesAmount(operation)) continue;
    if (t.state === 'review') {
      // A refund event the inbox held has no gateway call to ask again: only a person settles it.
      const what = other === null ? `${t.kind}, from a processor event` : `${t.kind}, operation ${other}`;
      const by = other === null ? 'an operator (/admin/review)' : "reconciliation, the processor's event or an operator (/admin/review)";
      throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.heldForReview, `transaction ${t.id} (${what}) is held for review until ${by} settles it; retry then`, {
        operation,
        transactionId: t.id,
        kind: t.kind,
      });
    }
    throw paymentBusy(payment.id, PAYMENT_BUSY_REASONS.operationInProgress, `a ${other ?? t.kind} is in progress`, { operation, transactionId: t.id });
  }
}

function requireActive(operation: string, payment: Payment): void {
  if (!payment.isActive) throw notAllowed(operation, payment, REFUSED.paymentInactive, 'the payment is not active');
}

/**
 * An explicit amount (validated for the currency) or the default, bounded by
 * `base` minus what pending operations reserve. Nothing at all to capture or
 * refund is operation_not_allowed; too little left because of reservations
 * (or a too large amount) is amount_exceeds.
 */
function boundedAmount(operation: 'capture' | 'refund', payment: Payment, base: Decimal, reservedAmount: Decimal, requested: unknown): Decimal {
  if (base.lte(0)) {
    if (operation === 'capture') throw notAllowed(operation, payment, REFUSED.nothingToCapture, 'nothing authorized is left to capture');
    throw notAllowed(operation, payment, REFUSED.nothingToRefund, 'nothing captured is left to refund');
  }
  const available = Decimal.max(base.minus(reservedAmount), 0);
  const amount = requested === undefined || requested === null ? available : parseAmount(requested, payment.currency);
  if (amount.gt(available) || amount.lte(0)) {
    throw amountExceeds(operation, payment.id, formatAmount(amount, payment.currency), formatAmount(available, payment.currency), payment.currency);
  }
  return amount;
}

/**
 * Why a payment that was charged cannot be voided. A void cancels a whole authorization: the plugins'
 * void hooks refuse one something was captured from (the dummy's, a Stripe PaymentIntent, ...), so
 * the uncaptured rest a multiple-capture gateway keeps is captured, or left to expire at the processor.
 */
function voidRefusal(payment: Payment): [OperationRefusalReason, string] {
  if (payment.capturedAmount.gt(0) && payment.authorizedAmount.gt(0)) {
    const captured = formatAmount(payment.capturedAmount, payment.currency);
    const rest = formatAmount(payment.authorizedAmount, payment.currency);
    return [
      REFUSED.partiallyCaptured,
      `${captured} ${payment.currency} of the authorization was captured, and a void cancels only an authorization nothing was captured from: ` +
        `capture the remaining ${rest} ${payment.currency} or leave it to expire at the processor, and refund what was captured`,
    ];
  }
  return [REFUSED.alreadyCharged, 'only an uncaptured authorization can be voided (refund instead)'];
}

/**
 * Checks an operation against the payment's state and amounts (Saleor's
 * can_* guards, plus the can-void check Saleor forgot) and returns the amount
 * to send to the gateway. Pure; throws typed errors:
 * - process / authorize: an active, not-charged payment with nothing authorized;
 * - capture: 0 < amount <= authorized - pending captures; a second capture only
 *   when the gateway supports multiple captures (also after a partial refund);
 * - refund: 0 < amount <= captured - pending and ongoing refunds (several partial refunds);
 * - void: only an uncaptured authorization (or one waiting for confirmation), never the rest of
 *   one partly captured;
 * - confirm: only a payment waiting for confirmation.
 */
export function checkOperation(input: RuleInput): Decimal {
  const { operation, payment, transactions } = input;
  requireActive(operation, payment);
  checkConflicts(input);
  switch (operation) {
    case 'process':
    case 'authorize':
      if (payment.toConfirm) throw notAllowed(operation, payment, REFUSED.awaitingConfirmation, 'the payment is waiting for confirmation');
      if (payment.chargeStatus !== 'not-charged' || payment.authorizedAmount.gt(0)) {
        throw notAllowed(operation, payment, REFUSED.alreadyAuthorized, 'the payment was already authorized or charged');
      }
      return payment.total;
    case 'capture': {
      if (payment.toConfirm) throw notAllowed(operation, payment, REFUSED.awaitingConfirmation, 'the payment is waiting for confirmation');
      // A partially-refunded payment may keep the uncaptured rest of its authorization (multiple captures).
      if (!CAPTURABLE.has(payment.chargeStatus)) throw notAllowed(operation, payment, REFUSED.notCapturable, `a ${payment.chargeStatus} payment cannot be captured`);
      const pending = reserved(transactions, 'capture');
      if (!input.gateway.supportsMultipleCaptures && (payment.capturedAmount.gt(0) || pending.length > 0)) {
        throw notAllowed(operation, payment, REFUSED.singleCaptureOnly, 'the gateway does not support multiple captures of one authorization');
      }
      return boundedAmount('capture', payment, payment.authorizedAmount, sum(pending), input.amount);
    }
    case 'refund': {
      if (!['partially-charged', 'fully-charged', 'partially-refunded'].includes(payment.chargeStatus)) {
        throw notAllowed(operation, payment, REFUSED.notRefundable, `a ${payment.chargeStatus} payment cannot be refunded`);
      }
      const pending = [...reserved(transactions, 'refund'), ...ongoingRefunds(transactions)];
      return boundedAmount('refund', payment, payment.capturedAmount, sum(pending), input.amount);
    }
    case 'void':
      if (payment.chargeStatus !== 'not-charged' || payment.capturedAmount.gt(0)) throw notAllowed(operation, payment, ...voidRefusal(payment));
      if (payment.authorizedAmount.lte(0) && !payment.toConfirm) throw notAllowed(operation, payment, REFUSED.notAuthorized, 'nothing is authorized');
      return payment.authorizedAmount.gt(0) ? payment.authorizedAmount : payment.total;
    case 'confirm':
      if (!payment.toConfirm) throw notAllowed(operation, payment, REFUSED.notAwaitingConfirmation, 'the payment is not waiting for confirmation');
      return payment.total;
  }
}
