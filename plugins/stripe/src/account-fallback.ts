/** The Stripe objects a follow-up looks for on an account. */
export type StripeObject = 'payment_intent' | 'refund';

/**
 * Stripe's answer that the account holds no such object (404
 * resource_missing: "No such payment_intent: 'pi_…'", "No such refund: …"),
 * whether the call read it, acted on it or filtered a list by it.
 */
export function missingObject(err: unknown, object: StripeObject): boolean {
  const e = (err ?? {}) as { code?: unknown; param?: unknown; message?: unknown };
  if (e.code !== 'resource_missing') return false;
  if (object === 'payment_intent' && (e.param === 'intent' || e.param === 'payment_intent')) return true;
  return typeof e.message === 'string' && e.message.startsWith(`No such ${object}`);
}

/** The outcome of `onHoldingAccount`: the value, or the error that ended it; with the account either came from. */
export type OnAccount<T> = { value: T; account: string | null } | { error: unknown; account: string | null };

/**
 * Runs `attempt` on the accounts a follow-up may be on (followUpAccounts), in
 * order, until one holds the object: Stripe's "No such …" from one passes to
 * the next; any other error (5xx, lost connection) ends the run there, so no
 * account is taken for empty before it was read. When none holds the object,
 * the answer is the first account's (the payment's own). `more` tells the
 * attempt whether another account follows: a read that finds nothing there
 * must then make sure the object is on this account (a list filtered by an
 * intent another account holds says nothing of it).
 */
export async function onHoldingAccount<T>(accounts: readonly (string | null)[], object: StripeObject, attempt: (account: string | null, more: boolean) => Promise<T>): Promise<OnAccount<T>> {
  let missing: OnAccount<T> | null = null;
  for (const [index, account] of accounts.entries()) {
    try {
      return { value: await attempt(account, index < accounts.length - 1), account };
    } catch (error) {
      if (!missingObject(error, object)) return { error, account };
      missing ??= { error, account };
    }
  }
  if (!missing) throw new Error('onHoldingAccount needs at least one account');
  return missing;
}
