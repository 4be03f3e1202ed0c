import type { GatewayResponse } from '../contracts/gateway.js';
import { applyResponse, markReview } from './apply.js';
import { fault, gatewayStoresCustomers, type LedgerContext } from './context.js';
import type { Payment, Transaction } from './model.js';
import { operationOf } from './operations.js';
import { buildPaymentData } from './payment-data.js';

export interface ReconcileOptions {
  /**
   * Only pending transactions at least this old (by createdAt). Default 0:
   * every pending transaction not in flight in this process. With several
   * instances, use more than the longest gateway call so another instance's
   * in-flight call is not taken for a crashed one (it would only be marked
   * for review, and its own result still applies over that).
   */
  minAgeMs?: number;
}

export interface ReconcileReport {
  /** Pending transactions looked at. */
  checked: number;
  /** Resolved with the gateway's answer (success or failure). */
  applied: string[];
  /** The gateway could not tell: marked `review` (the reserved amount stays reserved). */
  review: string[];
  /** In flight here, too young, or resolved by someone else meanwhile. */
  skipped: string[];
}

const CANNOT_TELL = 'Reconciliation: the gateway could not tell what became of this transaction';

/**
 * Resolves transactions left `pending` by a crash between the gateway call
 * and the ledger update: asks the gateway (`getTransactionStatus`, with the
 * same payment data and gateway idempotency key as the original call) and
 * applies its answer through the same code as an API response, completing
 * the caller's idempotency record; marks the row `review` when the gateway
 * cannot tell. Safe to run concurrently with traffic and with itself.
 */
export async function reconcilePending(ctx: LedgerContext, calling: ReadonlySet<string>, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, applied: [], review: [], skipped: [] };
  const minAgeMs = options.minAgeMs ?? 0;
  for (const pending of await ctx.store.listPendingTransactions()) {
    report.checked += 1;
    if (calling.has(pending.id) || ctx.now().getTime() - pending.createdAt.getTime() < minAgeMs) {
      report.skipped.push(pending.id);
      continue;
    }
    const payment = await ctx.store.getPayment(pending.paymentId);
    const status = payment ? await askGateway(ctx, payment, pending) : null;
    await fault(ctx, { point: 'after-gateway', operation: 'reconcile', paymentId: pending.paymentId, transactionId: pending.id, response: status });
    const result = await ctx.store.transaction(async (tx) => {
      const locked = await tx.getPayment(pending.paymentId, { forUpdate: true });
      const current = await tx.getTransaction(pending.id);
      if (!locked || !current || current.state !== 'pending') return 'skipped' as const;
      const now = ctx.now();
      if (!status) {
        await markReview(tx, current, now, CANNOT_TELL);
        return 'review' as const;
      }
      const applied = await applyResponse(tx, locked, current, status, { now, storeCustomer: gatewayStoresCustomers(ctx, locked) });
      if (current.idempotencyKey) await tx.completeIdempotencyKey(current.idempotencyKey, applied.outcome, now);
      return 'applied' as const;
    });
    report[result].push(pending.id);
    ctx.logger.info({ paymentId: pending.paymentId, transactionId: pending.id, result }, 'reconciled pending transaction');
    await fault(ctx, { point: 'after-apply', operation: 'reconcile', paymentId: pending.paymentId, transactionId: pending.id, response: status });
  }
  return report;
}

/** The gateway's answer for one pending transaction; null when it cannot tell (or fails, or is gone). */
export async function askGateway(ctx: LedgerContext, payment: Payment, pending: Transaction): Promise<GatewayResponse | null> {
  const operation = operationOf(pending);
  if (!operation) return null;
  try {
    const all = await ctx.store.listTransactions(payment.id);
    const before = all.slice(0, Math.max(0, all.findIndex((t) => t.id === pending.id)));
    const charging = operation === 'process' || operation === 'authorize';
    const account =
      charging && !payment.token && payment.customerId
        ? await ctx.store.transaction((tx) => tx.getCustomerAccount(payment.customerId as string, payment.channel, payment.gateway))
        : null;
    const paymentData = buildPaymentData({ operation, payment, transaction: pending, amount: pending.amount, transactions: before, account });
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
    return await ctx.gateways.getTransactionStatus({ channel: payment.channel, gateway: payment.gateway, transaction, payment: paymentData });
  } catch (err) {
    ctx.logger.warn({ paymentId: payment.id, transactionId: pending.id, err }, 'getTransactionStatus failed; the transaction goes to review');
    return null;
  }
}
