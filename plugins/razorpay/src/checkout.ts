import { ERROR_CODES, PayhostError, normalizeCurrency, parseAmount, type TokenConfig } from '@payhost/core';
import { toRazorpayAmount } from './amounts.js';
import { isRazorpayId, type RazorpayApi } from './client.js';
import type { RazorpaySettings } from './config.js';
import { mapRazorpayError } from './errors.js';

/** Order note that ties a Razorpay order (and its payment) to the host's payment id. */
export const PAYMENT_ID_NOTE = 'payhost_payment_id';
/** Refund note carrying the host's idempotency key (finds a refund again on retry / reconciliation). */
export const IDEMPOTENCY_NOTE = 'payhost_idempotency_key';

/**
 * What `getClientToken` returns, JSON-encoded: exactly the Razorpay Checkout
 * options the browser needs, so it can do
 * `new Razorpay({ ...JSON.parse(token), handler })`.
 */
export interface RazorpayClientToken {
  key: string;
  order_id: string;
  /** Integer subunits (paise for INR). */
  amount: number;
  currency: string;
  name?: string;
  /** Copied by Checkout onto the payment, so webhooks name the host's payment. */
  notes?: Record<string, string>;
}

/**
 * What `PaymentData.token` must hold for processPayment / authorizePayment:
 * the object Razorpay Checkout hands its `handler`, JSON-encoded:
 * `{"razorpay_order_id": "...", "razorpay_payment_id": "...", "razorpay_signature": "..."}`.
 */
export interface RazorpayCheckoutToken {
  orderId: string;
  paymentId: string;
  signature: string;
}

function hostPaymentId(input: TokenConfig): string | null {
  const value = input.data?.['paymentId'];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Creates the Razorpay order for a checkout and returns the client token (JSON string). */
export async function createClientToken(api: RazorpayApi, settings: RazorpaySettings, input: TokenConfig): Promise<string> {
  if (!input.currency || input.amount === null || input.amount === undefined) {
    throw new PayhostError(ERROR_CODES.invalidInput, 'Razorpay needs an amount and a currency to create the checkout order', { gateway: 'payhost.razorpay' });
  }
  const currency = normalizeCurrency(input.currency);
  if (!settings.currencies.includes(currency)) {
    throw new PayhostError(ERROR_CODES.currencyNotSupported, `Razorpay is not configured for ${currency}`, { currency });
  }
  const amount = toRazorpayAmount(parseAmount(input.amount, currency), currency);
  const paymentId = hostPaymentId(input);
  const notes: Record<string, string> = paymentId ? { [PAYMENT_ID_NOTE]: paymentId } : {};
  // No receipt: Razorpay refuses a receipt another order of the account already has ("Order receipt should
  // be unique."), and one host payment may need several orders (a failed or abandoned checkout, a new attempt).
  // The order's notes name the payment.
  const order = await api.orders.create({ amount, currency, notes }).catch((err: unknown) => {
    throw orderRefusal(err);
  });
  const token: RazorpayClientToken = {
    key: settings.keyId,
    order_id: order.id,
    amount: order.amount,
    currency: order.currency,
    ...(settings.checkoutName ? { name: settings.checkoutName } : {}),
    ...(paymentId ? { notes } : {}),
  };
  return JSON.stringify(token);
}

/**
 * Why no order was created, as an error the host can act on: Razorpay's own refusal of the request
 * (a 4xx: an amount below its minimum, say) is invalid_input with its description, passed through by
 * the manager as it is; anything else (unreachable, a 5xx) an Error saying what failed, which the
 * manager reports as plugin_failed. Not Razorpay's plain rejection object, which read as "[object Object]".
 */
function orderRefusal(err: unknown): Error {
  const mapped = mapRazorpayError(err);
  const status = mapped.details['statusCode'];
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new PayhostError(ERROR_CODES.invalidInput, `Razorpay refused the checkout order: ${mapped.message}`, { gateway: 'payhost.razorpay', razorpay: mapped.details });
  }
  return new Error(`Razorpay could not create the checkout order: ${mapped.message}`);
}

/** Reads the checkout token; a string explains what is wrong with it. Ids are checked before they reach a URL. */
export function parseCheckoutToken(token: string | null | undefined): RazorpayCheckoutToken | string {
  if (typeof token !== 'string' || token.trim() === '') {
    return 'No token was passed: expected the Razorpay Checkout result as JSON {razorpay_order_id, razorpay_payment_id, razorpay_signature}';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    return 'The token is not JSON: expected the Razorpay Checkout result {razorpay_order_id, razorpay_payment_id, razorpay_signature}';
  }
  const value = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const orderId = value['razorpay_order_id'];
  const paymentId = value['razorpay_payment_id'];
  const signature = value['razorpay_signature'];
  if (!isRazorpayId(orderId, 'order')) return 'The token has no valid razorpay_order_id';
  if (!isRazorpayId(paymentId, 'pay')) return 'The token has no valid razorpay_payment_id';
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature.trim())) return 'The token has no valid razorpay_signature';
  return { orderId, paymentId, signature };
}

/**
 * The Razorpay payment id an operation refers to, from (in order) the
 * ledger's pspReference / gateway transaction id, the token (a `pay_...` id
 * or the checkout JSON), or `data.pspReference`. Null when none is valid.
 */
export function resolvePaymentId(token: string | null | undefined, data: Record<string, unknown> | null | undefined, ...references: Array<string | null | undefined>): string | null {
  for (const ref of references) if (isRazorpayId(ref, 'pay')) return ref;
  if (isRazorpayId(token, 'pay')) return token;
  const parsed = parseCheckoutToken(token);
  if (typeof parsed !== 'string') return parsed.paymentId;
  const fromData = data?.['pspReference'];
  return isRazorpayId(fromData, 'pay') ? fromData : null;
}
