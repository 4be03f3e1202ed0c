import { checkNoCardNumber, ERROR_CODES, PayhostError, type Transaction } from '@payhost/core';

/**
 * The public checkout API takes idempotency keys from anyone: they live in
 * their own namespace, so nobody can claim (or probe for) a key the shop's
 * backend will use on the payment API. The payment API refuses keys in it,
 * which also makes "created by the checkout" a fact the ledger records (the
 * key of the payment's first transaction) rather than metadata anyone sets.
 */
const PREFIX = 'checkout:';

/** The ledger key for a key the checkout API received. */
export function checkoutKey(clientKey: string): string {
  return PREFIX + clientKey;
}

/**
 * The payment API's keys must stay outside the checkout's namespace (`details.reason: reserved_prefix`),
 * and hold no card number: the key is stored in the ledger, and one there would be card data at rest
 * (the checkout's check, guard.ts, with its answer: `details` `{ field: 'idempotency-key', reason: 'card_number' }`).
 */
export function refuseCheckoutKey(key: string): void {
  if (key.startsWith(PREFIX)) {
    throw new PayhostError(ERROR_CODES.invalidInput, `Idempotency keys starting with "${PREFIX}" are reserved for the checkout page's API`, {
      in: 'headers',
      field: 'idempotency-key',
      reason: 'reserved_prefix',
    });
  }
  checkNoCardNumber('idempotency-key', key, 'send a random key (a UUID), never a card number');
}

/** Whether the checkout API created the payment of these transactions (its first one ran under a checkout key). */
export function createdByCheckout(transactions: readonly Transaction[]): boolean {
  return transactions[0]?.idempotencyKey?.startsWith(PREFIX) === true;
}

/** Longest key the checkout API accepts: the ledger's 255 characters, less the prefix. */
export const CHECKOUT_KEY_MAX_LENGTH = 255 - PREFIX.length;
