import { ERROR_CODES, PayhostError } from '@payhost/core';

/** Socket errors that mean the database could not be reached or the connection dropped. */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of the same kind: class 08 (connection exception),
 * the server shutting down or starting (57P01-57P03), too many connections (53300).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** pg's own messages for a connection that never came or went away (they carry no code). */
const PG_CONNECTION_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed|Connection closed/i;

/**
 * An exchange with the database that got no answer within the store's bound (`queryTimeoutMillis`): the
 * server froze, or the network path drops packets without resetting the connection. The connection it ran
 * on is closed at once (a late answer could otherwise be read as the next query's), so the statement's
 * outcome is unknown: a COMMIT may or may not have happened, never half of one.
 */
export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';
  readonly code = 'PAYHOST_QUERY_TIMEOUT';

  constructor(
    readonly timeoutMs: number,
    message = `The database did not answer within ${timeoutMs} ms; the connection was closed`,
  ) {
    super(message);
  }
}

/**
 * True when `error` (or its cause, or one of an AggregateError's errors) says
 * the database is out of reach, as opposed to a statement it refused.
 */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if (error instanceof QueryTimeoutError) return true;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableState(code))) return true;
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => isConnectionFailure(e, depth + 1))) return true;
  return isConnectionFailure(cause, depth + 1);
}

/** The typed error a request gets while the database is out of reach; the driver's error is its cause (for the log, not the client). */
export function storeUnavailable(storeName: string, cause: unknown): PayhostError {
  return new PayhostError(ERROR_CODES.storeUnavailable, `The ledger database (${storeName}) cannot be reached; retry later with the same idempotency key`, undefined, { cause });
}

/**
 * A call on a store after its close(): store_unavailable as well (the server answers it 503, like a database
 * out of reach: a request still running while the server shuts down), details.reason `closed`.
 */
export function storeClosed(storeName: string): PayhostError {
  return new PayhostError(ERROR_CODES.storeUnavailable, `The ledger store (${storeName}) is closed: it takes no more calls`, { store: storeName, reason: 'closed' });
}
