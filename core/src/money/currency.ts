import currencyCodes from 'currency-codes';
import { ERROR_CODES, PayhostError } from '../errors/index.js';

/**
 * ISO 4217 minor units, from the `currency-codes` package's table (JPY 0,
 * USD 2, KWD 3, CLF 4). Built once into a Map so look-ups are O(1).
 */
const MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  currencyCodes.data.map((c) => [c.code, c.digits] as const),
);

export function isIsoCurrency(code: unknown): code is string {
  return typeof code === 'string' && MINOR_UNITS.has(code);
}

/** Decimal places ISO 4217 allows for `currency`; throws `unknown_currency` for a non-ISO code. */
export function minorUnits(currency: string): number {
  const digits = MINOR_UNITS.get(currency);
  if (digits === undefined) {
    throw new PayhostError(ERROR_CODES.unknownCurrency, `"${currency}" is not an ISO 4217 currency code`, { currency });
  }
  return digits;
}

/** Upper-cases and validates a currency code. */
export function normalizeCurrency(code: string): string {
  const upper = String(code).trim().toUpperCase();
  minorUnits(upper);
  return upper;
}
