import currencyCodes from 'currency-codes';
import { ERROR_CODES, PayhostError } from '../errors/index.js';

/**
 * ISO 4217 codes whose minor units are "N.A.": precious metals (XAU, XAG, XPD, XPT), units of
 * account and bond-market units (XDR, XSU, XUA, XBA to XBD), the testing code XTS and "no
 * currency" XXX. The `currency-codes` table gives them 0 digits, which would make them 0-decimal
 * currencies; no payment is in one, so they are not currencies here.
 */
const NO_MINOR_UNITS: ReadonlySet<string> = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/**
 * ISO 4217 codes added after the `currency-codes` table (2.2.0, its latest) was published, with their
 * minor units: the Caribbean guilder XCG (Curaçao and Sint Maarten, in use since 2025-03-31, replacing ANG).
 */
const ADDED_SINCE_TABLE: readonly (readonly [string, number])[] = [['XCG', 2]];

/**
 * ISO 4217 minor units, from the `currency-codes` package's table (JPY 0,
 * USD 2, KWD 3, CLF 4) and the codes added since, without the codes that
 * have none. Built once into a Map so look-ups are O(1).
 */
const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...currencyCodes.data.filter((c) => !NO_MINOR_UNITS.has(c.code)).map((c) => [c.code, c.digits] as const),
  ...ADDED_SINCE_TABLE,
]);

/** An ISO 4217 code of a currency a payment can be in (one with minor units: not XAU, XTS, XXX...). */
export function isIsoCurrency(code: unknown): code is string {
  return typeof code === 'string' && MINOR_UNITS.has(code);
}

/** Decimal places ISO 4217 allows for `currency`; throws `unknown_currency` for a non-ISO code, or one without minor units. */
export function minorUnits(currency: string): number {
  const digits = MINOR_UNITS.get(currency);
  if (digits === undefined) {
    const message = NO_MINOR_UNITS.has(currency)
      ? `"${currency}" is an ISO 4217 code without minor units (a precious metal, a unit of account, or the testing or no-currency code), not a currency a payment can be in`
      : `"${currency}" is not an ISO 4217 currency code`;
    throw new PayhostError(ERROR_CODES.unknownCurrency, message, { currency });
  }
  return digits;
}

/** Upper-cases and validates a currency code. */
export function normalizeCurrency(code: string): string {
  const upper = String(code).trim().toUpperCase();
  minorUnits(upper);
  return upper;
}
