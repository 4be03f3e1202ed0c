import { ERROR_CODES, isPayhostError, PayhostError } from '@payhost/core';

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

/**
 * Why a database that answers cannot take the ledger's writes now, by SQLSTATE: a state of the database
 * (a read-only node after a failover, a full disk, no memory, a failing disk), not of the statement, so
 * the same request succeeds once it has passed. Class 53's other states (53000 and 53400, e.g. a
 * temp_file_limit reached) are `insufficient_resources`; 53300 (too many clients) is a connection failure.
 *
 * And a statement the database cancelled, or a transaction it ended, for contention or a bound of its own:
 * its statement_timeout or a cancel request (57014: pg_cancel_backend gives the same state), its
 * lock_timeout (55P03, e.g. a row another session holds FOR UPDATE), a serialization failure (40001) or a
 * deadlock (40P01). The transaction rolled back and the connection is fine; the same request may succeed
 * when retried. `rolledBack` words the message so.
 */
const REFUSAL_REASONS: Readonly<Record<string, { reason: StoreRefusalReason; says: string; rolledBack?: true }>> = {
  '25006': { reason: 'read_only', says: 'is read-only (a standby, or a former primary after a failover)' },
  '53100': { reason: 'disk_full', says: 'has no space left on its disk' },
  '53200': { reason: 'out_of_memory', says: 'is out of memory' },
  '58030': { reason: 'io_error', says: 'could not read or write its files (an I/O error)' },
  '57014': { reason: 'statement_timeout', says: 'cancelled a statement (statement_timeout, or a cancel request such as pg_cancel_backend)', rolledBack: true },
  '55P03': { reason: 'lock_timeout', says: 'cancelled a statement waiting for a lock another session holds (lock_timeout)', rolledBack: true },
  '40001': { reason: 'serialization_failure', says: 'could not serialize the transaction with a concurrent one (serialization_failure)', rolledBack: true },
  '40P01': { reason: 'deadlock_detected', says: 'ended the transaction to break a deadlock with another session (deadlock_detected)', rolledBack: true },
};

export type StoreRefusalReason =
  | 'read_only'
  | 'disk_full'
  | 'out_of_memory'
  | 'insufficient_resources'
  | 'io_error'
  | 'statement_timeout'
  | 'lock_timeout'
  | 'serialization_failure'
  | 'deadlock_detected';

/** A refusal: the reason, what the message says of it, the SQLSTATE, and whether it is a cancelled statement (rolled back). */
export interface StoreRefusal {
  reason: StoreRefusalReason;
  says: string;
  sqlstate: string;
  rolledBack?: true;
}

/** What a SQLSTATE in REFUSAL_REASONS (or class 53 but 53300) says; undefined for any other. */
function refusalOfState(code: string): StoreRefusal | undefined {
  const known = REFUSAL_REASONS[code];
  if (known) return { ...known, sqlstate: code };
  if (/^53[0-9A-Z]{3}$/.test(code) && code !== '53300') return { reason: 'insufficient_resources', says: 'is short of a resource', sqlstate: code };
  return undefined;
}

/**
 * When `error` (or its cause, or one of an AggregateError's errors) is the database refusing a statement
 * for a state of its own that passes (read-only, disk full, out of memory, I/O error), or cancelling it
 * (statement_timeout, lock_timeout, a serialization failure, a deadlock): the reason and SQLSTATE;
 * undefined for a statement it refused for itself (a constraint, a syntax error) or anything else.
 */
export function storeRefusal(error: unknown, depth = 0): StoreRefusal | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  if (isPayhostError(error)) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof code === 'string' ? refusalOfState(code) : undefined;
  if (own) return own;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = storeRefusal(inner, depth + 1);
      if (found) return found;
    }
  }
  return storeRefusal(cause, depth + 1);
}

/**
 * The typed error a request gets while the database is out of reach; the driver's error is its cause (for the
 * log, not the client). A database that answers but refuses writes for a state of its own, or cancelled the
 * statement (storeRefusal), gets the same code and advice, saying which state and SQLSTATE, with
 * `details.reason` (`read_only`, `disk_full`, `lock_timeout`, ...). `advice`, for a caller with no idempotency
 * key (the migrations), replaces what follows the state: what became of the work, and the retry advice.
 */
export function storeUnavailable(storeName: string, cause: unknown, advice?: string): PayhostError {
  const refusal = storeRefusal(cause);
  if (refusal) {
    const outcome = advice ?? `${refusal.rolledBack ? 'its transaction rolled back' : 'it cannot record the request now'}; retry later with the same idempotency key`;
    return new PayhostError(
      ERROR_CODES.storeUnavailable,
      `The ledger database (${storeName}) ${refusal.says} (SQLSTATE ${refusal.sqlstate}): ${outcome}`,
      { store: storeName, reason: refusal.reason },
      { cause },
    );
  }
  const outcome = advice ?? 'retry later with the same idempotency key';
  return new PayhostError(ERROR_CODES.storeUnavailable, `The ledger database (${storeName}) cannot be reached; ${outcome}`, undefined, { cause });
}

/** True for a write refused because the session is read-only: SQLSTATE 25006, or the store_unavailable made of one. */
export function refusesWrites(error: unknown): boolean {
  if (isPayhostError(error, ERROR_CODES.storeUnavailable)) return error.details?.['reason'] === 'read_only';
  return storeRefusal(error)?.reason === 'read_only';
}

/** `storeUnavailable` for a refusal (storeRefusal), any other error as it is. */
export function unavailableIfRefused(storeName: string, error: unknown, advice?: string): unknown {
  return storeRefusal(error) ? storeUnavailable(storeName, error, advice) : error;
}

/**
 * A call on a store after its close(): store_unavailable as well (the server answers it 503, like a database
 * out of reach: a request still running while the server shuts down), details.reason `closed`.
 */
export function storeClosed(storeName: string): PayhostError {
  return new PayhostError(ERROR_CODES.storeUnavailable, `The ledger store (${storeName}) is closed: it takes no more calls`, { store: storeName, reason: 'closed' });
}
