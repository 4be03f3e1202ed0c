import type { GatewayResponse } from '../contracts/gateway.js';
import { ERROR_CODES, isPayhostError } from '../errors/index.js';
import { applyResponse, markReview } from './apply.js';
import { fault, gatewayApplyOptions, type LedgerContext } from './context.js';
import type { Payment, Transaction } from './model.js';
import { operationOf } from './operations.js';
import { incoherentAnswer, isOutcomeUnknown, withStatusCheck } from './outcome-unknown.js';
import { buildPaymentData } from './payment-data.js';
import { isUnsettledRefund, listUnsettledRefunds, settleOngoingRefund, settlementFromStatus } from './ongoing-refunds.js';
import { chargeEventFromStatus, listPendingChargesToReconcile, pendingChargeAction, repairStuckPendingCharge } from './pending-charges.js';
import { AskBackoff } from './reconcile-backoff.js';
import { applyGatewayEvent } from './webhook-inbox.js';

export interface ReconcileOptions {
  /**
   * Only transactions at least this old (by createdAt). PaymentService.reconcile()'s
   * default: twice the manager's hookTimeoutMs (reconcilePending's own: 0).
   * Younger, a call may still be running here or on another instance, or
   * still land at the processor after its answer was lost, and the gateway's
   * "no record of it" is final only once it cannot. Pending and held for
   * review alike.
   */
  minAgeMs?: number;
  /**
   * Also ask the gateway again about transactions held for review, and apply
   * its answer once it can tell (releasing or charging the reserved amount).
   * Default true. Like refunds still ongoing and charges answered `pending`,
   * one 10 minutes old or more is asked again only after a wait of a tenth of
   * its age, at most 6 hours (reconcile-backoff.ts; `held` meanwhile).
   */
  revisitReview?: boolean;
  /**
   * Stops the pass between transactions (a host shutting down): checked before
   * each one, and once aborted the rest are left as they are and reported
   * `skipped` (the next pass, or the next start, picks them up). The
   * transaction being resolved when it aborts is finished, not cut short.
   */
  signal?: AbortSignal;
  /**
   * Also ask about refunds still ongoing and charges answered `pending` (reconcileOngoing, reconcilePendingCharge; those the
   * processor may keep ongoing for days, one gateway call each). Default true. A server's start-up pass,
   * run before it listens, leaves them to its periodic passes: only what a crash left is resolved first.
   */
  settling?: boolean;
  /**
   * Bounds the pass, in ms of wall-clock time from its start: checked before each transaction as
   * `signal` is, and once spent the rest are reported `skipped` (the next pass picks them up). The
   * transaction being resolved is finished, so a pass may run one gateway call longer. Default: none.
   * The groups (pending or in review, refunds ongoing, charges pending) take turns, one question each, and within
   * a group the rows never asked about in this process come first, then the least recently asked
   * (AskBackoff.order): passes that each reach only some of the rows due rotate through all of them.
   */
  budgetMs?: number;
}

export interface ReconcileReport {
  /** Transactions looked at (pending, held for review when revisited, refunds still ongoing, charges answered pending). */
  checked: number;
  /** Resolved with the gateway's answer (success or failure), or a payment left pending repaired (pending-charges.ts). */
  applied: string[];
  /** Pending, and the gateway could not tell: marked `review` (the reserved amount stays reserved). */
  review: string[];
  /**
   * Held for review (or a refund still ongoing, or a charge answered pending), and the gateway still cannot tell (or shows it pending),
   * or not asked about this pass (asked before, and its wait is not over: reconcile-backoff.ts): left as they are.
   */
  held: string[];
  /** In flight here, too young, resolved by someone else meanwhile, or not reached before `signal` aborted the pass or `budgetMs` was spent. */
  skipped: string[];
  /** Could not be resolved this pass (an error, logged); left as they are, the pass went on with the next. */
  failed: string[];
}

const CANNOT_TELL = 'Reconciliation: the gateway could not tell what became of this transaction';

type Verdict = 'applied' | 'review' | 'held' | 'skipped';

/**
 * Resolves transactions left `pending` by a crash between the gateway call
 * and the ledger update: asks the gateway (`getTransactionStatus`, with the
 * same payment data and gateway idempotency key as the original call) and
 * applies its answer through the same code as an API response, completing
 * the caller's idempotency record; marks the row `review` when the gateway
 * cannot tell. Rows already in review are asked about again and resolved
 * once the gateway can tell. Refunds still ongoing and charges answered `pending` whose processor
 * event never came are asked about too (reconcileOngoing, reconcilePendingCharge). Safe to run concurrently with traffic and with itself.
 */
