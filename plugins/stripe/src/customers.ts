import { createHash } from 'node:crypto';
import type { CreditCardInfo, CustomerSource, PaymentData } from '@payhost/core';
import type Stripe from 'stripe';
import { mutating, reading, wasReplayed, type CallContext } from './client.js';
import { cardInfoOf } from './status-mapping.js';

/** Metadata key linking a Stripe Customer to the host's customer id. */
export const HOST_CUSTOMER_KEY = 'payhost_customer_id';

/** A Stripe customer id, qualified (`acct_x:cus_y`) when it lives on a connected account. */
const STRIPE_CUSTOMER = /^(?:(acct_[A-Za-z0-9]+):)?(cus_[A-Za-z0-9]+)$/;

function escapeQuery(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/**
 * Remembers host customer -> Stripe customer per account, so a customer is
 * found without a search (Stripe's search index lags writes: under a minute
 * usually, up to an hour during outages).
 */
export class CustomerCache {
  private readonly map = new Map<string, string>();
  private static readonly LIMIT = 10_000;

  get(account: string | null, hostId: string): string | undefined {
    return this.map.get(`${account ?? ''}|${hostId}`);
  }

  set(account: string | null, hostId: string, stripeId: string): void {
    if (this.map.size >= CustomerCache.LIMIT) this.map.delete(this.map.keys().next().value as string);
    this.map.set(`${account ?? ''}|${hostId}`, stripeId);
  }

  /** Forgets the entry if it still names `stripeId` (a Customer Stripe no longer has). */
  forget(account: string | null, hostId: string, stripeId: string): void {
    if (this.get(account, hostId) === stripeId) this.map.delete(`${account ?? ''}|${hostId}`);
  }
}

/**
 * Whether Stripe answered that Customer `id` does not exist (deleted in the
 * Dashboard): resource_missing on the customer, naming that id (a replayed
 * answer naming another Customer is not about this one).
 */
function customerGone(err: unknown, id: string): boolean {
  const e = (err ?? {}) as { code?: unknown; param?: unknown; message?: unknown };
  if (e.code !== 'resource_missing' || typeof e.message !== 'string') return false;
  return (e.param === 'customer' || e.message.startsWith('No such customer')) && e.message.includes(`'${id}'`);
}

/** A Stripe customer a payment names, and the connected account it is on when the id says (null: unknown or the platform). */
export interface NamedCustomer {
  account: string | null;
  id: string;
}

/**
 * The Stripe customer a payment names: data.gatewayCustomerId (the
 * ledger's stored card on file) or data.stripeCustomerId. Never customerId:
 * that is the host's id, even when shaped like `cus_…` (taken for a Stripe
 * id, it could name another customer's Stripe Customer and saved cards).
 * Responses give the ledger `acct_x:cus_y` for a customer on a connected
 * account (status-mapping.ts); a plain `cus_y` (stored before) names no account.
 */
export function explicitCustomer(payment: Pick<PaymentData, 'customerId' | 'data'>): NamedCustomer | null {
  const fromData = payment.data?.['gatewayCustomerId'] ?? payment.data?.['stripeCustomerId'];
  const match = typeof fromData === 'string' ? STRIPE_CUSTOMER.exec(fromData) : null;
  return match ? { account: match[1] ?? null, id: match[2] as string } : null;
}

/** Stable code (rawResponse.code, or the thrown PayhostError's) of a saved customer on another account than the payment's. */
export const CUSTOMER_ACCOUNT_MISMATCH = 'customer_account_mismatch';

/**
 * Why the named customer cannot be used on `account` (the payment's
 * Stripe-Account; null: the platform), or null when it can. A Stripe
 * Customer, and its saved cards, belong to one account, while the host keeps
 * one gateway customer per customer, channel and gateway: a card saved on
 * seller A comes back for a payment on seller B. Told before any call,
 * rather than Stripe's "No such customer". A plain id names no account and
 * is used as before.
 */
export function customerAccountRefusal(customer: NamedCustomer | null, account: string | null): string | null {
  if (!customer || customer.account === null || customer.account === account) return null;
  const here = account ? `connected account ${account}` : 'the platform account';
  return `The saved card belongs to another connected account (${customer.account}) than this payment's (${here}): a Stripe customer and its cards live on one account. Pay with a new card (a token) instead.`;
}

/**
 * The Customer cached for the payment's host customer when `err` is Stripe's "No such customer" about it
 * (deleted in the Dashboard), its cache entry then dropped; null otherwise, and always for a Customer the
 * payment names itself (data.gatewayCustomerId), which no lookup replaces.
 */
export function goneCachedCustomer(cache: CustomerCache, payment: Pick<PaymentData, 'customerId' | 'data'>, account: string | null, err: unknown): string | null {
  const hostId = payment.customerId;
  if (!hostId || explicitCustomer(payment)) return null;
  const cached = cache.get(account, hostId);
  if (!cached || !customerGone(err, cached)) return null;
  cache.forget(account, hostId, cached);
  return cached;
}

export interface CustomerLookup {
  customerId: string | null;
  email?: string | null;
  name?: string | null;
  explicit?: string | null;
  /** A Customer of this host customer that Stripe no longer has: the cache is skipped, and it is never the answer. */
  replacing?: string | null;
}

/** Finds the Stripe customer of a host customer (cache, then search by metadata); null when there is none. */
export async function findCustomer(stripe: Stripe, cache: CustomerCache, ctx: Pick<CallContext, 'account'>, lookup: CustomerLookup): Promise<string | null> {
  if (lookup.explicit) return lookup.explicit;
  const hostId = lookup.customerId;
  if (!hostId) return null;
  const cached = lookup.replacing ? undefined : cache.get(ctx.account, hostId);
  if (cached) return cached;
  const found = await stripe.customers.search({ query: `metadata['${HOST_CUSTOMER_KEY}']:'${escapeQuery(hostId)}'`, limit: lookup.replacing ? 2 : 1 }, reading(ctx));
  // The search index may still list a Customer deleted within the last minute.
  const id = found.data.find((c) => c.id !== lookup.replacing)?.id ?? null;
  if (id) cache.set(ctx.account, hostId, id);
  return id;
}

/** Stripe's longest idempotency key. */
const MAX_KEY_LENGTH = 255;

/**
 * The idempotency key creating the Stripe Customer of a host customer: one
 * per (account, host customer), whatever the operation. Two payments of a
 * new customer (in one process or several) both miss the cache, and
 * Stripe's search does not see a Customer created less than a minute (up to
 * an hour in outages) before: with this key, the second creation replays the
 * first Customer instead of creating another (which would split the saved
 * cards). Stripe keeps a key at least 24 hours; by then the search has long
 * caught up.
 */
export function customerCreationKey(account: string | null, hostId: string, replacing?: string | null): string {
  // Replacing a deleted Customer: the plain key would replay it for 24 hours. Named after it, every process
  // replacing that one Customer creates the same new one.
  const tail = replacing ? `:replacing:${replacing}` : '';
  const key = `payhost:customer:${account ?? 'platform'}:${hostId}${tail}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `payhost:customer:${account ?? 'platform'}:sha256:${createHash('sha256').update(hostId).digest('hex')}${tail}`;
}

function isIdempotencyError(err: unknown): boolean {
  const e = err as { type?: unknown; rawType?: unknown } | null;
  return e?.type === 'StripeIdempotencyError' || e?.rawType === 'idempotency_error';
}

/**
 * Finds or creates the Stripe customer of a host customer. The creation is
 * keyed on the host customer (customerCreationKey), and its body depends on
 * nothing else (only the metadata linking it), as Stripe refuses a key
 * reused with another body: the email and name of the payment are set by an
 * update afterwards (keyed on the operation). Should Stripe still answer
 * idempotency_error (the key was used with another body), the customer is
 * searched for again. A replayed creation (another call made it, within 24
 * hours) answers the Customer as first created, though it may have been
 * deleted since (the search, which no longer lists it, is why it is created
 * again): it is read, and a deleted one is replaced (liveCreation).
 */
export async function ensureCustomer(stripe: Stripe, cache: CustomerCache, ctx: CallContext, lookup: CustomerLookup): Promise<string | null> {
  const existing = await findCustomer(stripe, cache, ctx, lookup);
  const hostId = lookup.customerId;
  if (existing || !hostId) return existing;
  let customer: Stripe.Customer;
  try {
    customer = await liveCreation(stripe, ctx, hostId, lookup.replacing ?? null);
  } catch (err) {
    if (!isIdempotencyError(err)) throw err;
    const found = await findCustomer(stripe, cache, ctx, { customerId: hostId, replacing: lookup.replacing ?? null });
    if (found) return found;
    throw new Error(`Stripe refused to create the Customer of ${hostId} (its idempotency key was used with other parameters) and its search does not find one yet: try again later`, { cause: err });
  }
  cache.set(ctx.account, hostId, customer.id);
  const details: Stripe.CustomerUpdateParams = {};
  if (lookup.email && lookup.email !== customer.email) details.email = lookup.email;
  if (lookup.name && lookup.name !== customer.name) details.name = lookup.name;
  if (Object.keys(details).length > 0) {
    // The payment goes on without the contact details: they only label the Customer in the Dashboard.
    await stripe.customers.update(customer.id, details, mutating(ctx, 'customer')).catch(() => undefined);
  }
  return customer.id;
}

/** Replacements followed in one lookup (each a Customer deleted at Stripe within the key's 24 hours). */
const MAX_REPLACEMENTS = 3;

/**
 * Creates the host customer's Customer (keyed, replacing `replacing`). A replayed answer whose Customer
 * Stripe now shows deleted (or does not have) is replaced: created again under the key naming it.
 */
async function liveCreation(stripe: Stripe, ctx: CallContext, hostId: string, replacing: string | null): Promise<Stripe.Customer> {
  const params: Stripe.CustomerCreateParams = { metadata: { [HOST_CUSTOMER_KEY]: hostId } };
  let replaced = replacing;
  for (let round = 0; ; round++) {
    const options: Stripe.RequestOptions = { ...reading(ctx), idempotencyKey: customerCreationKey(ctx.account, hostId, replaced) };
    const customer = await stripe.customers.create(params, options);
    if (!(await deletedSince(stripe, ctx, customer))) return customer;
    if (round >= MAX_REPLACEMENTS) throw new Error(`Stripe answers the creation of the Customer of ${hostId} with deleted Customers (last ${customer.id}): try again later`);
    replaced = customer.id;
  }
}

/** Whether a creation's answer is a Customer Stripe no longer has: deleted in the answer, or, for a replayed answer, now. */
async function deletedSince(stripe: Stripe, ctx: Pick<CallContext, 'account'>, customer: Stripe.Customer): Promise<boolean> {
  if ((customer as { deleted?: unknown }).deleted === true) return true;
  if (!wasReplayed(customer)) return false;
  try {
    const now = await stripe.customers.retrieve(customer.id, {}, reading(ctx));
    return 'deleted' in now && now.deleted === true;
  } catch (err) {
    // A failed read says nothing: the replayed Customer is used, and a call refusing it replaces it (goneCachedCustomer).
    return customerGone(err, customer.id);
  }
}

/** The customer's saved cards, newest first. */
export async function listCards(stripe: Stripe, ctx: Pick<CallContext, 'account'>, customer: string): Promise<Stripe.PaymentMethod[]> {
  const list = await stripe.paymentMethods.list({ customer, type: 'card', limit: 100 }, reading(ctx));
  return list.data;
}

/** The card to charge off-session: the one asked for, else the customer's default, else the newest. */
export async function savedCard(stripe: Stripe, ctx: Pick<CallContext, 'account'>, customer: string, wanted: string | null): Promise<Stripe.PaymentMethod | null> {
  const cards = await listCards(stripe, ctx, customer);
  if (wanted) return cards.find((c) => c.id === wanted) ?? null;
  const full = await stripe.customers.retrieve(customer, {}, reading(ctx));
  const preferred = 'deleted' in full && full.deleted ? null : (full as Stripe.Customer).invoice_settings?.default_payment_method;
  const preferredId = typeof preferred === 'string' ? preferred : (preferred?.id ?? null);
  return cards.find((c) => c.id === preferredId) ?? cards[0] ?? null;
}

export function toSource(pm: Stripe.PaymentMethod, gateway: string): CustomerSource {
  const info: CreditCardInfo | null = cardInfoOf(pm);
  return { id: pm.id, gateway, creditCardInfo: info };
}

/** Detaches a saved card after checking it belongs to the customer; false when it does not. */
export async function deleteCard(stripe: Stripe, ctx: CallContext, customer: string, paymentMethodId: string): Promise<boolean> {
  const pm = await stripe.paymentMethods.retrieve(paymentMethodId, {}, reading(ctx));
  const owner = typeof pm.customer === 'string' ? pm.customer : (pm.customer?.id ?? null);
  if (owner !== customer) return false;
  await stripe.paymentMethods.detach(paymentMethodId, {}, mutating(ctx, 'detach'));
  return true;
}
