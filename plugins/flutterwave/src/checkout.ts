import { ERROR_CODES, PayhostError, normalizeCurrency, parseAmount, type TokenConfig } from '@payhost/core';
import { toFlutterwaveAmount } from './amounts.js';
import { txRefSigningSecret, type FlutterwaveSettings } from './config.js';
import { issueTxRef } from './tx-ref.js';

/**
 * What `getClientToken` returns, JSON-encoded: the FlutterwaveCheckout
 * (Inline) options the browser needs. Browser:
 * `FlutterwaveCheckout({ ...JSON.parse(token), customer, callback })`.
 */
export interface FlutterwaveClientToken {
  public_key: string;
  tx_ref: string;
  /** Major units, as Inline takes them (1500.5 NGN). */
  amount: number;
  currency: string;
  payment_options?: string;
  customer?: { email: string };
}

/**
 * What `PaymentData.token` must hold for processPayment: Inline's callback
 * result, JSON-encoded — `{"transaction_id": 4000123, "tx_ref": "ph-…"}` (other
 * fields are ignored) — or just the transaction id ("4000123").
 */
export interface FlutterwaveToken {
  transactionId: number;
  txRef: string | null;
}

export function createClientToken(settings: FlutterwaveSettings, channel: string, input: TokenConfig): string {
  if (!input.currency || input.amount === null || input.amount === undefined) {
    throw new PayhostError(ERROR_CODES.invalidInput, 'Flutterwave needs an amount and a currency for Inline checkout', { gateway: 'payhost.flutterwave' });
  }
  const currency = normalizeCurrency(input.currency);
  if (!settings.currencies.includes(currency)) throw new PayhostError(ERROR_CODES.currencyNotSupported, `Flutterwave is not configured for ${currency}`, { currency });
  const exact = parseAmount(input.amount, currency);
  const amount = toFlutterwaveAmount(exact, currency);
  const paymentId = typeof input.data?.['paymentId'] === 'string' && input.data['paymentId'] !== '' ? input.data['paymentId'] : null;
  const email = input.data?.['customerEmail'];
  const token: FlutterwaveClientToken = {
    public_key: settings.publicKey,
    // Signed with the amount, so a webhook can tell a tampered Inline amount (see webhooks.ts).
    tx_ref: issueTxRef(txRefSigningSecret(settings), channel, paymentId, { amount: exact, currency }),
    amount,
    currency,
    ...(settings.paymentOptions ? { payment_options: settings.paymentOptions } : {}),
    ...(typeof email === 'string' && email !== '' ? { customer: { email } } : {}),
  };
  return JSON.stringify(token);
}

function transactionId(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^\d{1,15}$/.test(text) && Number(text) > 0 ? Number(text) : null;
}

/** Reads the token; a string explains what is wrong with it. */
export function parseToken(token: string | null | undefined): FlutterwaveToken | string {
  if (typeof token !== 'string' || token.trim() === '') {
    return 'No token was passed: expected the Flutterwave Inline result as JSON {transaction_id, tx_ref} or a transaction id';
  }
  const bare = transactionId(token);
  if (bare !== null) return { transactionId: bare, txRef: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    return 'The token is neither a Flutterwave transaction id nor JSON {transaction_id, tx_ref}';
  }
  const value = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const id = transactionId(value['transaction_id']);
  if (id === null) return 'The token has no valid transaction_id';
  const txRef = value['tx_ref'];
  return { transactionId: id, txRef: typeof txRef === 'string' && txRef !== '' ? txRef : null };
}

/** The Flutterwave transaction id an operation refers to: references (pspReference, gateway id), the token, or data.pspReference. */
export function resolveTransactionId(token: string | null | undefined, data: Record<string, unknown> | null | undefined, ...references: Array<string | null | undefined>): number | null {
  for (const ref of references) {
    const id = transactionId(ref);
    if (id !== null) return id;
  }
  const parsed = parseToken(token);
  if (typeof parsed !== 'string') return parsed.transactionId;
  return transactionId(data?.['pspReference']);
}
