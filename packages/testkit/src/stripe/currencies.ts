import { invalidParam } from './errors.js';

/*
 * Stripe's rules on charged amounts that are not ISO 4217's
 * (https://docs.stripe.com/currencies#special-cases, #three-decimal):
 * - ISK and UGX became zero-decimal currencies, but for backwards
 *   compatibility the API still takes them with two decimals that are always
 *   00 (to charge 5 UGX, amount=500): an amount not divisible by 100 is
 *   refused ("Currency UGX has become effectively zero-decimal and charged
 *   amounts must be evenly divisible by 100", Stripe's message as quoted in
 *   woocommerce/woocommerce-gateway-stripe#2674);
 * - three-decimal currencies (BHD, JOD, KWD, OMR, TND): the least significant
 *   digit must be 0 (5.124 KWD must be sent as 5120 or 5130).
 * The fake refuses such amounts, so a plugin that takes UGX for an ordinary
 * zero-decimal currency (and charges a hundredth of the price) fails here.
 */

/** Zero-decimal currencies the API still takes with two decimals (always 00). */
export const HUNDREDS_ONLY = new Set(['isk', 'ugx']);

/** Three-decimal currencies: the last digit of the amount must be 0. */
export const TENS_ONLY = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Refuses a charged amount (an intent's amount, a capture) Stripe does not take in `currency`. */
export function checkChargedAmount(amount: number, currency: string, param: string): void {
  const code = currency.toLowerCase();
  if (HUNDREDS_ONLY.has(code) && amount % 100 !== 0) {
    // Stripe's wording (the fake's param); its error `code`, if any, is not documented.
    throw invalidParam(
      `Invalid amount. Currency ${code.toUpperCase()} has become effectively zero-decimal and charged amounts must be evenly divisible by 100. See https://stripe.com/docs/currencies#zero-decimal for more information.`,
      { param },
    );
  }
  if (TENS_ONLY.has(code) && amount % 10 !== 0) {
    // The fake's wording: Stripe documents the rule, not its error message.
    throw invalidParam(`Invalid ${param}: amounts in ${code.toUpperCase()} (a three-decimal currency) must end in 0. See https://stripe.com/docs/currencies#three-decimal for more information.`, { param });
  }
}