export async function reconcilePending(ctx: LedgerContext, calling: ReadonlySet<string>, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, applied: [], review: [], held: [], skipped: [], failed: [] };
  const minAgeMs = options.minAgeMs ?? 0;
  const deadline = options.budgetMs === undefined ? null : performance.now() + options.budgetMs;
  const stopped = (): boolean => options.signal?.aborted === true || (deadline !== null && performance.now() >= deadline);
  const rows = await ctx.store.listPendingTransactions({ includeReview: options.revisitReview ?? true });
  // Transactions still `pending` (a crash's leftover) are always asked about; those held for review after a wait.
  const groups = [group(rows, AskBackoff.forPass(ctx, 'review', rows), reconcileOne, 'transaction', true)];
  if (options.settling !== false) {
    const refunds = await listUnsettledRefunds(ctx);
    groups.push(group(refunds, AskBackoff.forPass(ctx, 'refund', refunds), reconcileOngoing, 'ongoing refund'));
    const charges = await listPendingChargesToReconcile(ctx);
    groups.push(group(charges, AskBackoff.forPass(ctx, 'charge', charges), reconcilePendingCharge, 'pending charge'));
  }
  // One question of each group in turn (those with none left give their turn to the others): a budget spent
  // on one group's many rows does not starve the others, each gets its share while it has rows due.
  const pass: Pass = { ctx, calling, minAgeMs, stopped };
  while (groups.some((g) => g.next < g.queue.length)) {
    for (const g of groups) await step(pass, g);
  }
  // Reported in the order listed (oldest first), whatever the order asked in.
  for (const g of groups) {
    for (const row of g.rows) {
      report.checked += 1;
      report[g.verdicts.get(row.id) ?? 'skipped'].push(row.id);
    }
  }
  return report;
}

interface Pass {
  ctx: LedgerContext;
  calling: ReadonlySet<string>;
  minAgeMs: number;
  /** The pass's `signal` aborted, or its `budgetMs` spent. */
  stopped: () => boolean;
}

/** One group of rows a pass asks about, with what becomes of each. */
interface Group {
  /** As listed (oldest first). */
  rows: readonly Transaction[];
  backoff: AskBackoff;
  /** The same rows in the order to ask about them (AskBackoff.order), and the next one to look at. */
  queue: Transaction[];
  next: number;
  one: (ctx: LedgerContext, row: Transaction) => Promise<Verdict>;
  what: string;
  /** Transactions still `pending` or held for review (reconcileOne), not rows settling (reconcileOngoing, reconcilePendingCharge). */
  pending: boolean;
  verdicts: Map<string, Verdict | 'failed'>;
}

function group(rows: readonly Transaction[], backoff: AskBackoff, one: Group['one'], what: string, pending = false): Group {
  return { rows, backoff, queue: backoff.order(rows), next: 0, one, what, pending, verdicts: new Map() };
}

/** Looks at the group's next rows until one is asked about (or none is left): the rows not asked about cost nothing. */
async function step(pass: Pass, g: Group): Promise<void> {
  while (g.next < g.queue.length) {
    const row = g.queue[g.next++] as Transaction;
    if (await look(pass, g, row)) return;
  }
}

/**
 * Pending (a crash's leftover) or held for review (reconcileOne), or applied rows whose settling row never came, each at least
 * minAgeMs old: refunds the processor accepted
 * (refund_ongoing, their amount still reserved; the settling `refund` or `refund_failed` is written once the
 * gateway shows the refund finished, ongoing-refunds.ts), and charges it answered `pending` (the payment
 * still `pending`; a final answer is recorded through the webhook inbox, pending-charges.ts). Still pending,
 * or it cannot tell: `held`, left for the next pass, the processor's event, or a person (listReview). One looked
 * at is looked at again only once the group's backoff says it is due (`held` meanwhile; a transaction still `pending`
 * always is), without reading anything: one a processor never settles (a failed bank transfer waits for a person)
 * costs nothing but its listing until then. One tried is recorded as asked even when it failed, so a row that
 * fails at every pass goes behind the others (AskBackoff.order). Whether the gateway was asked (or tried).
 */
