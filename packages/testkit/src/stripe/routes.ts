import {
  attachPaymentMethod,
  createCustomer,
  customerOrThrow,
  deleteCustomer,
  detachPaymentMethod,
  expand,
  listCustomers,
  listPaymentMethods,
  searchCustomers,
  searchResult,
  updateCustomer,
  view,
} from './customers.js';
import { notFound } from './errors.js';
import type { Json } from './fixtures.js';
import { list, str } from './form.js';
import { cancelPaymentIntent, capturePaymentIntent, confirmPaymentIntent, createPaymentIntent, intentOrThrow, updatePaymentIntent } from './intents.js';
import { chargeRefunds, createRefund, listRefunds, refundOrThrow } from './refunds.js';
import { cancelSetupIntent, confirmSetupIntent, createSetupIntent, setupIntentOrThrow } from './setup-intents.js';
import type { HandlerContext } from './state.js';

type Handler = (ctx: HandlerContext, id: string) => Json;

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
}

const ID = '([A-Za-z0-9_]+)';

function route(method: Route['method'], path: string, handler: Handler): Route {
  return { method, pattern: new RegExp(`^${path.replace(':id', ID)}$`), handler };
}

/** Responses with `expand[]` applied, as the SDK asks for them. */
const expanded =
  (handler: Handler): Handler =>
  (ctx, id) =>
    expand(ctx, handler(ctx, id));

const ROUTES: Route[] = [
  route('POST', '/v1/payment_intents', expanded((ctx) => createPaymentIntent(ctx))),
  route('GET', '/v1/payment_intents/search', (ctx) => searchResult(ctx, [...ctx.store.paymentIntents.values()].reverse(), '/v1/payment_intents/search')),
  route('GET', '/v1/payment_intents/:id', expanded((ctx, id) => intentOrThrow(ctx, id))),
  route('POST', '/v1/payment_intents/:id', expanded(updatePaymentIntent)),
  route('POST', '/v1/payment_intents/:id/confirm', expanded(confirmPaymentIntent)),
  route('POST', '/v1/payment_intents/:id/capture', expanded(capturePaymentIntent)),
  route('POST', '/v1/payment_intents/:id/cancel', expanded(cancelPaymentIntent)),

  route('POST', '/v1/setup_intents', expanded((ctx) => createSetupIntent(ctx))),
  route('GET', '/v1/setup_intents/:id', expanded((ctx, id) => setupIntentOrThrow(ctx, id))),
  route('POST', '/v1/setup_intents/:id/confirm', expanded(confirmSetupIntent)),
  route('POST', '/v1/setup_intents/:id/cancel', expanded(cancelSetupIntent)),

  route('POST', '/v1/refunds', (ctx) => createRefund(ctx)),
  route('GET', '/v1/refunds', (ctx) => listRefunds(ctx)),
  route('GET', '/v1/refunds/:id', (ctx, id) => refundOrThrow(ctx, id)),

  route('GET', '/v1/charges/:id', (ctx, id) => {
    const charge = ctx.store.charges.get(id);
    if (!charge) throw notFound('charge', id);
    return list(ctx.form, 'expand').includes('refunds') ? { ...charge, refunds: chargeRefunds(ctx.store, charge) } : charge;
  }),

  route('POST', '/v1/customers', (ctx) => createCustomer(ctx)),
  route('GET', '/v1/customers', (ctx) => listCustomers(ctx)),
  route('GET', '/v1/customers/search', (ctx) => searchCustomers(ctx)),
  route('GET', '/v1/customers/:id', (ctx, id) => {
    const customer = ctx.store.customers.get(id);
    if (!customer) throw notFound('customer', id);
    return view(customer);
  }),
  route('POST', '/v1/customers/:id', updateCustomer),
  route('DELETE', '/v1/customers/:id', deleteCustomer),
  route('GET', '/v1/customers/:id/payment_methods', (ctx, id) => listPaymentMethods(ctx, customerOrThrow(ctx, id)['id'] as string, `/v1/customers/${id}/payment_methods`)),

  route('GET', '/v1/payment_methods', (ctx) => listPaymentMethods(ctx, str(ctx.form, 'customer'), '/v1/payment_methods')),
  route('GET', '/v1/payment_methods/:id', (ctx, id) => {
    const pm = ctx.store.paymentMethods.get(id);
    if (!pm) throw notFound('PaymentMethod', id);
    return pm;
  }),
  route('POST', '/v1/payment_methods/:id/attach', (ctx, id) => attachPaymentMethod(ctx, id, str(ctx.form, 'customer') ?? '')),
  route('POST', '/v1/payment_methods/:id/detach', detachPaymentMethod),

  route('GET', '/v1/events', (ctx) => {
    const type = str(ctx.form, 'type');
    const data = ctx.state.events.filter((e) => (e['account'] ?? null) === ctx.store.id && (!type || e['type'] === type)).reverse();
    return { object: 'list', data, has_more: false, url: '/v1/events' };
  }),
  route('GET', '/v1/events/:id', (ctx, id) => {
    const event = ctx.state.events.find((e) => e['id'] === id && (e['account'] ?? null) === ctx.store.id);
    if (!event) throw notFound('event', id);
    return event;
  }),
];

/** Finds the handler for a request; null when the fake does not know the path (404 at Stripe). */
export function matchRoute(method: string, path: string): { handler: Handler; id: string } | null {
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match) return { handler: candidate.handler, id: match[1] ?? '' };
  }
  return null;
}
