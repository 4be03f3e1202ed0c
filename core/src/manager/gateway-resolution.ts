import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { normalizeCurrency } from '../money/currency.js';
import type { ChannelRuntime, GatewayEntry } from './channel-runtime.js';

// Which gateway of a channel a call goes to, and the errors when there is none it may go to.

export interface ResolveOptions {
  /**
   * The payment already exists (a capture, refund, void, confirm or status
   * check of it): the gateway must be named (the one that took the payment),
   * still be there and be active, but the channel and gateway need not take
   * its currency any more.
   */
  existingPayment?: boolean;
}

export function unknownChannel(slug: string): PayhostError {
  return new PayhostError(ERROR_CODES.unknownChannel, `Unknown channel "${slug}"`, { channel: slug });
}

/**
 * The gateway a payment goes to: the named one, or the channel's default for
 * the currency (the seeds' default "processor") when it is active and takes
 * the currency, else the first active gateway that takes it. An existing
 * payment's operation must name it.
 */
export function resolveGateway(channel: ChannelRuntime, currency: string, gatewayId: string | null | undefined, options: ResolveOptions): GatewayEntry {
  const code = normalizeCurrency(currency);
  const where = { channel: channel.slug, currency: code };
  // '' names no gateway: refused as the ledger and the server refuse it, not routed by currency.
  if (typeof gatewayId === 'string' && gatewayId.trim() === '') {
    throw new PayhostError(ERROR_CODES.invalidInput, 'gateway must be a non-empty string when given', { ...where, field: 'gateway' });
  }
  // The currency route may lead to another processor than the one holding the payment's token.
  if (options.existingPayment === true && !gatewayId) {
    throw new PayhostError(ERROR_CODES.invalidInput, "An operation on an existing payment must name the payment's gateway", {
      ...where,
      field: 'gateway',
      reason: 'gateway_required',
    });
  }
  // Money already taken must stay refundable: a currency dropped since is only refused for new charges.
  const checkCurrency = options.existingPayment !== true;
  if (checkCurrency && !channel.sells(code)) {
    throw new PayhostError(ERROR_CODES.currencyNotSupported, `Channel "${channel.slug}" does not sell in ${code}`, where);
  }
  const id = gatewayId ?? channel.routes.get(code)?.id;
  if (!id) throw new PayhostError(ERROR_CODES.currencyNotSupported, `No active gateway in channel "${channel.slug}" takes ${code}`, where);
  const gateway = channel.gateways.get(id);
  if (!gateway) throw new PayhostError(ERROR_CODES.unknownGateway, `Unknown gateway "${id}" in channel "${channel.slug}"`, { ...where, gateway: id });
  if (!gateway.active) throw new PayhostError(ERROR_CODES.inactiveGateway, `Gateway "${id}" is not active in channel "${channel.slug}"`, { ...where, gateway: id });
  if (checkCurrency && !gateway.config.supportedCurrencies.includes(code)) {
    throw new PayhostError(ERROR_CODES.currencyNotSupported, `Gateway "${id}" does not support ${code}`, { ...where, gateway: id });
  }
  return gateway;
}

/** A gateway named outright (no currency to route by): it must exist in the channel and be active. */
export function activeGateway(channel: ChannelRuntime, id: string): GatewayEntry {
  const gateway = channel.gateways.get(id);
  if (!gateway) throw new PayhostError(ERROR_CODES.unknownGateway, `Unknown gateway "${id}" in channel "${channel.slug}"`, { channel: channel.slug, gateway: id });
  if (!gateway.active) throw new PayhostError(ERROR_CODES.inactiveGateway, `Gateway "${id}" is not active in channel "${channel.slug}"`, { channel: channel.slug, gateway: id });
  return gateway;
}
