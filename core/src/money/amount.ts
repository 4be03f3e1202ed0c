import { Decimal } from 'decimal.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { minorUnits } from './currency.js';

export { Decimal };

/**
 * A money amount as a caller gives it: a Decimal, or a plain decimal string ("10.50"). Never a JavaScript
 * number (a binary float: 0.1 + 0.2 is 0.30000000000000004); parseAmount refuses one at run time too.
 */
export type AmountInput = Decimal | string;

export interface ParseAmountOptions {
  /** Accept zero (e.g. a zero-amount verification); default false. */
  allowZero?: boolean;
}

const NUMERIC = /^\d+(\.\d+)?$/;

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

/** The significant digits the ledger's arithmetic needs: 16 of the largest amount (largestAmount), and room to spare. */
export const LEDGER_DECIMAL_PRECISION = 20;

/**
 * Refuses to count money (invalid_configuration, reason decimal_precision) once the host lowered decimal.js's
 * global precision (`Decimal.set({ precision: 8 })`): the ledger's sums use that constructor, and would round
 * amounts silently (1234567.89 captured as 1234567.90). A host wanting fewer digits for its own arithmetic
 * uses `Decimal.clone({ precision })`, which leaves the global one alone.
 */
export function checkDecimalPrecision(): void {
  if (Decimal.precision >= LEDGER_DECIMAL_PRECISION) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `decimal.js's global precision is ${Decimal.precision} significant digits (set with Decimal.set): the ledger counts money with it and needs at least ${LEDGER_DECIMAL_PRECISION}, ` +
      'or amounts would be rounded. Leave the global precision at its default and use Decimal.clone({ precision }) for arithmetic of your own',
    { reason: 'decimal_precision', precision: Decimal.precision, required: LEDGER_DECIMAL_PRECISION },
  );
}

/**
 * Refuses a JavaScript number as an amount (invalid_amount), whatever its value, not only when large:
 * the same call must not work for 10 and fail for 10.1 + 0.2. Callers that hash a request before
 * parsing its amount (the ledger's idempotency) call it first, so a number is refused as well when
 * its key was recorded with the same amount as a string.
 */
export function refuseNumberAmount(value: unknown, currency: string | null): void {
  if (typeof value === 'number') throw numberAmountError(value, currency);
}

function numberAmountError(value: number, currency: string | null): PayhostError {
  const message = `Amount ${value} is a JavaScript number, a binary float that may not be the amount meant: pass a decimal string such as "10.50", or a Decimal`;
  return currency === null ? new PayhostError(ERROR_CODES.invalidAmount, message, { amount: String(value) }) : invalid(message, currency, value);
}

/**
 * Parses and validates an amount for a currency: rejects NaN, non-numeric,
 * negative, zero (unless allowed), more decimals than ISO 4217 allows, and
 * more minor units than Number.MAX_SAFE_INTEGER (see `largestAmount`).
 * Takes a Decimal or a plain decimal string; a JavaScript number is refused
 * (a float may not be the amount meant: 0.1 + 0.2, or 90071992547409.91,
 * which is the double 90071992547409.9), saying to pass a string or Decimal.
 */
export function parseAmount(value: unknown, currency: string, options: ParseAmountOptions = {}): Decimal {
  const digits = minorUnits(currency);
  let amount: Decimal;
  if (Decimal.isDecimal(value)) {
    amount = value as Decimal;
  } else if (typeof value === 'number') {
    throw numberAmountError(value, currency);
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('-')) throw invalid(`Amount ${value} is negative`, currency, value);
    if (!NUMERIC.test(trimmed)) throw invalid(`Amount "${value}" is not a decimal number`, currency, value);
    amount = new Decimal(trimmed);
  } else {
    throw invalid(`Amount must be a decimal string or a Decimal, got ${value === null ? 'null' : typeof value}`, currency, value);
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
  // A zero allowed in is a plain zero: a negative zero Decimal would print "-0" and convert to -0 minor units.
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

const MINOR_DIGITS = /^\d+$/;

/**
 * Converts a count of minor units to a major-unit Decimal (1050 USD -> 10.50). Takes a non-negative
 * safe integer, a bigint, or a string of digits, up to Number.MAX_SAFE_INTEGER (as toMinorUnits);
 * anything else is `invalid_amount`: a fraction, a negative count, and the strings decimal.js would
 * read as another number ("0x10" as 16, "1e3" as 1000, " 5").
 */
export function fromMinorUnits(minor: number | string | bigint, currency: string): Decimal {
  const digits = minorUnits(currency);
  const text = typeof minor === 'bigint' ? minor.toString() : typeof minor === 'number' && Number.isSafeInteger(minor) ? String(minor) : minor;
  if (typeof text !== 'string' || !MINOR_DIGITS.test(text)) {
    throw invalid(`Minor-unit amount ${typeof minor === 'string' ? JSON.stringify(minor.slice(0, 40)) : String(minor)} is not a non-negative integer count of minor units (digits only, as 1050 for 10.50 USD)`, currency, minor);
  }
  const value = new Decimal(text);
  if (value.greaterThan(Number.MAX_SAFE_INTEGER)) throw invalid(`Minor-unit amount ${text} is too large`, currency, minor);
  return value.dividedBy(new Decimal(10).pow(digits));
}

/** Formats an amount with exactly the currency's decimal places ("10.5" USD -> "10.50"). */
export function formatAmount(amount: Decimal, currency: string): string {
  return amount.toFixed(minorUnits(currency));
}
