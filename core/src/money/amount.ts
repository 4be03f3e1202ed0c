import { Decimal } from 'decimal.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { minorUnits } from './currency.js';

export { Decimal };

export type AmountInput = Decimal | string | number;

export interface ParseAmountOptions {
  /** Accept zero (e.g. a zero-amount verification); default false. */
  allowZero?: boolean;
}

const NUMERIC = /^\d+(\.\d+)?$/;

/** Significant digits every decimal keeps through a double (IEEE 754 binary64: 15). */
const MAX_EXACT_NUMBER_DIGITS = 15;

function invalid(message: string, currency: string, value: unknown): PayhostError {
  return new PayhostError(ERROR_CODES.invalidAmount, message, { currency, amount: String(value) });
}

/** Largest major-unit amount by decimal places: the one whose minor units are Number.MAX_SAFE_INTEGER. */
const largestAmounts: Decimal[] = [];

/**
 * The largest amount a currency with `digits` decimal places can hold. Above
 * it the minor units are not a safe integer (toMinorUnits refuses them), and
 * the ledger's decimal.js arithmetic (20 significant digits) starts rounding.
 */
function largestAmount(digits: number): Decimal {
  return (largestAmounts[digits] ??= new Decimal(Number.MAX_SAFE_INTEGER).dividedBy(new Decimal(10).pow(digits)));
}

/**
 * Parses and validates an amount for a currency: rejects NaN, non-numeric,
 * negative, zero (unless allowed), more decimals than ISO 4217 allows, and
 * more minor units than Number.MAX_SAFE_INTEGER (see `largestAmount`).
 * Numbers are accepted only when finite and small enough to be exact (below 10^(15 - decimal places):
 * 10 trillion USD); strings must be plain decimals.
 */
export function parseAmount(value: unknown, currency: string, options: ParseAmountOptions = {}): Decimal {
  const digits = minorUnits(currency);
  let amount: Decimal;
  if (Decimal.isDecimal(value)) {
    amount = value as Decimal;
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`Amount ${value} is not a finite number`, currency, value);
    // A double keeps every decimal of at most 15 significant digits (decimal.js reads its shortest form); an
    // amount of this currency at or above 10^(15 - digits) may have more, and may already have lost some
    // (90071992547409.91 is the double 90071992547409.9).
    if (Math.abs(value) >= 10 ** (MAX_EXACT_NUMBER_DIGITS - digits)) {
      throw invalid(`Amount ${value} is too large to pass as a JavaScript number for ${currency} (it may have lost digits): pass it as a string or a Decimal`, currency, value);
    }
    amount = new Decimal(value);
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('-')) throw invalid(`Amount ${value} is negative`, currency, value);
    if (!NUMERIC.test(trimmed)) throw invalid(`Amount "${value}" is not a decimal number`, currency, value);
    amount = new Decimal(trimmed);
  } else {
    throw invalid(`Amount must be a decimal string or number, got ${value === null ? 'null' : typeof value}`, currency, value);
  }
  if (!amount.isFinite()) throw invalid(`Amount ${amount.toString()} is not a finite number`, currency, value);
  if (amount.isNegative() && !amount.isZero()) throw invalid(`Amount ${amount.toString()} is negative`, currency, value);
  if (amount.isZero() && !options.allowZero) throw invalid(`Amount must be greater than zero`, currency, value);
  if (amount.decimalPlaces() > digits) {
    throw invalid(`Amount ${amount.toString()} has more than ${digits} decimal places allowed for ${currency}`, currency, value);
  }
  const largest = largestAmount(digits);
  if (amount.greaterThan(largest)) {
    throw invalid(`Amount ${amount.toFixed()} is too large for ${currency} (at most ${largest.toFixed(digits)})`, currency, value);
  }
  // A zero allowed in is a plain zero: a negative zero (-0 as a number or a Decimal) would print "-0" and convert to -0 minor units.
  return amount.isZero() && amount.isNegative() ? new Decimal(0) : amount;
}

/** Converts a major-unit amount to an integer count of minor units (10.50 USD -> 1050). */
export function toMinorUnits(amount: Decimal, currency: string): number {
  const digits = minorUnits(currency);
  const minor = amount.times(new Decimal(10).pow(digits));
  if (!minor.isInteger()) {
    throw invalid(`Amount ${amount.toString()} has more than ${digits} decimal places allowed for ${currency}`, currency, amount);
  }
  if (minor.greaterThan(Number.MAX_SAFE_INTEGER)) throw invalid(`Amount ${amount.toString()} is too large`, currency, amount);
  return minor.toNumber();
}

/** Converts an integer count of minor units to a major-unit Decimal (1050 USD -> 10.50). */
export function fromMinorUnits(minor: number | string | bigint, currency: string): Decimal {
  const digits = minorUnits(currency);
  const value = new Decimal(typeof minor === 'bigint' ? minor.toString() : minor);
  if (!value.isInteger()) throw invalid(`Minor-unit amount ${String(minor)} is not an integer`, currency, minor);
  return value.dividedBy(new Decimal(10).pow(digits));
}

/** Formats an amount with exactly the currency's decimal places ("10.5" USD -> "10.50"). */
export function formatAmount(amount: Decimal, currency: string): string {
  return amount.toFixed(minorUnits(currency));
}
