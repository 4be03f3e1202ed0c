import { Decimal, ERROR_CODES, PayhostError, fromMinorUnits, minorUnits, toMinorUnits } from '@payhost/core';

/**
 * Razorpay's three-decimal currencies (exponent 3 in its list of supported
 * currencies): it takes them in thousandths but, "as per payment
 * guidelines", requires the last digit to be 0 (295.990 KWD -> 295990). Its
 * API docs name KWD, BHD and OMR "such as"; the list also gives JOD, TND and
 * IQD exponent 3. Every other exponent in that list (0 for JPY, KRW, CLP,
 * ISK, UGX, VND, XAF...; 2 for the rest) equals ISO 4217, so core's table
 * is used for them.
 */
export const RAZORPAY_THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'OMR', 'TND']);

/**
 * A Decimal amount in the integer subunits Razorpay expects (ISO 4217
 * exponent: 100.50 INR -> 10050, 500 JPY -> 500). Throws `invalid_amount`
 * when the amount has more decimals than the currency allows, or a third
 * decimal Razorpay cannot take. Never goes through floating point.
 */
export function toRazorpayAmount(amount: Decimal, currency: string): number {
  const minor = toMinorUnits(amount, currency);
  if (RAZORPAY_THREE_DECIMAL_CURRENCIES.has(currency) && minor % 10 !== 0) {
    throw new PayhostError(ERROR_CODES.invalidAmount, `Razorpay takes ${currency} amounts with at most 2 decimal places; ${amount.toString()} has a third`, {
      currency,
      amount: amount.toString(),
    });
  }
  return minor;
}

/** Razorpay's integer subunits back to a major-unit Decimal. */
export function fromRazorpayAmount(subunits: number, currency: string): Decimal {
  return fromMinorUnits(subunits, currency);
}

/** The currency's exponent (for documentation and client tokens). */
export function razorpayExponent(currency: string): number {
  return minorUnits(currency);
}
