import { ERROR_CODES, PayhostError, REVIEW_OUTCOMES, REVIEW_PAGE_MAX_LIMIT, TRANSACTION_ERROR_CODES, type ReviewItem, type ReviewOutcome, type TransactionErrorCode, type TransactionKind } from '@payhost/core';
import { resultJson, reviewItemJson } from '@payhost/server';
import { requireEmbeddedDatabase } from '../embedded-database.js';
import { json, type CliIo } from '../io.js';
import { withPaymentService } from '../ledger-session.js';
import { loadCommandConfig } from '../logger.js';

/** How many items a page the CLI reads: the largest the list gives (REVIEW_PAGE_MAX_LIMIT). */
const PAGE = REVIEW_PAGE_MAX_LIMIT;

export interface ReviewListOptions {
  config: string;
  /** At most this many items (a whole number, 1 or more); absent: every item. */
  limit?: string;
  /** A cursor printed by an earlier `--limit` run: the items after it. */
  after?: string;
}

/**
 * Prints the review list as the admin API answers it: the transactions held for review, the refunds still ongoing
 * and the charges still pending at the processor, oldest first, each with what is needed to find it at the processor
 * and its `reason` (`held_for_review`, `refund_ongoing`, `pending_charge`), as one JSON array. Every item, read a page
 * at a time; with `--limit`, at most that many, and when more follow, the `--after` cursor of the rest on stderr.
 */
export async function reviewList(options: ReviewListOptions, io: CliIo): Promise<void> {
  if (options.limit !== undefined && !/^[1-9][0-9]{0,8}$/.test(options.limit)) throw usage(`--limit must be a whole number, 1 or more, not ${JSON.stringify(options.limit)}`);
  const cap = options.limit === undefined ? Number.POSITIVE_INFINITY : Number(options.limit);
  const { config, logger } = await loadCommandConfig(options.config, io);
  // Listing from a data directory with no database would create one and answer [] as if nothing were held.
  requireEmbeddedDatabase(config, 'review list');
  const { items, nextCursor } = await withPaymentService(config, { logger }, async (payments) => {
    const all: ReviewItem[] = [];
    let after: string | null = options.after ?? null;
    do {
      const page = await payments.listReviewPage({ limit: Math.min(PAGE, cap - all.length), after });
      all.push(...page.items);
      after = page.nextCursor;
    } while (after !== null && all.length < cap);
    return { items: all, nextCursor: after };
  });
  io.out(json(items.map(reviewItemJson)));
  if (nextCursor !== null) io.err(`${items.length} items printed, more follow: payhost review list --limit ${options.limit ?? ''} --after ${nextCursor}`);
}

function usage(message: string): PayhostError {
  return new PayhostError(ERROR_CODES.invalidInput, message);
}

/** A transaction id as the admin API's route takes it (`format: uuid`): anything else is malformed, not unknown. */
const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

export interface ReviewResolveOptions {
  config: string;
  outcome: string;
  note: string;
  kind?: string;
  amount?: string;
  gatewayTransactionId?: string;
  pspReference?: string;
  errorCode?: string;
}

/** Records what the processor shows for one transaction of the review list; prints the payment and the transaction recorded. */
export async function reviewResolve(transactionId: string, options: ReviewResolveOptions, io: CliIo): Promise<void> {
  // Checked before the store is opened: a typo costs nothing.
  if (!UUID.test(transactionId)) throw usage(`<transactionId> must be a UUID (as review list prints it), not ${JSON.stringify(transactionId)}`);
  if (!(REVIEW_OUTCOMES as readonly string[]).includes(options.outcome)) throw usage(`--outcome must be one of ${REVIEW_OUTCOMES.join(', ')}`);
  if (options.errorCode !== undefined && !(TRANSACTION_ERROR_CODES as readonly string[]).includes(options.errorCode)) {
    throw usage(`--error-code must be one of ${TRANSACTION_ERROR_CODES.join(', ')}`);
  }
  const { config, logger } = await loadCommandConfig(options.config, io);
  requireEmbeddedDatabase(config, 'review resolve');
  const { payment, transaction } = await withPaymentService(config, { logger }, (payments) =>
    payments.resolveReview({
      // Ids are stored in lowercase; the admin API lowers the one it is given too (uuidParam).
      transactionId: transactionId.toLowerCase(),
      outcome: options.outcome as ReviewOutcome,
      note: options.note,
      kind: (options.kind as TransactionKind | undefined) ?? null,
      amount: options.amount ?? null,
      gatewayTransactionId: options.gatewayTransactionId ?? null,
      pspReference: options.pspReference ?? null,
      errorCode: (options.errorCode as TransactionErrorCode | undefined) ?? null,
    }),
  );
  io.out(json(resultJson({ payment, transaction })));
}
