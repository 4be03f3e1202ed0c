import { Decimal } from 'decimal.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import type { PaymentData } from '../contracts/payment-data.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayOperation } from '../plugin/hooks.js';
import type { PluginFailure } from './plugin-failure.js';

/** The transaction kind each gateway operation records. */
export const OPERATION_KIND: Readonly<Record<GatewayOperation, TransactionKind>> = {
  authorizePayment: 'auth',
  capturePayment: 'capture',
  refundPayment: 'refund',
  voidPayment: 'void',
  processPayment: 'capture',
  confirmPayment: 'confirm',
};

/** The response a broken plugin call turns into: a failed `processing_error`. */
export function processingErrorResponse(operation: GatewayOperation, payment: PaymentData, failure: PluginFailure): GatewayResponse {
  return {
    isSuccess: false,
    actionRequired: false,
    kind: OPERATION_KIND[operation],
    amount: new Decimal(payment.amount),
    currency: payment.currency,
    transactionId: '',
    error: failure.code === 'plugin_timeout' ? 'The payment gateway did not answer in time' : 'The payment gateway failed to process the request',
    errorCode: 'processing_error',
    // A call that timed out may still have reached the processor: the ledger must not treat it as a final failure.
    rawResponse: {
      pluginFailure: { code: failure.code, reason: failure.reason, plugin: failure.plugin, hook: failure.hook },
      ...(failure.code === 'plugin_timeout' ? { outcome_unknown: true } : {}),
    },
  };
}

/** Log code of an amount a plugin answered as something else than a Decimal (the conformance suite reads it). */
export const AMOUNT_NOT_DECIMAL = 'amount_not_decimal';

/**
 * A plugin's answer with its amount as the Decimal the contract promises: a
 * plugin written in JavaScript may answer a number or a string, and a host
 * must never receive a float for money. The conversion is logged (a plugin
 * bug its author should see); an amount that reads as no decimal at all is
 * left as it is, for the ledger to refuse.
 */
export function withDecimalAmount(response: GatewayResponse, warn: (message: string, details: Record<string, unknown>) => void, where: { plugin: string; hook: string }): GatewayResponse {
  const amount: unknown = response.amount;
  if (Decimal.isDecimal(amount) || (typeof amount !== 'number' && typeof amount !== 'string')) return response;
  let converted: Decimal;
  try {
    converted = new Decimal(amount);
  } catch {
    return response;
  }
  warn(`Plugin "${where.plugin}" answered ${where.hook} with a ${typeof amount} amount; converted to a Decimal (the contract is a Decimal)`, {
    ...where,
    code: AMOUNT_NOT_DECIMAL,
    answered: typeof amount,
    amount: String(amount).slice(0, 40),
  });
  return { ...response, amount: converted };
}
