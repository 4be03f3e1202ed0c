import type { SettleWrites, Transaction } from '@payhost/core';
import type { Row, SqlStatement } from './driver.js';
import {
  ACCOUNT_COLUMNS,
  IDEMPOTENCY_COLUMNS,
  PAYMENT_COLUMNS,
  PAYMENT_PARAMS,
  TRANSACTION_COLUMNS,
  jsonParam,
  paymentParams,
  rowToTransaction,
  timeParam,
  transactionParams,
} from './rows.js';

// The SQL the store sends: fixed statements, and the ones built per call (settle's).

export const PAYMENT_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19, $20::jsonb, $21::jsonb, $22';
export const TRANSACTION_VALUES = '$1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18, $19, $20::jsonb';

/** The column types of PAYMENT_COLUMNS and TRANSACTION_COLUMNS, for parameters that take no type from a column. */
const PAYMENT_TYPES = ['text', 'text', 'text', 'text', 'numeric', 'numeric', 'numeric', 'text', 'text', 'text', 'text', 'text', 'boolean', 'boolean', 'boolean', 'jsonb', 'timestamptz', 'timestamptz', 'integer', 'jsonb', 'jsonb', 'text'];
const TRANSACTION_TYPES = ['text', 'text', 'text', 'text', 'boolean', 'boolean', 'jsonb', 'numeric', 'text', 'text', 'text', 'text', 'text', 'text', 'jsonb', 'text', 'text', 'timestamptz', 'timestamptz', 'jsonb'];

const columnList = (columns: string): string[] => columns.split(',').map((c) => c.trim());

/** `col = $n` for each column after the first (the id), numbered from `first` + 1, for UPDATE ... SET. */
function assignments(columns: string, casts: Record<number, string> = {}, first = 0): string {
  return columnList(columns)
    .map((c, i) => `${c} = $${first + i + 1}${casts[i + 1] ?? ''}`)
    .slice(1)
    .join(', ');
}

/** `$n::type, ...` for `types`, numbered from `first` + 1. */
function typedPlaceholders(types: readonly string[], first: number): string {
  return types.map((type, i) => `$${first + i + 1}::${type}`).join(', ');
}

/** The casts of PAYMENT_COLUMNS' jsonb parameters (metadata, billing, shipping). */
const PAYMENT_CASTS = { 16: '::jsonb', 20: '::jsonb', 21: '::jsonb' };
export const PAYMENT_SET = assignments(PAYMENT_COLUMNS, PAYMENT_CASTS);
export const TRANSACTION_SET = assignments(TRANSACTION_COLUMNS, { 7: '::jsonb', 15: '::jsonb', 20: '::jsonb' });
export const BY_AGE = 'ORDER BY created_at, seq';
export const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';
export const CLAIM_KEY = `INSERT INTO idempotency_keys (key, request_hash, state, response, created_at, updated_at)
         VALUES ($1, $2, 'in_flight', NULL, $3, $3) ON CONFLICT (key) DO NOTHING RETURNING key`;
/** LedgerTx.holdIdempotencyKey: a key still in flight gets `response` (a done or missing key is left alone). */
export const HOLD_KEY = `UPDATE idempotency_keys SET response = $2::jsonb, updated_at = $3 WHERE key = $1 AND state = 'in_flight'`;
export const SELECT_KEY = `SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE key = $1`;
export const SELECT_PAYMENT = `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`;
export const LOCK_PAYMENT = `${SELECT_PAYMENT} FOR UPDATE`;
export const LIST_TRANSACTIONS = `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE payment_id = $1 ${BY_AGE}`;

/**
 * claimAndCreate in one statement: the claim ($1-$3), then the payment ($4-$25) only when the claim
 * inserted its row, then its transaction ($26-$45) only when the payment was inserted. The insert
 * of a claimed key answers one row; a key taken already, none (and nothing is written).
 */
export const CLAIM_AND_CREATE = `WITH claim AS (
    ${CLAIM_KEY}
  ), payment AS (
    INSERT INTO payments (${PAYMENT_COLUMNS}) SELECT ${typedPlaceholders(PAYMENT_TYPES, 3)} FROM claim RETURNING id
  )
  INSERT INTO transactions (${TRANSACTION_COLUMNS}) SELECT ${typedPlaceholders(TRANSACTION_TYPES, 3 + PAYMENT_PARAMS)} FROM payment RETURNING id`;

/**
 * claimAndInsertTransaction in one statement: the claim ($1-$3), then the transaction ($4-$23) only
 * when the claim inserted its row. One row when the key was claimed; none when it was taken already
 * (nothing written). A transaction that cannot be written (its payment missing, its id taken) fails
 * the statement, the claim included.
 */
export const CLAIM_AND_INSERT_TRANSACTION = `WITH claim AS (
    ${CLAIM_KEY}
  )
  INSERT INTO transactions (${TRANSACTION_COLUMNS}) SELECT ${typedPlaceholders(TRANSACTION_TYPES, 3)} FROM claim RETURNING id`;

/** The transaction's columns as `t.col AS t_col`, beside the payment's in one row. */
const TRANSACTION_PREFIXED = columnList(TRANSACTION_COLUMNS)
  .map((c) => `t.${c} AS t_${c}`)
  .join(', ');

