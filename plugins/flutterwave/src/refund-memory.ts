import { Decimal } from '@payhost/core';
import type { FlutterwaveSettings } from './config.js';

/**
 * The refunds this process asked Flutterwave for, so that refund.completed can
 * be bounded: the amount_refunded the refund lookup (GET /v3/refunds/:id) answers
 * may be the transaction's running total (Flutterwave does not document which),
 * and the webhook carries nothing of
 * ours (the SDK's refund call takes only id and amount). Kept in memory, per
 * process, for the last MAX_TRANSACTIONS transactions: after a restart, or on
 * another instance, a refund is unknown here and only the transaction's amount
 * bounds it (README, Webhooks).
 */
interface KnownRefund {
  /** What the refund call asked for: a refund never gives back more. */
  requested: Decimal;
  /** What was recorded as refunded once it completed; null while pending (or failed). */
  refunded: Decimal | null;
}

const MAX_TRANSACTIONS = 10_000;

/** Account (API base URL and public key) + transaction id -> refund id -> what is known of it. */
const known = new Map<string, Map<number, KnownRefund>>();

/** The Flutterwave account a refund id belongs to (ids are the account's; the public key is not a secret). */
export function accountOf(settings: Pick<FlutterwaveSettings, 'baseUrl' | 'publicKey'>): string {
  return `${settings.baseUrl ?? 'https://api.flutterwave.com/'} ${settings.publicKey}`;
}

function key(account: string, txId: number): string {
  return `${account}\n${txId}`;
}

function refundsOf(account: string, txId: number, create: boolean): Map<number, KnownRefund> | undefined {
  const k = key(account, txId);
  let refunds = known.get(k);
  if (refunds || !create) return refunds;
  refunds = new Map();
  known.set(k, refunds);
  // Oldest transaction first in insertion order: forget it past the bound.
  if (known.size > MAX_TRANSACTIONS) known.delete(known.keys().next().value as string);
  return refunds;
}

/** A refund Flutterwave accepted for `requested`; `refunded`: the amount recorded when it completed at once. */
export function rememberRefund(account: string, txId: number, refundId: number, requested: Decimal, refunded: Decimal | null): void {
  refundsOf(account, txId, true)!.set(refundId, { requested, refunded });
}

/** A remembered refund completed with `refunded` (or failed: null); unknown refunds are not added. */
export function settleRememberedRefund(account: string, txId: number, refundId: number, refunded: Decimal | null): void {
  const refund = refundsOf(account, txId, false)?.get(refundId);
  if (refund) refund.refunded = refunded;
}

/** The amount the refund call asked for; null when this process did not make the refund (or forgot it). */
export function requestedAmount(account: string, txId: number, refundId: number): Decimal | null {
  return refundsOf(account, txId, false)?.get(refundId)?.requested ?? null;
}

/** What this process knows was refunded of the transaction by its other, completed refunds. */
export function refundedByOthers(account: string, txId: number, refundId: number): Decimal {
  let sum = new Decimal(0);
  for (const [id, refund] of refundsOf(account, txId, false) ?? []) {
    if (id !== refundId && refund.refunded !== null) sum = sum.plus(refund.refunded);
  }
  return sum;
}