async function look(pass: Pass, g: Group, row: Transaction): Promise<boolean> {
  const { ctx } = pass;
  const tooYoung = ctx.now().getTime() - row.createdAt.getTime() < pass.minAgeMs;
  let verdict: Verdict;
  let asked = false;
  try {
    // One not due is held (it would not be asked about), whether or not the pass is stopped.
    if (pass.calling.has(row.id) || tooYoung) verdict = 'skipped';
    else if (!(g.pending && row.state === 'pending') && !g.backoff.due(row)) verdict = 'held';
    else if (pass.stopped()) verdict = 'skipped';
    else {
      asked = true;
      try {
        verdict = await g.one(ctx, row);
      } finally {
        g.backoff.asked(row);
      }
    }
  } catch (error) {
    // One row that cannot be resolved must not stop the pass for the rows after it.
    ctx.logger.error({ paymentId: row.paymentId, transactionId: row.id, err: error }, `could not reconcile ${g.what}; left as it is`);
    g.verdicts.set(row.id, 'failed');
    return asked;
  }
  g.verdicts.set(row.id, verdict);
  const where = { paymentId: row.paymentId, transactionId: row.id, result: verdict };
  if (g.pending && verdict === 'held') ctx.logger.debug(where, 'transaction still held for review');
  else if (g.pending && verdict !== 'skipped') ctx.logger.info(where, 'reconciled pending transaction');
  else if (verdict === 'applied') ctx.logger.info(where, `reconciled ${g.what}`);
  return asked;
}

/**
 * A charge answered `pending` (pending-charges.ts): the gateway's final answer about its gateway transaction
 * goes through the webhook inbox as the processor's event would, under an event id derived from the row and
 * the answer, so that event, arriving later, is `already_applied` and nothing is counted twice. A final
 * failure ends nothing (held, logged): processors keep one id across attempts, so from the id the ledger cannot
 * tell an earlier attempt's decline, nor one the customer retried since the read (pending-charges.ts). One already settled by a
 * successful authorization or capture whose payment stayed `pending` (older code) is repaired without asking
 * the gateway. Its payment and transactions are read once (the pass's backoff said it is due).
 */
async function reconcilePendingCharge(ctx: LedgerContext, row: Transaction): Promise<Verdict> {
  const payment = await ctx.store.getPayment(row.paymentId);
  if (!payment) return 'skipped';
  const transactions = await ctx.store.listTransactions(payment.id);
  const action = pendingChargeAction(payment, transactions, row);
  if (action === 'repair') return (await repairStuckPendingCharge(ctx, row)) ? 'applied' : 'skipped';
  // Settled (its event, another reconciler), maybe with its payment waiting for another charge: nothing to ask.
  if (action === null) return 'skipped';
  const answer = await askGateway(ctx, payment, row, transactions);
  const event = answer !== null && !isOutcomeUnknown(answer) ? chargeEventFromStatus(payment, row, answer) : null;
  if (!event) return 'held';
  if (event.response.isSuccess !== true) {
    // Not ended here: between this read and the payment's lock the customer may have paid the same processor
    // payment again (one id across attempts), whose processing event the inbox takes for a repeat. A person
    // checks the processor's dashboard; the payment stays `pending` (no second charge meanwhile). Logged once per
    // question (the pass's backoff): at warn, for that person, who settles it from the review list (pending-charge-review.ts).
    ctx.logger.warn(
      { paymentId: row.paymentId, transactionId: row.id, gatewayTransactionId: row.gatewayTransactionId },
      'reconciliation: the gateway reports the pending charge failed; the payment is left pending for a person: it is listed in GET /admin/review (payhost review list) once an hour old; settle it there from the processor\'s dashboard',
    );
    return 'held';
  }
  const result = await applyGatewayEvent(ctx, event);
  if (result.status === 'applied') return 'applied';
  if (result.status === 'already_applied') return 'skipped';
  // Recorded held for review (more than the ledger can count), or already sent by an earlier pass: for a person.
  ctx.logger.warn({ paymentId: row.paymentId, transactionId: row.id, status: result.status }, 'reconciliation: the answer about a pending charge was not applied; left as it is');
  return 'held';
}

async function reconcileOngoing(ctx: LedgerContext, row: Transaction): Promise<Verdict> {
  const payment = await ctx.store.getPayment(row.paymentId);
  const answer = payment ? await askGateway(ctx, payment, row) : null;
  const settlement = answer !== null && !isOutcomeUnknown(answer) ? settlementFromStatus(row, answer) : null;
  if (!settlement) return 'held';
  return ctx.store.transaction(async (tx): Promise<Verdict> => {
    const locked = await tx.getPayment(row.paymentId, { forUpdate: true });
    const current = await tx.getTransaction(row.id);
    // Settled meanwhile (its event, a person, another reconciler): leave it.
    if (!locked || !current || !isUnsettledRefund(await tx.listTransactions(locked.id), current)) return 'skipped';
    await settleOngoingRefund(ctx, tx, locked, current, settlement, ctx.now());
    return 'applied';
  });
}

/** A row and the reason it is held for: its own once in review, else (a pending row, e.g. after a crash) CANNOT_TELL. */
function heldBefore(row: Transaction): { row: Transaction; reason: string } {
  return { row, reason: row.state === 'review' && row.error !== null && row.error !== '' ? row.error : CANNOT_TELL };
}