/**
 * lockPaymentAndTransaction: locks the payment ($1), then the transaction ($2), each at its latest
 * committed version (FOR UPDATE in READ COMMITTED waits for a concurrent holder and then reads the
 * row as that one left it; only writers of the payment's rows hold its lock, so the transaction's
 * lock never waits); then, with a key in $3, when the payment has no PSP reference yet and the
 * transaction is unresolved, the PSP reference's advisory lock. The same order as the separate calls
 * take them (row locks, then the advisory lock claimPspReference takes), so no two transactions wait
 * for each other. MATERIALIZED: each stage runs, locking, before the next reads it.
 */
export const LOCK_PAYMENT_AND_TRANSACTION = `WITH p AS MATERIALIZED (
    SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 FOR UPDATE
  ), pt AS MATERIALIZED (
    SELECT p.*, ${TRANSACTION_PREFIXED} FROM p, transactions t WHERE t.id = $2 FOR UPDATE OF t
  )
  SELECT pt.*, CASE WHEN $3::text IS NOT NULL AND pt.psp_reference IS NULL AND pt.t_state <> 'applied'
    THEN (SELECT true FROM pg_advisory_xact_lock(hashtextextended($3::text, 0))) ELSE false END AS psp_locked
  FROM pt`;

/** The advisory lock key of a PSP reference (claimPspReference). */
export function pspLockKey(gateway: string, pspReference: string): string {
  return JSON.stringify(['payhost.psp_reference', gateway, pspReference]);
}

/** A transaction's row from the `t_` columns of LOCK_PAYMENT_AND_TRANSACTION. */
export function prefixedTransaction(row: Row): Transaction {
  const own: Row = {};
  for (const column of columnList(TRANSACTION_COLUMNS)) own[column] = row[`t_${column}`];
  return rowToTransaction(own);
}

/** The error settle's statement raises when a row it must write is not there (see settleStatement). */
const NOT_SETTLED = 'payhost: not settled: ';

/**
 * settle() as one statement: the transaction row ($1-$20), then the payment when given (at its
 * expected version), the card on file and the idempotency record. Every write must have found its row:
 * otherwise the statement fails (a text cast to integer is the one way plain SQL has to raise an
 * error), so nothing of it is written and the store transaction fails, also when its COMMIT was sent
 * with it.
 */
export function settleStatement(writes: SettleWrites): SqlStatement {
  const params: unknown[] = transactionParams(writes.transaction);
  const ctes = [`t AS (UPDATE transactions SET ${TRANSACTION_SET} WHERE id = $1 RETURNING 1)`];
  const checks = ["'transaction rows ' || (SELECT count(*) FROM t)"];
  const must = ['(SELECT count(*) FROM t) = 1'];
  if (writes.payment) {
    const first = params.length;
    params.push(...paymentParams(writes.payment.next), writes.payment.expectedVersion);
    const version = first + PAYMENT_PARAMS + 1;
    ctes.push(`p AS (UPDATE payments SET ${assignments(PAYMENT_COLUMNS, PAYMENT_CASTS, first)} WHERE id = $${first + 1} AND version = $${version} RETURNING 1)`);
    checks.push(`', payment rows at version ' || $${version}::integer || ' ' || (SELECT count(*) FROM p)`);
    must.push('(SELECT count(*) FROM p) = 1');
  }
  if (writes.account) {
    const a = writes.account;
    const first = params.length;
    params.push(a.customerId, a.channel, a.gateway, a.gatewayCustomerId, timeParam(a.createdAt));
    ctes.push(
      `a AS (INSERT INTO customer_accounts (${ACCOUNT_COLUMNS}) VALUES ($${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, $${first + 5}) ` +
        'ON CONFLICT (customer_id, channel, gateway) DO UPDATE SET gateway_customer_id = EXCLUDED.gateway_customer_id)',
    );
  }
  if (writes.idempotency) {
    const k = writes.idempotency;
    const first = params.length;
    params.push(k.key, jsonParam(k.response), timeParam(k.now));
    ctes.push(`k AS (UPDATE idempotency_keys SET state = 'done', response = $${first + 2}::jsonb, updated_at = $${first + 3} WHERE key = $${first + 1} RETURNING 1)`);
    checks.push("', idempotency key rows ' || (SELECT count(*) FROM k)");
    must.push('(SELECT count(*) FROM k) = 1');
  }
  const text =
    `WITH ${ctes.join(', ')} SELECT CASE WHEN ${must.join(' AND ')} THEN 0 ` +
    `ELSE ('${NOT_SETTLED}transaction ' || $1 || ': ' || ${checks.join(' || ')})::integer END AS settled`;
  return { text, params };
}

/** settle's own failure as a plain error (not the cast's "invalid input syntax"); anything else as it is. */
export function settleError(error: unknown): unknown {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return error;
  const at = message.indexOf(NOT_SETTLED);
  if (at < 0) return error;
  const detail = message.slice(at + NOT_SETTLED.length).replace(/"$/, '');
  return new Error(`settle wrote nothing: a row it must update is missing or changed (${detail})`, { cause: error });
}
