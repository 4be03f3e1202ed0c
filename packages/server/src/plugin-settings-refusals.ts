import { ERROR_CODES, isPayhostError, PayhostError } from '@payhost/core';

// The errors an admin change of plugin settings (PluginSettingsSync) answers with, worded for an admin.

/** Reasons for a statement the database cancelled (a timeout, a conflict with another session): they pass by themselves. */
const CANCELLED: ReadonlySet<string> = new Set(['statement_timeout', 'lock_timeout', 'serialization_failure', 'deadlock_detected']);

/**
 * What the ledger database did, for the admin messages below: out of reach, cancelled the statement (a
 * timeout or a conflict: `details.reason` lock_timeout, ...), or answering but refusing writes for a state
 * of its own (read_only, disk_full, ...), which a retry does not mend until someone fixes the database.
 */
function storeFailure(err: PayhostError): { says: string; details: Record<string, unknown> } {
  const reason = err.details?.['reason'];
  if (typeof reason !== 'string') return { says: 'the ledger database cannot be reached', details: {} };
  const store = err.details?.['store'];
  const says = CANCELLED.has(reason) ? `the ledger database cancelled the write (${reason})` : `the ledger database refuses writes (${reason})`;
  return { says, details: { reason, ...(typeof store === 'string' ? { store } : {}) } };
}

/**
 * What the admin request answers when the store failed: the store's own `store_unavailable` message tells
 * a payment's client to retry with its idempotency key, which an admin change has none of.
 */
export function notSaved(err: unknown, plugin: string, channel: string | null): unknown {
  if (!isPayhostError(err, ERROR_CODES.storeUnavailable)) return err;
  const failure = storeFailure(err);
  return new PayhostError(
    ERROR_CODES.storeUnavailable,
    `Plugin configuration not changed: ${failure.says} to save the change; retry it later (GET the configuration first)`,
    { plugin, channel, ...failure.details },
    { cause: err.cause ?? err },
  );
}

/** A re-encryption the store stopped: not the payment message ("retry with the same idempotency key"). */
export function notReencrypted(err: unknown): never {
  if (!isPayhostError(err, ERROR_CODES.storeUnavailable)) throw err;
  const failure = storeFailure(err);
  throw new PayhostError(
    ERROR_CODES.storeUnavailable,
    `Re-encryption stopped: ${failure.says}; the changes re-encrypted before it stay so, run it again later`,
    Object.keys(failure.details).length > 0 ? failure.details : undefined,
    { cause: err.cause ?? err },
  );
}

/** A change refused because the latest save of its plugin cannot be decrypted here: the same code and details. */
export function notReadable(err: PayhostError): PayhostError {
  return new PayhostError(err.code, `Plugin configuration not changed: this instance cannot read its latest saved change. ${err.message}`, err.details);
}

/** A change made over what an admin read (If-Match), when another change was saved since. */
export function changedSince(plugin: string, channel: string | null, read: number, latest: number): PayhostError {
  return new PayhostError(
    ERROR_CODES.configurationChanged,
    `Plugin configuration not changed: it was changed since you read it (revision ${read}, now ${latest}). Read it again (GET), then make your change over it`,
    { plugin, channel, revision: latest },
  );
}
