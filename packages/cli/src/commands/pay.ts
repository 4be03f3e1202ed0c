import { randomUUID } from 'node:crypto';
import { GatewayDeclinedError, formatAmount } from '@payhost/core';
import { json, type CliIo } from '../io.js';
import { withPaymentService } from '../ledger-session.js';
import { loadCommandConfig } from '../logger.js';

export interface PayOptions {
  config: string;
  channel: string;
  amount: string;
  currency: string;
  token?: string;
  gateway?: string;
  customer?: string;
  /** Keep nothing: an in-memory ledger instead of the configured database. */
  memory?: boolean;
}

/**
 * A decline, as `error gateway_declined: <message> (errorCode …, payment …, transaction …)`: the unified code
 * says why (`expired`, `incorrect_cvv`, ...), and the ids find the declined payment, which is recorded.
 */
function declinedWithIds(err: GatewayDeclinedError, memory: boolean): GatewayDeclinedError {
  const where = memory ? 'not recorded: --memory' : `payment ${err.paymentId}, transaction ${err.transactionId}`;
  const declined = new GatewayDeclinedError(`${err.message} (errorCode ${err.errorCode}; ${where})`, { ...err.details, paymentId: err.paymentId, transactionId: err.transactionId, errorCode: err.errorCode });
  declined.cause = err;
  return declined;
}

/** A one-off payment through the configured gateways; prints the payment and its transaction. */
export async function pay(options: PayOptions, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  const memory = options.memory === true;
  const result = await withPaymentService(config, { memory, logger }, (payments) =>
    payments.pay({
      idempotencyKey: randomUUID(),
      channel: options.channel,
      gateway: options.gateway ?? null,
      total: options.amount,
      currency: options.currency,
      token: options.token ?? null,
      customerId: options.customer ?? null,
    }),
  ).catch((err: unknown) => {
    throw err instanceof GatewayDeclinedError ? declinedWithIds(err, memory) : err;
  });
  const { payment: after, transaction } = result;
  // Amounts with the currency's decimal places ("12.50" USD, "1500" JPY), as the server's API prints them.
  io.out(
    json({
      payment: {
        id: after.id,
        chargeStatus: after.chargeStatus,
        total: formatAmount(after.total, after.currency),
        captured: formatAmount(after.capturedAmount, after.currency),
        currency: after.currency,
        toConfirm: after.toConfirm,
      },
      transaction: { kind: transaction.kind, isSuccess: transaction.isSuccess, amount: formatAmount(transaction.amount, transaction.currency), errorCode: transaction.errorCode, error: transaction.error },
    }),
  );
}
