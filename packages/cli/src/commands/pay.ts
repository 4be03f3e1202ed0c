import { randomUUID } from 'node:crypto';
import { ERROR_CODES, GatewayDeclinedError, PayhostError, isPayhostError } from '@payhost/core';
import { resultJson } from '@payhost/server';
import { json, type CliIo } from '../io.js';
import { withPaymentService } from '../ledger-session.js';
import { commandLogger, loadCommandConfig, type LogHooks } from '../logger.js';

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

/** The ids a payhost error's details carry, as `payment <id>, transaction <id>`, or null when it carries neither. */
function idsOf(details: Record<string, unknown> | undefined): string | null {
  const ids = [['payment', details?.['paymentId']], ['transaction', details?.['transactionId']]].filter(([, id]) => typeof id === 'string');
  return ids.length === 0 ? null : ids.map(([what, id]) => `${what as string} ${id as string}`).join(', ');
}

/**
 * An unknown outcome recorded in the database, as `error outcome_unknown: <message> (payment …, transaction …)`:
 * the transaction id is what `payhost review resolve` takes once the processor's dashboard shows what it did.
 */
function unknownWithIds(err: PayhostError): PayhostError {
  const ids = idsOf(err.details);
  if (ids === null) return err;
  return new PayhostError(err.code, `${err.message} (${ids}; payhost review list shows it, payhost review resolve <transaction> settles it)`, err.details, { cause: err });
}

/**
 * Core's warning for a transaction held for review says it is held: with --memory the ledger holding it is
 * discarded, as the command's error says. The line is kept (its fields tell what the gateway answered), reworded.
 */
const HELD_FOR_REVIEW = 'gateway outcome unknown; transaction held for review';
const MEMORY_HELD_REWORDED: LogHooks = {
  logMethod(args, method) {
    const [fields, message] = args as unknown[];
    if (message === HELD_FOR_REVIEW) method.apply(this, [fields, 'gateway outcome unknown; with --memory nothing holds the transaction for review: the in-memory ledger is discarded when the command ends'] as Parameters<typeof method>);
    else method.apply(this, args);
  },
};

/**
 * A payment that waits for the customer's action (3-D Secure) with --memory: the confirmation goes through
 * the ledger (the server's POST /payments/<id>/confirm), which is discarded when the command ends.
 */
function unconfirmableInMemory(paymentId: string): PayhostError {
  return new PayhostError(
    ERROR_CODES.operationNotAllowed,
    'The gateway asks for a customer action (e.g. 3-D Secure) before it completes the payment, and with --memory it can never be confirmed: ' +
      'the in-memory ledger is discarded when the command ends, so the payment stays unconfirmed at the processor. ' +
      'Run it without --memory, then confirm it on the server (POST /payments/<id>/confirm) once the customer has acted',
    { reason: 'confirmation_impossible_with_memory', paymentId },
  );
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
  const memory = options.memory === true;
  const loaded = await loadCommandConfig(options.config, io);
  const { config } = loaded;
  const logger = memory ? commandLogger(loaded.level, io, MEMORY_HELD_REWORDED) : loaded.logger;
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
    if (!isPayhostError(err, ERROR_CODES.outcomeUnknown)) throw err;
    throw memory ? unknownInMemory(err) : unknownWithIds(err);
  });
  const { payment: after, transaction } = result;
  if (memory && after.toConfirm) throw unconfirmableInMemory(after.id);
  // The server's own serialization (POST /payments's answer): the same fields, amounts with the currency's places.
  // actionRequiredData: what the customer must do (e.g. a 3-D Secure URL) before POST /payments/<id>/confirm.
  io.out(json(resultJson({ payment: after, transaction })));
}
