import type { TokenConfig } from '../contracts/gateway.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { parseAmount } from '../money/amount.js';
import { normalizeCurrency } from '../money/currency.js';

/** What manager.getClientToken takes: the gateway it asks, and the TokenConfig for it. */
export type ClientTokenRequest = { channel: string; gateway: string; currency?: string | null } & TokenConfig;

/**
 * The TokenConfig the plugin gets, read as a payment's terms are (the same
 * helpers processPayment uses, and the server's client-token route): the
 * currency upper-cased and an ISO 4217 code, the amount a Decimal the
 * currency can hold (a JavaScript number, a negative, zero or too many
 * decimals: invalid_amount), an amount without its currency refused
 * (invalid_input: its minor units are unknown). Only TokenConfig's fields:
 * the routing keys (channel, gateway) and anything else stay with the host.
 */
export function tokenConfig(request: ClientTokenRequest): TokenConfig {
  const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
  if (given(request.amount) && !given(request.currency)) {
    throw new PayhostError(ERROR_CODES.invalidInput, 'A client token amount needs its currency, the currency the amount is in', { field: 'currency', reason: 'amount_without_currency' });
  }
  const currency = given(request.currency) ? normalizeCurrency(request.currency as string) : null;
  const amount = currency !== null && given(request.amount) ? parseAmount(request.amount, currency) : null;
  return { customerId: request.customerId ?? null, amount, currency, data: request.data ?? null };
}
