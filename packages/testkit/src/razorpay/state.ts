import { randomBytes } from 'node:crypto';

/** Razorpay's error body (`{ error: {...} }`), as its API returns it. */
export interface RazorpayErrorBody {
  code: string;
  description: string;
  source?: string | null;
  step?: string | null;
  reason?: string | null;
  field?: string | null;
  metadata?: Record<string, unknown>;
}

export interface FakeOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Record<string, string>;
  created_at: number;
}

export type FakePaymentStatus = 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';

export interface FakePayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: FakePaymentStatus;
  order_id: string;
  method: string;
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  captured: boolean;
  description: string | null;
  email: string;
  contact: string;
  notes: Record<string, string>;
  fee: number | null;
  tax: number | null;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface FakeRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: Record<string, string>;
  receipt: string | null;
  status: 'pending' | 'processed' | 'failed';
  speed_requested: string;
  speed_processed: string;
  created_at: number;
}

export class RazorpayApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: RazorpayErrorBody,
  ) {
    super(body.description);
  }
}

export function badRequest(description: string, extra: Partial<RazorpayErrorBody> = {}): RazorpayApiError {
  return new RazorpayApiError(400, {
    code: 'BAD_REQUEST_ERROR',
    description,
    source: 'business',
    step: 'payment_initiation',
    reason: 'input_validation_failed',
    field: null,
    metadata: {},
    ...extra,
  });
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function razorpayId(prefix: string): string {
  const bytes = randomBytes(14);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${id}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function positiveInt(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw badRequest(`The ${field} must be an integer greater than 0.`, { field });
  return n;
}

function notes(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** Orders, payments and refunds of one fake Razorpay account, with the API's rules. */
export class RazorpayState {
  readonly orders = new Map<string, FakeOrder>();
  readonly payments = new Map<string, FakePayment>();
  readonly refunds = new Map<string, FakeRefund>();

  createOrder(body: Record<string, unknown>): FakeOrder {
    const amount = positiveInt(body['amount'], 'amount');
    const currency = typeof body['currency'] === 'string' ? body['currency'] : 'INR';
    if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('The currency is invalid.', { field: 'currency' });
    const receipt = typeof body['receipt'] === 'string' ? body['receipt'] : null;
    if (receipt !== null && receipt.length > 40) throw badRequest('The receipt may not be greater than 40 characters.', { field: 'receipt' });
    // Razorpay refuses a receipt already used by another order of the account (its error index for orders:
    // "Reuse a receipt already on your account" -> 400 "Order receipt should be unique.", naming that order).
    const taken = receipt === null ? undefined : [...this.orders.values()].find((o) => o.receipt === receipt);
    if (taken) throw badRequest('Order receipt should be unique.', { metadata: { order_id: taken.id } });
    const order: FakeOrder = {
      id: razorpayId('order'),
      entity: 'order',
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency,
      receipt,
      offer_id: null,
      status: 'created',
      attempts: 0,
      notes: notes(body['notes']),
      created_at: now(),
    };
    this.orders.set(order.id, order);
    return order;
  }

  order(id: string): FakeOrder {
    const order = this.orders.get(id);
    if (!order) throw badRequest('The id provided does not exist', { field: 'id' });
    return order;
  }

  payment(id: string): FakePayment {
    const payment = this.payments.get(id);
    if (!payment) throw badRequest('The id provided does not exist', { field: 'id' });
    return payment;
  }

  /** The customer pays an order in Checkout: a payment in `status`, failed ones with Razorpay's error fields. */
  pay(orderId: string, status: FakePaymentStatus, error: Partial<RazorpayErrorBody> | null, paymentNotes: Record<string, string>): FakePayment {
    const order = this.order(orderId);
    const payment: FakePayment = {
      id: razorpayId('pay'),
      entity: 'payment',
      amount: order.amount,
      currency: order.currency,
      status,
      order_id: order.id,
      method: 'card',
      amount_refunded: 0,
      refund_status: null,
      captured: status === 'captured',
      description: null,
      email: 'buyer@example.com',
      contact: '+919000090000',
      notes: { ...order.notes, ...paymentNotes },
      fee: status === 'captured' ? Math.round(order.amount * 0.02) : null,
      tax: status === 'captured' ? 0 : null,
      error_code: status === 'failed' ? (error?.code ?? 'BAD_REQUEST_ERROR') : null,
      error_description: status === 'failed' ? (error?.description ?? 'Payment failed') : null,
      error_source: status === 'failed' ? (error?.source ?? 'customer') : null,
      error_step: status === 'failed' ? (error?.step ?? 'payment_authorization') : null,
      error_reason: status === 'failed' ? (error?.reason ?? 'payment_failed') : null,
      created_at: now(),
    };
    this.payments.set(payment.id, payment);
    order.attempts += 1;
    // Razorpay marks an order paid once one of its payments is captured; until then (failed, or only authorized) it is attempted.
    if (status === 'captured') this.markPaid(order);
    else if (order.status !== 'paid') order.status = 'attempted';
    return payment;
  }

  private markPaid(order: FakeOrder): void {
    order.status = 'paid';
    order.amount_paid = order.amount;
    order.amount_due = 0;
  }

  capture(id: string, body: Record<string, unknown>): FakePayment {
    const payment = this.payment(id);
    if (payment.status === 'captured' || payment.status === 'refunded') throw badRequest('This payment has already been captured');
    if (payment.status !== 'authorized') throw badRequest('Only payments which have been authorized and not yet captured can be captured');
    const amount = positiveInt(body['amount'], 'amount');
    if (amount !== payment.amount) throw badRequest('Capture amount must be equal to the amount authorized', { field: 'amount' });
    if (body['currency'] !== undefined && body['currency'] !== payment.currency) {
      throw badRequest('The currency should be the same as the payment currency', { field: 'currency' });
    }
    payment.status = 'captured';
    payment.captured = true;
    payment.fee = Math.round(payment.amount * 0.02);
    payment.tax = 0;
    if (payment.order_id) this.markPaid(this.order(payment.order_id));
    return payment;
  }

  /** The status new refunds get: 'processed' (default), or 'pending' / 'failed' as Razorpay may answer. */
  refundStatus: FakeRefund['status'] = 'processed';
  /** X-Refund-Idempotency keys seen: the refund each made, and the body it was made with. */
  private readonly refundKeys = new Map<string, { refund: FakeRefund; body: string }>();

  /**
   * Creates a refund. With an idempotency key (X-Refund-Idempotency), the same
   * key and body answer the refund made first; another body is refused.
   */
  refund(id: string, body: Record<string, unknown>, idempotencyKey?: string): FakeRefund {
    if (idempotencyKey !== undefined) {
      if (!/^[A-Za-z0-9_-]{10,}$/.test(idempotencyKey)) throw badRequest('The idempotency key is invalid.', { field: 'X-Refund-Idempotency' });
      const seen = this.refundKeys.get(idempotencyKey);
      if (seen && seen.body === JSON.stringify(body)) return seen.refund;
      if (seen) throw badRequest('Different request with the same idempotency key has already been processed.', { source: 'NA', step: 'NA', reason: 'NA' });
      const refund = this.newRefund(id, body);
      this.refundKeys.set(idempotencyKey, { refund, body: JSON.stringify(body) });
      return refund;
    }
    return this.newRefund(id, body);
  }

  /** Settles a pending refund as processed, or failed (the amount is no longer refunded). */
  settleRefund(id: string, status: 'processed' | 'failed'): FakeRefund {
    const refund = this.findRefund(id);
    if (refund.status !== 'pending') throw new Error(`refund ${id} is ${refund.status}, not pending`);
    refund.status = status;
    if (status === 'failed') this.unrefund(refund);
    return refund;
  }

  private unrefund(refund: FakeRefund): void {
    const payment = this.payment(refund.payment_id);
    payment.amount_refunded -= refund.amount;
    payment.refund_status = payment.amount_refunded === 0 ? null : 'partial';
    if (payment.status === 'refunded') payment.status = 'captured';
  }

  /**
   * Razorpay's auto-refund of an authorization never captured (capture
   * timeout, a duplicate payment on a paid order): a processed refund of the
   * whole amount, while the payment stays `captured: false`.
   */
  autoRefund(paymentId: string): FakeRefund {
    const payment = this.payment(paymentId);
    if (payment.status !== 'authorized') throw new Error(`payment ${paymentId} is ${payment.status}: only authorized payments are auto-refunded`);
    const refund: FakeRefund = {
      id: razorpayId('rfnd'),
      entity: 'refund',
      amount: payment.amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes: {},
      receipt: null,
      status: 'processed',
      speed_requested: 'normal',
      speed_processed: 'normal',
      created_at: now(),
    };
    this.refunds.set(refund.id, refund);
    payment.amount_refunded = payment.amount;
    payment.refund_status = 'full';
    payment.status = 'refunded';
    return refund;
  }

  /** PATCH /payments/:id: only the notes can change (Razorpay replaces them). */
  editPayment(id: string, body: Record<string, unknown>): FakePayment {
    const payment = this.payment(id);
    if (body['notes'] !== undefined) payment.notes = notes(body['notes']);
    return payment;
  }

  private newRefund(id: string, body: Record<string, unknown>): FakeRefund {
    const payment = this.payment(id);
    if (payment.status !== 'captured' && payment.status !== 'refunded') {
      throw badRequest('The payment has not been captured', { field: 'payment_id' });
    }
    const left = payment.amount - payment.amount_refunded;
    if (left <= 0) throw badRequest('The payment has been fully refunded already');
    const amount = body['amount'] === undefined ? left : positiveInt(body['amount'], 'amount');
    if (amount > left) throw badRequest('The refund amount provided is greater than amount captured', { field: 'amount' });
    const refund: FakeRefund = {
      id: razorpayId('rfnd'),
      entity: 'refund',
      amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes: notes(body['notes']),
      receipt: typeof body['receipt'] === 'string' ? body['receipt'] : null,
      status: this.refundStatus,
      speed_requested: typeof body['speed'] === 'string' ? body['speed'] : 'normal',
      speed_processed: 'normal',
      created_at: now(),
    };
    this.refunds.set(refund.id, refund);
    payment.amount_refunded += amount;
    payment.refund_status = payment.amount_refunded === payment.amount ? 'full' : 'partial';
    if (payment.refund_status === 'full') payment.status = 'refunded';
    if (refund.status === 'failed') this.unrefund(refund);
    return refund;
  }

  refundsOf(paymentId: string): FakeRefund[] {
    this.payment(paymentId);
    return [...this.refunds.values()].filter((r) => r.payment_id === paymentId);
  }

  findRefund(id: string): FakeRefund {
    const refund = this.refunds.get(id);
    if (!refund) throw badRequest('The id provided does not exist', { field: 'id' });
    return refund;
  }

  reset(): void {
    this.orders.clear();
    this.payments.clear();
    this.refunds.clear();
    this.refundKeys.clear();
    this.refundStatus = 'processed';
  }
}

/** Razorpay's collection envelope, newest first, with count/skip/from/to. */
export function collection<T extends { created_at: number }>(items: T[], query: Record<string, string>): { entity: 'collection'; count: number; items: T[] } {
  const count = Math.min(Number(query['count'] ?? 10) || 10, 100);
  const skip = Number(query['skip'] ?? 0) || 0;
  const from = query['from'] ? Number(query['from']) : null;
  const to = query['to'] ? Number(query['to']) : null;
  const filtered = items.filter((i) => (from === null || i.created_at >= from) && (to === null || i.created_at <= to));
  const page = filtered.reverse().slice(skip, skip + count);
  return { entity: 'collection', count: page.length, items: page };
}
