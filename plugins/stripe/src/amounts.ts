import { Decimal, ERROR_CODES, PayhostError } from '@payhost/core';

/*
 * Amounts as Stripe's API takes them (https://docs.stripe.com/currencies),
 * which is not ISO 4217:
 * - zero-decimal currencies: the amount is in major units (JPY 500 -> 500),
 *   including MGA, which ISO gives two decimals;
 * - three-decimal currencies: thousandths, and the last digit must be 0
 *   (KWD 5.120 -> 5120; 5.125 is refused by Stripe);
 * - ISK and UGX (#special-cases): zero-decimal, but for backwards
 *   compatibility two decimals in the API that are always 00, so only whole
 *   units (ISK 5 -> 500, UGX 5 -> 500; Stripe refuses an amount not
 *   divisible by 100). UGX is listed among the zero-decimal currencies too:
 *   sent as one (UGX 5 -> 5) it would charge a hundredth of the price;
 * - every other currency, HUF and TWD included: two decimals (HUF and TWD
 *   are zero-decimal only for payouts, which this plugin does not make).
 * Every amount sent to or read from Stripe goes through this module.
 */

/** Stripe's zero-decimal currencies, without UGX: the API takes it with two decimals (always 00), as ISK. */
export const STRIPE_ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

/** Stripe's three-decimal currencies (least-significant digit must be 0). */
export const STRIPE_THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Currencies Stripe writes with two decimals but only takes in whole units (amounts divisible by 100). */
const WHOLE_UNITS_ONLY = new Set(['ISK', 'UGX']);

/** Powers of ten in one major unit of the API's amount (JPY 0, USD 2, KWD 3, ISK and UGX 2). */
export function stripeExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (STRIPE_ZERO_DECIMAL.has(code)) return 0;
  if (STRIPE_THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Decimal places of the major-unit amounts Stripe accepts (JPY 0, USD 2, KWD 2, ISK and UGX 0). */
export function stripeDecimals(currency: string): number {
  const code = currency.toUpperCase();
  if (WHOLE_UNITS_ONLY.has(code)) return 0;
  if (STRIPE_THREE_DECIMAL.has(code)) return 2;
  return stripeExponent(code);
}

/** The step of valid API amounts, in the API's units (1, KWD 10, ISK and UGX 100). */
export function stripeStep(currency: string): number {
  return 10 ** (stripeExponent(currency) - stripeDecimals(currency));
}

function refuse(amount: Decimal, currency: string, why: string): PayhostError {
  return new PayhostError(ERROR_CODES.invalidAmount, `Stripe cannot take ${amount.toString()} ${currency}: ${why}`, { currency, amount: amount.toString(), gateway: 'payhost.stripe' });
}

/**
 * A major-unit amount as Stripe's integer amount. Throws `invalid_amount`
 * for an amount Stripe would refuse (rather than rounding it): negative, or
 * finer than the currency allows at Stripe.
 */
export function toStripeAmount(amount: Decimal, currency: string): number {
  const code = currency.toUpperCase();
  if (!amount.isFinite() || amount.isNegative()) throw refuse(amount, code, 'the amount must be a finite, non-negative number');
  const decimals = stripeDecimals(code);
  if (amount.decimalPlaces() > decimals) {
    const rule = decimals === 0 ? `Stripe takes ${code} in whole units only` : `Stripe takes ${code} with at most ${decimals} decimal places`;
    throw refuse(amount, code, rule);
  }
  const minor = amount.times(new Decimal(10).pow(stripeExponent(code)));
  if (minor.greaterThan(Number.MAX_SAFE_INTEGER)) throw refuse(amount, code, 'the amount is too large');
  return minor.toNumber();
}

/** Stripe's integer amount as a major-unit Decimal (ISK 500 -> 5, UGX 500 -> 5, MGA 1000 -> 1000, KWD 5120 -> 5.12). */
export function fromStripeAmount(minor: number, currency: string): Decimal {
  const value = new Decimal(minor);
  if (!value.isInteger()) throw new PayhostError(ERROR_CODES.invalidAmount, `Stripe amount ${String(minor)} ${currency} is not an integer`, { currency, amount: String(minor) });
  return value.dividedBy(new Decimal(10).pow(stripeExponent(currency)));
}

/** Rounds an amount in the API's units half up to a value Stripe accepts (computed fees). */
export function roundToStripeStep(minor: Decimal, currency: string): Decimal {
  const step = stripeStep(currency);
  return minor.dividedBy(step).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).times(step);
}
