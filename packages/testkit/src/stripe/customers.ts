import { magicCard } from './cards.js';
import { invalidRequest, notFound } from './errors.js';
import { customerShape, listShape, paymentMethodShape, type Json } from './fixtures.js';
import { list, obj, str, stringMap, int } from './form.js';
import type { HandlerContext } from './state.js';

const DELETED = '__deleted';

/** A PaymentMethod of the account; a magic id (pm_card_visa, tok_visa) becomes a new concrete one, as at Stripe. */
export function resolvePaymentMethod(ctx: HandlerContext, id: string, param = 'payment_method'): Json {
  const existing = ctx.store.paymentMethods.get(id);
  if (existing) return existing;
  const card = magicCard(id);
  if (!card) throw notFound('PaymentMethod', id, param);
  const pm = paymentMethodShape();
  pm['id'] = ctx.state.nextId('pm');
  pm['card'] = {
    brand: card.brand,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
    country: card.country,
    display_brand: card.brand,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    fingerprint: `fp${card.last4}${card.brand}`,
    funding: card.funding,
    generated_from: null,
    last4: card.last4,
    networks: { available: [card.brand], preferred: null },
    three_d_secure_usage: { supported: card.threeDSecure !== 'not_supported' },
    wallet: null,
    regulated_status: 'unregulated',
  };
  ctx.store.paymentMethods.set(pm['id'] as string, pm);
  ctx.store.cardOf.set(pm['id'] as string, card);
  return pm;
}

export function customerOrThrow(ctx: HandlerContext, id: string, param = 'customer'): Json {
  const customer = ctx.store.customers.get(id);
  if (!customer || customer[DELETED]) throw notFound('customer', id, param);
  return customer;
}

export function view(customer: Json): Json {
  if (customer[DELETED]) return { id: customer['id'], object: 'customer', deleted: true };
  return customer;
}

export function attachPaymentMethod(ctx: HandlerContext, pmId: string, customerId: string): Json {
  customerOrThrow(ctx, customerId);
  const pm = resolvePaymentMethod(ctx, pmId);
  if (pm['customer'] && pm['customer'] !== customerId) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', { code: 'payment_method_unexpected_state' });
  }
  if (pm['customer'] !== customerId) {
    pm['customer'] = customerId;
    ctx.state.emit('payment_method.attached', pm, ctx.store.id);
  }
  return pm;
}

export function detachPaymentMethod(ctx: HandlerContext, pmId: string): Json {
  const pm = ctx.store.paymentMethods.get(pmId);
  if (!pm) throw notFound('PaymentMethod', pmId);
  if (!pm['customer']) {
    throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.', { code: 'payment_method_unexpected_state' });
  }
  const customer = ctx.store.customers.get(pm['customer'] as string);
  const settings = customer?.['invoice_settings'] as Json | undefined;
  if (settings && settings['default_payment_method'] === pmId) settings['default_payment_method'] = null;
  pm['customer'] = null;
  ctx.state.emit('payment_method.detached', pm, ctx.store.id);
  return pm;
}

export function listPaymentMethods(ctx: HandlerContext, customerId: string | undefined, url: string): Json {
  if (customerId) customerOrThrow(ctx, customerId);
  const type = str(ctx.form, 'type');
  const limit = int(ctx.form, 'limit') ?? 10;
  const data = [...ctx.store.paymentMethods.values()]
    .filter((pm) => (customerId ? pm['customer'] === customerId : true) && (!type || pm['type'] === type))
    .reverse()
    .slice(0, limit);
  return listShape(data, url);
}

function applyCustomerParams(ctx: HandlerContext, customer: Json): void {
  for (const key of ['email', 'name', 'description', 'phone']) {
    const value = str(ctx.form, key);
    if (value !== undefined) customer[key] = value === '' ? null : value;
  }
  const metadata = stringMap(ctx.form, 'metadata');
  const merged = { ...(customer['metadata'] as Record<string, string>), ...metadata };
  for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
  customer['metadata'] = merged;
}

