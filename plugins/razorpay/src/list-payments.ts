import type { Decimal } from '@payhost/core';
import { fromRazorpayAmount } from './amounts.js';
import { noteOwner } from './binding.js';
import type { RzpOrder, RzpPayment } from './client.js';
import { mayHaveActed } from './errors.js';
import { signedNoteOwner } from './note-signature.js';
import type { RazorpayContext } from './operations.js';

/** One payment as listed for reconciliation. */
export interface RazorpayPaymentRecord {
  pspReference: string;
  status: RzpPayment['status'];
  amount: Decimal;
  amountRefunded: Decimal;
  currency: string;
  orderId: string | null;
  /**
   * The host's payment id, told as the webhooks tell it: the payment's order's note (written by the server),
   * else a payment note the plugin signed when it claimed the payment. Null otherwise: an unsigned payment
   * note may be the customer's (Checkout's `notes` option) and is not reported.
   */
  paymentId: string | null;
  createdAt: Date;
}

export interface ListPaymentsQuery {
  from?: Date;
  to?: Date;
  /** Page size, at most 100; default 100. */
  count?: number;
  skip?: number;
}

/** Order fetches in flight at once while listing (a page has up to 100 payments, each maybe with its own order). */
const ORDER_FETCHES_AT_ONCE = 5;

/**
 * The orders' notes, each order fetched once. An order Razorpay refuses for good (a 4xx with its error body:
 * its live API serves orders up to 180 days old) maps to null; any other failure rejects the listing, as a
 * failed page would, rather than report those payments as naming nobody.
 */
async function orderOwners(ctx: RazorpayContext, orderIds: readonly string[]): Promise<Map<string, string | null>> {
  const owners = new Map<string, string | null>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < orderIds.length) {
      const id = orderIds[next++] as string;
      let order: RzpOrder;
      try {
        order = await ctx.api.orders.fetch(id);
      } catch (err) {
        if (mayHaveActed(err)) throw err;
        owners.set(id, null);
        continue;
      }
      owners.set(id, noteOwner(order));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ORDER_FETCHES_AT_ONCE, orderIds.length) }, worker));
  return owners;
}

/** Lists the account's payments (newest first) with amounts as Decimals, for reconciliation reports. */
export async function listPayments(ctx: RazorpayContext, query: ListPaymentsQuery = {}): Promise<RazorpayPaymentRecord[]> {
  const page = await ctx.api.payments.all({
    ...(query.from ? { from: Math.floor(query.from.getTime() / 1000) } : {}),
    ...(query.to ? { to: Math.floor(query.to.getTime() / 1000) } : {}),
    count: Math.min(query.count ?? 100, 100),
    skip: query.skip ?? 0,
  });
  const signed = new Map(page.items.map((p) => [p.id, signedNoteOwner(ctx.settings.keySecret, p)]));
  // A signed note is the plugin's claim, made only for a payment whose order named no host payment: no fetch needed.
  const unsignedOrders = [...new Set(page.items.filter((p) => signed.get(p.id) === null && p.order_id).map((p) => p.order_id as string))];
  const owners = await orderOwners(ctx, unsignedOrders);
  return page.items.map((p) => ({
    pspReference: p.id,
    status: p.status,
    amount: fromRazorpayAmount(p.amount, p.currency),
    amountRefunded: fromRazorpayAmount(p.amount_refunded ?? 0, p.currency),
    currency: p.currency,
    orderId: p.order_id,
    paymentId: signed.get(p.id) ?? (p.order_id ? (owners.get(p.order_id) ?? null) : null),
    createdAt: new Date(p.created_at * 1000),
  }));
}
