/**
 * Stable machine codes for every failure the host reports. Codes never change
 * once released; messages may.
 */
export const ERROR_CODES = {
  unknownChannel: 'unknown_channel',
  unknownGateway: 'unknown_gateway',
  inactiveGateway: 'inactive_gateway',
  currencyNotSupported: 'currency_not_supported',
  unknownCurrency: 'unknown_currency',
  invalidAmount: 'invalid_amount',
  invalidConfiguration: 'invalid_configuration',
  pluginTimeout: 'plugin_timeout',
  pluginFailed: 'plugin_failed',
  pluginLoad: 'plugin_load_failed',
  noDefaultGateway: 'no_default_gateway',
  invalidInput: 'invalid_input',
  unknownPlugin: 'unknown_plugin',
  operationNotSupported: 'operation_not_supported',
  // Payment ledger (core/src/ledger):
  paymentNotFound: 'payment_not_found',
  transactionNotFound: 'transaction_not_found',
  /** A person's resolution for a transaction that is no longer (or never was) held for review. */
  transactionNotInReview: 'transaction_not_in_review',
  /** The payment's state does not allow the operation (e.g. void after capture). */
  operationNotAllowed: 'operation_not_allowed',
  /** A capture or refund larger than what is left (pending reservations included). */
  amountExceeds: 'amount_exceeds',
  /** A conflicting operation on the same payment is in flight. */
  paymentBusy: 'payment_busy',
  /** An idempotency key repeated with different parameters. */
  idempotencyKeyReused: 'idempotency_key_reused',
  /** No token and no payment method stored for the customer on the gateway. */
  noPaymentSource: 'no_payment_source',
  /** The gateway answered with a failure; details carry the unified errorCode and the recorded transactionId. */
  gatewayDeclined: 'gateway_declined',
  /** The gateway call failed in a way that leaves unknown whether the processor acted (timeout, lost answer). */
  outcomeUnknown: 'outcome_unknown',
  /** The embedded database's data directory is open in another process (one process at a time). */
  dataDirInUse: 'data_dir_in_use',
  /** The ledger's database cannot be reached (connection refused, lost or timed out): retry later. */
  storeUnavailable: 'store_unavailable',
  /** A ledger copy (`payhost ledger copy`) into a database whose ledger tables already hold rows. */
  targetNotEmpty: 'target_not_empty',
  /** A plugin configuration change made over a revision that is no longer the latest (an admin's If-Match). */
  configurationChanged: 'configuration_changed',
  /** A call to a PluginManager whose close() has begun (the reference server: a request reaching it while it shuts down). */
  shuttingDown: 'shutting_down',
} as const;

/** The host's own codes (ERROR_CODES' values): a closed union, so a misspelt one does not compile and a switch can be exhaustive. */
export type KnownPayhostErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A PayhostError's `code`: one of the host's, or a plugin's own (e.g. Stripe's `customer_account_mismatch`). */
export type PayhostErrorCode = KnownPayhostErrorCode | (string & {});

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

/** Whether `code` is one of the host's own codes (narrowing it, e.g. for an exhaustive switch over `err.code`). */
export function isKnownPayhostErrorCode(code: unknown): code is KnownPayhostErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/**
 * The brand every PayhostError carries (a non-enumerable property, true): `Symbol.for` gives every copy of
 * @payhost/core the same symbol, so an error thrown by a plugin that brought its own copy (installed from a
 * directory, npm-linked) is still recognised by the host's `isPayhostError`, where `instanceof` is not.
 */
const PAYHOST_ERROR_BRAND: unique symbol = Symbol.for('payhost.error');

/** The one error type the host throws: a stable `code`, a human message, optional details. */
export class PayhostError extends Error {
  readonly code: PayhostErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: PayhostErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayhostError';
    this.code = code;
    this.details = details;
    Object.defineProperty(this, PAYHOST_ERROR_BRAND, { value: true, enumerable: false, writable: false, configurable: false });
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/**
 * Whether `err` is a PayhostError (with this `code`, when given): an instance of this copy's class, or an
 * error carrying the brand of another copy of @payhost/core (a plugin's own), with a string `code`.
 * `code` is one of the host's codes (a misspelt one does not compile); for a plugin's own code compare
 * `err.code` after `isPayhostError(err)`.
 */
export function isPayhostError<C extends KnownPayhostErrorCode>(err: unknown, code: C): err is PayhostError & { readonly code: C };
export function isPayhostError(err: unknown): err is PayhostError;
export function isPayhostError(err: unknown, code?: KnownPayhostErrorCode): err is PayhostError {
  if (!(err instanceof PayhostError) && !isBranded(err)) return false;
  return code === undefined || (err as PayhostError).code === code;
}

function isBranded(err: unknown): boolean {
  if ((typeof err !== 'object' && typeof err !== 'function') || err === null) return false;
  try {
    return (err as { [PAYHOST_ERROR_BRAND]?: unknown })[PAYHOST_ERROR_BRAND] === true && typeof (err as { code?: unknown }).code === 'string';
  } catch {
    // A proxy or getter that throws is not an error of ours (and must not break the handler asking).
    return false;
  }
}
