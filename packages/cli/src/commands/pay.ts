import { randomUUID } from 'node:crypto';
import { ERROR_CODES, GatewayDeclinedError, PayhostError, formatAmount, isPayhostError } from '@payhost/core';
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

/**
 * An unknown outcome with --memory: the ledger holding the transaction for review is discarded when the
 * command ends, so no reconciliation, processor event or operator will settle it (core's message says they will).
 */
function unknownInMemory(err: PayhostError): PayhostError {
  return new PayhostError(
    ERROR_CODES.outcomeUnknown,
    'The payment gateway did not say whether it acted, and nothing will settle it: with --memory the ledger is discarded when the command ends ' +
      '(no reconciliation, no processor event, no review). Check on the processor\'s dashboard whether it charged',
    err.details,
    { cause: err },
  );
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
    if (err instanceof GatewayDeclinedError) throw declinedWithIds(err, memory);
    throw memory && isPayhostError(err, ERROR_CODES.outcomeUnknown) ? unknownInMemory(err) : err;
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
