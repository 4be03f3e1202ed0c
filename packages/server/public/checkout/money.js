// Amounts in the currency's own decimal places, as the server counts them
// (ISO 4217 minor units, the table core's parseAmount uses): JPY has none,
// USD two, KWD three. Strings only: no floating point touches an amount.

/** ISO 4217 currencies whose minor unit is not 2 (core's `currency-codes` table). */
const DECIMALS = {
  BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0, KMF: 0, KRW: 0, KWD: 3,
  LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0, XAG: 0, XAU: 0,
  XBA: 0, XBB: 0, XBC: 0, XBD: 0, XDR: 0, XOF: 0, XPD: 0, XPF: 0, XPT: 0, XSU: 0, XTS: 0, XUA: 0, XXX: 0,
};

export function decimalsOf(currency) {
  return DECIMALS[currency] ?? 2;
}

const PLAIN = /^([0-9]{1,15})(?:\.([0-9]{1,8}))?$/;

/** "25" in the currency's decimals: "25.00" USD, "25" JPY, "25.000" KWD. */
export function example(currency) {
  const digits = decimalsOf(currency);
  return digits === 0 ? '25' : `25.${'0'.repeat(digits)}`;
}

/** The hint under the amount field for `currency`. */
export function amountHint(currency) {
  if (!currency) return 'A decimal amount, such as 25.00.';
  return decimalsOf(currency) === 0
    ? `A whole amount in ${currency} (no decimal places), such as ${example(currency)}.`
    : `A decimal amount in ${currency}, such as ${example(currency)}.`;
}

/**
 * Checks `text` as an amount of `currency`. Returns `{ amount }`, the amount
 * written with exactly the currency's decimals ("10" USD -> "10.00", "25.00"
 * JPY -> "25"), or `{ problem }`, a sentence saying what to enter.
 */
export function parseAmount(text, currency) {
  const digits = decimalsOf(currency);
  const match = PLAIN.exec(String(text).trim());
  if (!match) {
    return { problem: digits === 0 ? `Enter the amount as a whole number, such as ${example(currency)}.` : `Enter the amount as a decimal number, such as ${example(currency)}.` };
  }
  const whole = match[1].replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) {
    return {
      problem: digits === 0
        ? `${currency} amounts have no decimal places: enter a whole number, such as ${example(currency)}.`
        : `${currency} amounts have at most ${digits} decimal places: enter an amount such as ${example(currency)}.`,
    };
  }
  if (/^0*$/.test(whole + fraction)) return { problem: 'Enter an amount greater than zero.' };
  return { amount: digits === 0 ? whole : `${whole}.${fraction.padEnd(digits, '0')}` };
}
