import type { CreditCardInfo, CustomerSource, PaymentData } from '@payhost/core';
import type Stripe from 'stripe';
import { mutating, reading, type CallContext } from './client.js';
import { cardInfoOf } from './status-mapping.js';

/** Metadata key linking a Stripe Customer to the host's customer id. */
export const HOST_CUSTOMER_KEY = 'payhost_customer_id';

const STRIPE_CUSTOMER = /^cus_[A-Za-z0-9]+$/;

function escapeQuery(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/**
 * Remembers host customer -> Stripe customer per account, so a customer is
 * found without a search (Stripe's search index lags writes by up to a minute).
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
}

/** The Stripe customer id a payment names: data.gatewayCustomerId (the ledger's card on file), or a cus_ customerId. */
export function explicitCustomer(payment: Pick<PaymentData, 'customerId' | 'data'>): string | null {
  const fromData = payment.data?.['gatewayCustomerId'] ?? payment.data?.['stripeCustomerId'];
  if (typeof fromData === 'string' && STRIPE_CUSTOMER.test(fromData)) return fromData;
  if (payment.customerId && STRIPE_CUSTOMER.test(payment.customerId)) return payment.customerId;
  return null;
}

export interface CustomerLookup {
  customerId: string | null;
  email?: string | null;
  name?: string | null;
  explicit?: string | null;
}

/** Finds the Stripe customer of a host customer (cache, then search by metadata); null when there is none. */
export async function findCustomer(stripe: Stripe, cache: CustomerCache, ctx: Pick<CallContext, 'account'>, lookup: CustomerLookup): Promise<string | null> {
  if (lookup.explicit) return lookup.explicit;
  const hostId = lookup.customerId;
  if (!hostId) return null;
  if (STRIPE_CUSTOMER.test(hostId)) return hostId;
  const cached = cache.get(ctx.account, hostId);
  if (cached) return cached;
  const found = await stripe.customers.search({ query: `metadata['${HOST_CUSTOMER_KEY}']:'${escapeQuery(hostId)}'`, limit: 1 }, reading(ctx));
  const id = found.data[0]?.id ?? null;
  if (id) cache.set(ctx.account, hostId, id);
  return id;
}

/** Finds or creates the Stripe customer of a host customer (the create is keyed on the operation's idempotency key). */
export async function ensureCustomer(stripe: Stripe, cache: CustomerCache, ctx: CallContext, lookup: CustomerLookup): Promise<string | null> {
  const existing = await findCustomer(stripe, cache, ctx, lookup);
  if (existing || !lookup.customerId) return existing;
  const params: Stripe.CustomerCreateParams = { metadata: { [HOST_CUSTOMER_KEY]: lookup.customerId } };
  if (lookup.email) params.email = lookup.email;
  if (lookup.name) params.name = lookup.name;
  const customer = await stripe.customers.create(params, mutating(ctx, 'customer'));
  cache.set(ctx.account, lookup.customerId, customer.id);
  return customer.id;
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
