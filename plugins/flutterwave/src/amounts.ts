import { Decimal, ERROR_CODES, PayhostError, minorUnits, toMinorUnits } from '@payhost/core';

/**
 * Flutterwave's API takes and returns amounts in major units as JSON numbers
 * (1500.5 NGN). Decimal -> number: validated against the currency's ISO 4217
 * exponent first (NGN, KES 2; UGX, RWF, XAF, XOF 0), then written with exactly
 * that many decimals and checked to read back equal — never computed in
 * floating point.
 */
export function toFlutterwaveAmount(amount: Decimal, currency: string): number {
  toMinorUnits(amount, currency);
  const value = Number(amount.toFixed(minorUnits(currency)));
  if (!new Decimal(value).eq(amount)) {
    throw new PayhostError(ERROR_CODES.invalidAmount, `Amount ${amount.toString()} ${currency} cannot be sent to Flutterwave exactly`, { currency, amount: amount.toString() });
  }
  return value;
}

/** A Flutterwave amount (JSON number or numeric string) as an exact Decimal, from its decimal text. */
export function fromFlutterwaveAmount(value: number | string): Decimal {
  return new Decimal(typeof value === 'number' ? String(value) : value);
}
