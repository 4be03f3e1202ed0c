import { Decimal, ERROR_CODES, PayhostError, normalizeCurrency } from '@payhost/core';
import { stripeDecimals, stripeExponent, toStripeAmount } from './amounts.js';

/*
 * application_fee_fixed: one amount for every supported currency ("0.30"),
 * or one amount per currency ("USD 0.30, EUR 0.25, JPY 30"). One figure
 * cannot mean the same fee in every currency: 0.30 is no JPY at all (Stripe
 * takes whole yen) and 0.300 KWD is about a dollar. So the figure is checked
 * against every supported currency when the configuration is read, and the
 * fee is never rounded when a charge takes it: what Stripe cannot take
 * exactly is refused, never silently turned into another fee.
 */

const FIELD = 'application_fee_fixed';
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;
const EXAMPLE = '"USD 0.30, EUR 0.25, JPY 30"';

/** The configured fixed fee: one amount for every currency, or one per currency (major units). */
export type FixedFee = { readonly every: Decimal } | { readonly perCurrency: ReadonlyMap<string, Decimal> };

/** Why Stripe cannot take `amount` in `currency` exactly, or null when it can. */
function notTakenBy(amount: Decimal, currency: string): string | null {
  const decimals = stripeDecimals(currency);
  if (amount.decimalPlaces() > decimals) return decimals === 0 ? `Stripe takes ${currency} in whole units only` : `Stripe takes ${currency} with at most ${decimals} decimal places`;
  try {
    toStripeAmount(amount, currency);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

const UNITS: Record<number, string> = { 0: 'whole units', 2: 'hundredths', 3: 'thousandths' };

/**
 * The single figure for every supported currency: refused when Stripe cannot
 * take it exactly in one of them (0.30 JPY), and, unless it is zero, when the
 * currencies count their amounts in different units (USD in hundredths, JPY in
 * whole units, KWD in thousandths): there the same figure is a fee a hundred
 * or a thousand times larger in one currency than in another (0.30 KWD is
 * about 1 USD), which no operator means by one number.
 */
function everyCurrency(text: string, currencies: readonly string[]): FixedFee {
  const amount = new Decimal(text);
  for (const currency of currencies) {
    const reason = notTakenBy(amount, currency);
    if (reason) throw new Error(`${FIELD} "${text}" is one amount for every supported currency, and Stripe cannot take it exactly in ${currency} (${reason}): give one amount per currency instead, e.g. ${EXAMPLE}`);
  }
  const byUnit = new Map<number, string[]>();
  for (const currency of currencies) byUnit.set(stripeExponent(currency), [...(byUnit.get(stripeExponent(currency)) ?? []), currency]);
  if (!amount.isZero() && byUnit.size > 1) {
    const units = [...byUnit].map(([exponent, codes]) => `${codes.join(', ')} in ${UNITS[exponent] ?? `10^-${exponent}`}`).join('; ');
    throw new Error(`${FIELD} "${text}" is one amount for every supported currency, but they count amounts in different units (${units}), so the same figure is a very different fee in each: give one amount per currency instead, e.g. ${EXAMPLE}`);
  }
  return { every: amount };
}

/** "USD 0.30, EUR 0.25, JPY 30": every supported currency must have its amount ("JPY 0" for none). */
function perCurrency(text: string, currencies: readonly string[]): FixedFee {
  const amounts = new Map<string, Decimal>();
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    const match = /^(\S+)\s+(\S+)$/.exec(entry);
    if (!match) throw new Error(`${FIELD} is malformed: "${entry}" is not a currency code and an amount; write one amount for every currency ("0.30") or one per currency, e.g. ${EXAMPLE}`);
    const [, rawCode, figure] = match as unknown as [string, string, string];
    let code: string;
    try {
      code = normalizeCurrency(rawCode);
    } catch {
      throw new Error(`${FIELD} is malformed: "${rawCode}" is not an ISO 4217 currency code (in "${entry}")`);
    }
    if (!PLAIN_DECIMAL.test(figure)) throw new Error(`${FIELD} is malformed: the ${code} amount must be a non-negative decimal number such as 0.30, got "${figure}"`);
    if (amounts.has(code)) throw new Error(`${FIELD} gives ${code} more than once`);
    const amount = new Decimal(figure);
    const reason = notTakenBy(amount, code);
    if (reason) throw new Error(`${FIELD} gives ${code} ${figure}, which Stripe cannot take exactly (${reason})`);
    amounts.set(code, amount);
  }
  const missing = currencies.filter((currency) => !amounts.has(currency));
  if (missing.length > 0) {
    throw new Error(`${FIELD} has no amount for ${missing.join(', ')} (in supported_currencies): give every supported currency its fixed fee ("${missing[0] as string} 0" for none), so that no charge silently goes without it`);
  }
  return { perCurrency: amounts };
}

/**
 * Parses and checks `application_fee_fixed` against the supported currencies
 * (throws an Error naming the field: the manager reports invalid_configuration).
 * A value without letters is the single figure; one with letters, the per-currency list.
 */
export function parseFixedFee(text: string | null, currencies: readonly string[]): FixedFee | null {
  if (text === null) return null;
  if (!/[A-Za-z]/.test(text)) {
    if (!PLAIN_DECIMAL.test(text)) throw new Error(`${FIELD} must be a non-negative decimal number (one amount for every currency) or one amount per currency such as ${EXAMPLE}, got "${text}"`);
    return everyCurrency(text, currencies);
  }
  return perCurrency(text, currencies);
}

/**
 * The fixed fee of a charge in `currency`, in Stripe's units. Throws
 * invalid_amount, before any request, when the configuration gives this
 * currency no amount or one Stripe cannot take exactly (a charge in a
 * currency outside supported_currencies): never a rounded or a silent zero fee.
 */
export function fixedFeeMinor(fee: FixedFee | null, currency: string): number {
  if (fee === null) return 0;
  const code = currency.toUpperCase();
  const amount = 'every' in fee ? fee.every : fee.perCurrency.get(code);
  const details = { field: FIELD, currency: code, gateway: 'payhost.stripe' };
  if (amount === undefined) throw new PayhostError(ERROR_CODES.invalidAmount, `${FIELD} has no amount for ${code}: the charge is refused rather than made without the platform's fixed fee`, details);
  const reason = notTakenBy(amount, code);
  if (reason) throw new PayhostError(ERROR_CODES.invalidAmount, `${FIELD} ${amount.toString()} cannot be taken exactly in ${code} (${reason}): the charge is refused rather than made with a rounded fee`, details);
  return toStripeAmount(amount, code);
}