function setDefaultPaymentMethod(ctx: HandlerContext, customer: Json): void {
  const settings = obj(ctx.form, 'invoice_settings');
  const pmId = typeof settings['default_payment_method'] === 'string' ? settings['default_payment_method'] : undefined;
  if (pmId === undefined) return;
  const pm = ctx.store.paymentMethods.get(pmId);
  if (pmId !== '' && (!pm || pm['customer'] !== customer['id'])) {
    throw invalidRequest(`No such PaymentMethod: '${pmId}'; it must be attached to the customer first.`, { param: 'invoice_settings[default_payment_method]' });
  }
  (customer['invoice_settings'] as Json)['default_payment_method'] = pmId === '' ? null : pmId;
}

export function createCustomer(ctx: HandlerContext): Json {
  const customer = customerShape();
  customer['id'] = ctx.state.nextId('cus');
  applyCustomerParams(ctx, customer);
  ctx.store.customers.set(customer['id'] as string, customer);
  ctx.state.indexLater(customer['id'] as string);
  const pmId = str(ctx.form, 'payment_method');
  if (pmId) attachPaymentMethod(ctx, pmId, customer['id'] as string);
  setDefaultPaymentMethod(ctx, customer);
  ctx.state.emit('customer.created', customer, ctx.store.id);
  return customer;
}

export function updateCustomer(ctx: HandlerContext, id: string): Json {
  const customer = customerOrThrow(ctx, id);
  applyCustomerParams(ctx, customer);
  setDefaultPaymentMethod(ctx, customer);
  ctx.state.emit('customer.updated', customer, ctx.store.id);
  return customer;
}

export function deleteCustomer(ctx: HandlerContext, id: string): Json {
  const customer = customerOrThrow(ctx, id);
  for (const pm of ctx.store.paymentMethods.values()) if (pm['customer'] === id) pm['customer'] = null;
  customer[DELETED] = true;
  ctx.state.emit('customer.deleted', customer, ctx.store.id);
  return view(customer);
}

function active(ctx: HandlerContext): Json[] {
  return [...ctx.store.customers.values()].filter((c) => !c[DELETED]).reverse();
}

export function listCustomers(ctx: HandlerContext): Json {
  const email = str(ctx.form, 'email');
  const limit = int(ctx.form, 'limit') ?? 10;
  return listShape(active(ctx).filter((c) => !email || c['email'] === email).slice(0, limit), '/v1/customers');
}

/** Stripe's search language, the part hosts use: `metadata['k']:'v'`, `email:'x'`, `status:'y'`, joined by AND. */
export function searchMatcher(query: string): (object: Json) => boolean {
  const clauses = query.split(/\s+AND\s+/i).map((clause) => {
    const meta = /^metadata\[['"]([^'"]+)['"]\]\s*:\s*['"]([^'"]*)['"]$/.exec(clause.trim());
    if (meta) return (o: Json) => ((o['metadata'] ?? {}) as Record<string, string>)[meta[1] as string] === meta[2];
    const field = /^(email|name|phone|status|customer)\s*:\s*['"]([^'"]*)['"]$/.exec(clause.trim());
    if (field) return (o: Json) => o[field[1] as string] === field[2];
    throw invalidRequest(`Unsupported search query clause: ${clause}`, { param: 'query' });
  });
  return (object) => clauses.every((match) => match(object));
}

/** A search: only what the search index holds already (objects older than the fake's searchIndexDelayMs). */
export function searchResult(ctx: HandlerContext, objects: Json[], url: string): Json {
  const match = searchMatcher(str(ctx.form, 'query') ?? '');
  const limit = int(ctx.form, 'limit') ?? 10;
  const indexed = objects.filter((o) => ctx.state.searchable(o['id'] as string));
  return { object: 'search_result', data: indexed.filter(match).slice(0, limit), has_more: false, next_page: null, url };
}

export function searchCustomers(ctx: HandlerContext): Json {
  return searchResult(ctx, active(ctx), '/v1/customers/search');
}

/** `expand[]` support for the fields the plugin expands. */
export function expand(ctx: HandlerContext, object: Json): Json {
  const fields = list(ctx.form, 'expand');
  if (fields.length === 0) return object;
  const out: Json = { ...object };
  for (const field of fields) {
    const id = out[field];
    if (typeof id !== 'string') continue;
    if (field === 'payment_method') out[field] = ctx.store.paymentMethods.get(id) ?? id;
    else if (field === 'latest_charge' || field === 'charge') out[field] = ctx.store.charges.get(id) ?? id;
    else if (field === 'customer') out[field] = ctx.store.customers.get(id) ?? id;
  }
  return out;
}
