import type { LedgerContext } from './context.js';
import { invalidInput } from './ledger-errors.js';
import type { Transaction } from './model.js';
import { listUnsettledRefunds } from './ongoing-refunds.js';
import { PENDING_CHARGE_REVIEW_AFTER_MS, pendingChargeForReview } from './pending-charge-review.js';
import type { ReviewItem, ReviewListOptions, ReviewReason } from './review.js';

/**
 * The review list a page at a time (listReviewPage). The store lists the candidate rows (transactions
 * held for review, unsettled refund_ongoing, pending charges of payments still pending); they are merged
 * and sorted by (createdAt, id), oldest first, and the cursor cuts them there. Only then are the
 * payments read, one or two reads per row: for the page's rows and the one after it (whether a next
 * page exists), never for the whole list. A pending charge settled meanwhile is skipped on that read.
 */

/** How many items a page holds by default, and at most. */
export const REVIEW_PAGE_DEFAULT_LIMIT = 100;
export const REVIEW_PAGE_MAX_LIMIT = 1000;

/** `details.reason` of the invalid_input a cursor the list did not give (or a version that no longer reads it) answers. */
export const INVALID_REVIEW_CURSOR = 'invalid_cursor';

export interface ReviewPageOptions extends ReviewListOptions {
  /** At most this many items, 1 to REVIEW_PAGE_MAX_LIMIT (1000); default REVIEW_PAGE_DEFAULT_LIMIT (100). */
  limit?: number;
  /** A page's `nextCursor`: the items after the last one it held. Absent or null: from the oldest. */
  after?: string | null;
}

export interface ReviewPage {
  items: ReviewItem[];
  /** Give it as `after` for the next page; null when this page holds the list's last item. */
  nextCursor: string | null;
}

interface Candidate {
  transaction: Transaction;
  reason: ReviewReason;
}

interface SortKey {
  at: number;
  id: string;
}

const CURSOR_PREFIX = 'r1:';

/** An opaque cursor: base64url of "r1:<createdAt ms>:<transaction id>". */
export function encodeReviewCursor(key: SortKey): string {
  return Buffer.from(`${CURSOR_PREFIX}${key.at}:${key.id}`, 'utf8').toString('base64url');
}

function badCursor(): never {
  throw invalidInput('after must be a nextCursor the review list gave', { field: 'after', reason: INVALID_REVIEW_CURSOR });
}

export function decodeReviewCursor(cursor: unknown): SortKey {
  if (typeof cursor !== 'string' || cursor === '' || cursor.length > 500 || !/^[A-Za-z0-9_-]+$/.test(cursor)) badCursor();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^r1:(\d{1,16}):([^\s:]{1,200})$/.exec(text);
  if (!match) badCursor();
  const at = Number(match[1]);
  if (!Number.isSafeInteger(at)) badCursor();
  return { at, id: match[2] as string };
}

function keyOf(t: Transaction): SortKey {
  return { at: t.createdAt.getTime(), id: t.id };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.at !== b.at) return a.at - b.at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function checkedMinAge(options: ReviewListOptions): number {
  const minAgeMs = options.pendingChargeMinAgeMs ?? PENDING_CHARGE_REVIEW_AFTER_MS;
  if (!Number.isFinite(minAgeMs) || minAgeMs < 0) throw invalidInput('pendingChargeMinAgeMs must be a number of milliseconds, 0 or more', { field: 'pendingChargeMinAgeMs' });
  return minAgeMs;
}

function checkedLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return REVIEW_PAGE_DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > REVIEW_PAGE_MAX_LIMIT) {
    throw invalidInput(`limit must be a whole number from 1 to ${REVIEW_PAGE_MAX_LIMIT}`, { field: 'limit' });
  }
  return limit;
}

/** Every row that may be in the list, oldest first by (createdAt, id): no payment read yet. */
async function candidates(ctx: LedgerContext, minAgeMs: number): Promise<Candidate[]> {
  const held = (await ctx.store.listPendingTransactions({ includeReview: true })).filter((t) => t.state === 'review');
  const ongoing = await listUnsettledRefunds(ctx);
  const now = ctx.now().getTime();
  const pending = ctx.store.listUnsettledPendingCharges ? await ctx.store.listUnsettledPendingCharges() : [];
  const all: Candidate[] = [
    ...held.map((transaction) => ({ transaction, reason: 'held_for_review' as const })),
    ...ongoing.map((transaction) => ({ transaction, reason: 'refund_ongoing' as const })),
    ...pending.filter((t) => now - t.createdAt.getTime() >= minAgeMs).map((transaction) => ({ transaction, reason: 'pending_charge' as const })),
  ];
  return all.sort((a, b) => compareKeys(keyOf(a.transaction), keyOf(b.transaction)));
}

/** The candidate with its payment, or null when it is no item (its payment gone, a pending charge settled). */
async function itemOf(ctx: LedgerContext, c: Candidate): Promise<ReviewItem | null> {
  if (c.reason === 'pending_charge') {
    const found = await pendingChargeForReview(ctx, c.transaction);
    return found && { ...found, reason: c.reason };
  }
  const payment = await ctx.store.getPayment(c.transaction.paymentId);
  return payment && { payment, transaction: c.transaction, reason: c.reason };
}

/** The items after `after`, in order: at most `limit`, and the cursor of the next page when one more item follows. */
async function walk(ctx: LedgerContext, rows: readonly Candidate[], after: SortKey | null, limit: number): Promise<ReviewPage> {
  const items: ReviewItem[] = [];
  for (const c of rows) {
    if (after && compareKeys(keyOf(c.transaction), after) <= 0) continue;
    const item = await itemOf(ctx, c);
    if (!item) continue;
    if (items.length === limit) {
      const last = items[items.length - 1] as ReviewItem;
      return { items, nextCursor: encodeReviewCursor(keyOf(last.transaction)) };
    }
    items.push(item);
  }
  return { items, nextCursor: null };
}

/**
 * A page of the review list (listReview's items, in its order): at most `limit` items after the cursor
 * `after`, and the cursor of the next page (null at the end). A bad `after` is invalid_input with
 * `details.reason` `invalid_cursor`; a bad `limit`, invalid_input of field `limit`.
 */
export async function listReviewPage(ctx: LedgerContext, options: ReviewPageOptions = {}): Promise<ReviewPage> {
  const minAgeMs = checkedMinAge(options);
  const limit = checkedLimit(options.limit);
  const after = options.after === undefined || options.after === null ? null : decodeReviewCursor(options.after);
  return walk(ctx, await candidates(ctx, minAgeMs), after, limit);
}

/** The whole list at once (listReview): every item's payment is read. */
export async function listWholeReview(ctx: LedgerContext, options: ReviewListOptions = {}): Promise<ReviewItem[]> {
  const minAgeMs = checkedMinAge(options);
  return (await walk(ctx, await candidates(ctx, minAgeMs), null, Number.POSITIVE_INFINITY)).items;
}