async function reconcileOne(ctx: LedgerContext, row: Transaction): Promise<Verdict> {
  const payment = await ctx.store.getPayment(row.paymentId);
  const answer = payment ? await askGateway(ctx, payment, row) : null;
  // A status answer that itself cannot tell (its own request lost) is no outcome: applied, it would record
  // a failure and free the reservation of a call the processor may have carried out.
  const status = answer !== null && isOutcomeUnknown(answer) ? null : answer;
  await fault(ctx, { point: 'after-gateway', operation: 'reconcile', paymentId: row.paymentId, transactionId: row.id, response: status });
  // A "cannot tell" that says what the gateway knows (its reference, what to do) is kept on the row for a person,
  // beside the reason it was held for (an incoherent answer's evidence stays), never over it.
  const told = withStatusCheck(heldBefore(row), answer);
  // Still no answer for a row already in review: nothing to write, unless the gateway tells something new.
  if (!status && row.state === 'review' && told.reason === row.error) return 'held';
  const verdict = await ctx.store.transaction(async (tx): Promise<Verdict> => {
    const locked = await tx.getPayment(row.paymentId, { forUpdate: true });
    const current = await tx.getTransaction(row.id);
    // Resolved meanwhile (its API answer, an event, another reconciler): leave it.
    if (!locked || !current || current.state !== row.state) return 'skipped';
    const now = ctx.now();
    if (!status) {
      const kept = withStatusCheck(heldBefore(current), answer);
      await markReview(tx, kept.row, now, kept.reason);
      return row.state === 'review' ? 'held' : 'review';
    }
    await applyResponse(tx, locked, current, status, { now, ...gatewayApplyOptions(ctx, locked), complete: current.idempotencyKey });
    return 'applied';
  });
  await fault(ctx, { point: 'after-apply', operation: 'reconcile', paymentId: row.paymentId, transactionId: row.id, response: status });
  return verdict;
}

/**
 * The gateway's answer for one pending transaction; null when it cannot tell (or fails, or is gone).
 * `transactions`: the payment's, when the caller has just read them (else read here).
 */
export async function askGateway(ctx: LedgerContext, payment: Payment, pending: Transaction, transactions?: readonly Transaction[]): Promise<GatewayResponse | null> {
  // A refund still ongoing may have come from an event (a dashboard refund) or another refund's answer: no operation key, still a refund.
  const operation = operationOf(pending) ?? (pending.kind === 'refund_ongoing' ? 'refund' : null);
  if (!operation) return null;
  try {
    const all = transactions ?? (await ctx.store.listTransactions(payment.id));
    const before = all.slice(0, Math.max(0, all.findIndex((t) => t.id === pending.id)));
    const charging = operation === 'process' || operation === 'authorize';
    const account =
      charging && !payment.token && payment.customerId
        ? await ctx.store.transaction((tx) => tx.getCustomerAccount(payment.customerId as string, payment.channel, payment.gateway))
        : null;
    // The caller's data goes again (a connected account, a pinned reference): the gateway may need it to find the call.
    const paymentData = buildPaymentData({ operation, payment, transaction: pending, amount: pending.amount, transactions: before, account, data: pending.requestData ?? null });
    const transaction = {
      id: pending.id,
      paymentId: pending.paymentId,
      kind: pending.kind,
      amount: pending.amount,
      currency: pending.currency,
      gatewayIdempotencyKey: pending.gatewayIdempotencyKey,
      gatewayTransactionId: pending.gatewayTransactionId,
      pspReference: pending.pspReference,
      createdAt: pending.createdAt,
    };
    const status = await ctx.gateways.getTransactionStatus({ channel: payment.channel, gateway: payment.gateway, transaction, payment: paymentData });
    const incoherent = status ? incoherentAnswer(operation, payment.currency, status, pending.amount) : null;
    if (!incoherent) return status;
    // Not an answer the ledger can count: the transaction stays (or goes) in review.
    ctx.logger.error({ plugin: payment.gateway, channel: payment.channel, paymentId: payment.id, transactionId: pending.id, operation, kind: status?.kind, currency: status?.currency ?? null }, incoherent);
    return null;
  } catch (err) {
    // A manager closing mid-pass asked nothing: the row is left as it is (failed), not held for review.
    if (isPayhostError(err, ERROR_CODES.shuttingDown)) throw err;
    ctx.logger.warn({ paymentId: payment.id, transactionId: pending.id, err }, 'getTransactionStatus failed: taken as the gateway cannot tell (a pending transaction goes to review; one held, an ongoing refund or a pending charge stays as it is)');
    return null;
  }
}
