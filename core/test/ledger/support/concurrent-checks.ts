import { Decimal, PaymentService, isPayhostError, type Transaction } from '@payhost/core';
import { LOST_CHARGE_PREFIX, dummyStore } from '@payhost/plugin-dummy';
import { CHANNEL } from '../helpers.js';
import { deliver, type Call, type Run } from './concurrent-actions.js';
import { SchedDummy } from './sched-dummy.js';

/** After each batch of the concurrent model: deliver what is left, settle what is held, compare the ledger with the dummy. */

/** Delivers every event not delivered yet (newest first: out of order), retrying busy ones. */
export async function deliverAll(run: Run): Promise<void> {
  for (let round = 0; round < 3; round += 1) {
    const left = SchedDummy.outbox.filter((e) => !run.delivered.has(e.eventId)).reverse();
    if (left.length === 0) return;
    for (const ev of left) {
      const status = await deliver(run, ev, ev.eventId, round % 2 === 1);
      run.trace.push(`final deliver ${ev.response.kind} ${ev.response.isSuccess ? 'ok' : 'fail'} ${ev.response.amount} -> ${status}`);
    }
  }
  const stuck = SchedDummy.outbox.filter((e) => !run.delivered.has(e.eventId));
  if (stuck.length > 0) run.problems.push(`events never accepted: ${stuck.map((e) => `${e.response.kind} ${e.response.amount}`).join(', ')}`);
}

/** Nothing is running: reconcile, then an operator settles what is still held as the dummy shows it. */
export async function settleHeldRows(run: Run): Promise<void> {
  const report = await run.services[0]!.reconcile({ minAgeMs: 0 });
  run.trace.push(`end reconcile -> applied ${report.applied.length} review ${report.review.length} held ${report.held.length}`);
  // The calls first, then the events held beside them (a refund event held beside a capture held for review counts once the capture does).
  const items = (await run.services[0]!.listReview()).filter((i) => i.payment.id === run.paymentId);
  items.sort((a, b) => Number(a.transaction.gatewayIdempotencyKey.startsWith('event:')) - Number(b.transaction.gatewayIdempotencyKey.startsWith('event:')));
  const calls = (await run.services[0]!.listTransactions(run.paymentId)).filter((t) => !t.gatewayIdempotencyKey.startsWith('event:')).map((t) => t.id);
  for (const { transaction: t } of items) {
    if (t.state !== 'review') continue;
    // Every event the dummy sends is true: one held for review must name the call held for review that it waits on
    // (a capture whose outcome is unknown, a refund whose running total it may be), never be held on its own.
    if (t.gatewayIdempotencyKey.startsWith('event:') && !calls.some((id) => t.error?.includes(id))) run.problems.push(`event held for review on its own: ${t.kind} ${t.amount}: ${t.error ?? ''}`);
    // A refund event held for review: the dummy made that refund (its outbox holds it) or nothing.
    const refund = t.gatewayIdempotencyKey.startsWith('event:') ? SchedDummy.outbox.find((e) => e.response.isSuccess && e.response.kind === 'refund' && e.response.transactionId === t.gatewayTransactionId) : undefined;
    const entry = dummyStore.getIdempotent(CHANNEL, t.gatewayIdempotencyKey);
    const lost = dummyStore.findCharge(CHANNEL, `${LOST_CHARGE_PREFIX}${t.gatewayIdempotencyKey}`);
    let res: Parameters<PaymentService['resolveReview']>[0];
    if (refund) res = { transactionId: t.id, outcome: 'succeeded', note: 'dummy refunded', amount: refund.response.amount, gatewayTransactionId: refund.response.transactionId };
    else if (lost) res = { transactionId: t.id, outcome: 'succeeded', note: 'dummy charged', kind: lost.captureOnConfirm ? 'capture' : 'auth', gatewayTransactionId: lost.pspReference, pspReference: lost.pspReference };
    else if (entry?.response.isSuccess) res = { transactionId: t.id, outcome: 'succeeded', note: 'dummy did it', kind: entry.response.kind === 'action_to_confirm' ? null : entry.response.kind, amount: entry.response.amount.toString(), gatewayTransactionId: entry.response.transactionId, pspReference: entry.response.pspReference ?? null };
    else res = { transactionId: t.id, outcome: 'failed', note: 'dummy shows nothing / a failure' };
    try {
      const item = await run.services[0]!.resolveReview(res);
      run.trace.push(`operator resolves ${t.kind} ${t.amount} ${res.outcome} -> ${item.transaction.kind}/${item.transaction.isSuccess}`);
    } catch (err) {
      run.trace.push(`operator resolves ${t.kind} ${t.amount} ${res.outcome} -> ${isPayhostError(err) ? err.code + ': ' + err.message : String(err)}`);
    }
  }
}

export async function checkAll(run: Run, where: string): Promise<void> {
  const p = await run.services[0]!.getPayment(run.paymentId);
  const txs = await run.services[0]!.listTransactions(run.paymentId);
  const rows = txs.map((t) => `${t.kind}/${t.state}/${t.isSuccess ? 'ok' : 'fail'}/${t.amount.toString()}${t.idempotencyKey ? '' : ' (event)'}`).join(', ');
  const state = `payment ${p.chargeStatus} captured=${p.capturedAmount} authorized=${p.authorizedAmount} active=${p.isActive} toConfirm=${p.toConfirm}; rows: ${rows}`;
  const fail = (msg: string): void => {
    run.problems.push(`${where}: ${msg} | ${state}`);
  };
  const unresolved = txs.filter((t: Transaction) => t.state !== 'applied');
  if (unresolved.length > 0) fail(`unresolved rows after everything settled: ${unresolved.map((t) => `${t.kind}/${t.state}: ${t.error ?? ''}`).join('; ')}`);
  const sumOf = (kind: string): Decimal => txs.filter((t) => t.state === 'applied' && t.isSuccess && t.kind === kind).reduce((acc, t) => acc.plus(t.amount), new Decimal(0));
  const captures = sumOf('capture');
  const refunds = sumOf('refund');
  if (!captures.minus(refunds).eq(p.capturedAmount)) fail(`captures ${captures} - refunds ${refunds} != captured`);
  if (refunds.gt(captures)) fail('refunded more than captured');
  if (captures.gt(p.total)) fail('captured more than the total');
  if (p.capturedAmount.plus(p.authorizedAmount).gt(p.total)) fail('captured + authorized > total');
  const voided = txs.some((t) => t.state === 'applied' && t.isSuccess && t.kind === 'void');
  if (voided && captures.gt(0)) fail('a void succeeded on a payment with captures');
  const statusOk: Record<string, boolean> = {
    'not-charged': p.capturedAmount.isZero() && refunds.isZero(),
    'partially-charged': p.capturedAmount.gt(0) && p.capturedAmount.lt(p.total),
    'fully-charged': p.capturedAmount.eq(p.total),
    'partially-refunded': p.capturedAmount.gt(0) && refunds.gt(0),
    'fully-refunded': p.capturedAmount.isZero() && !p.isActive && refunds.gt(0),
  };
  if (statusOk[p.chargeStatus] !== true) fail(`status ${p.chargeStatus} inconsistent with the amounts`);
  // The dummy's record.
  const charges = new Set(SchedDummy.outbox.filter((e) => e.response.isSuccess && e.response.pspReference).map((e) => e.response.pspReference as string));
  const dashboardOnly = [...charges];
  if (charges.size > 1) fail(`the dummy holds ${charges.size} charges for one payment: ${dashboardOnly.join(', ')}`);
  const psp = p.pspReference ?? dashboardOnly[0];
  const c = psp ? dummyStore.findCharge(CHANNEL, psp) : undefined;
  if (!c) {
    if (p.capturedAmount.gt(0) || p.authorizedAmount.gt(0)) fail('ledger has money but the dummy has no charge');
    return;
  }
  if (!c.captured.minus(c.refunded).eq(p.capturedAmount)) fail(`dummy captured ${c.captured} refunded ${c.refunded} != ledger captured`);
  if (!c.captured.eq(captures)) fail(`dummy captured ${c.captured} != ledger captures ${captures}`);
  if (!c.refunded.eq(refunds)) fail(`dummy refunded ${c.refunded} != ledger refunds ${refunds}`);
  const capturable = p.isActive && c.status === 'succeeded' && (run.cfg.multi || c.captured.isZero()) ? c.authorized.minus(c.captured) : new Decimal(0);
  if (!p.authorizedAmount.eq(capturable)) fail(`ledger authorized != dummy capturable ${capturable} (dummy ${c.status} auth ${c.authorized} captured ${c.captured})`);
  if (c.status === 'voided' && p.isActive) fail('dummy voided, ledger payment still active');
  if ((c.status === 'requires_action' || c.status === 'requires_payment_method') !== p.toConfirm && p.isActive) fail(`dummy ${c.status} vs ledger toConfirm=${p.toConfirm}`);
  // One ledger row per call the dummy acted on.
  const opKeys = new Set(txs.map((t) => t.gatewayIdempotencyKey).filter((k) => k.startsWith('payhost:')));
  const acted = SchedDummy.acted.filter((k) => !k.startsWith('dashboard-'));
  for (const k of acted) if (!opKeys.has(k)) fail(`the dummy acted on ${k} but the ledger has no row for it`);
  if (new Set(acted).size !== acted.length) fail('the dummy acted twice on one gateway key');
}

export async function paymentIdOf(service: PaymentService, payCall: Call): Promise<string> {
  try {
    return (await service.pay(payCall.input as never)).payment.id;
  } catch (err) {
    if (isPayhostError(err) && typeof err.details?.['paymentId'] === 'string') return err.details['paymentId'] as string;
    throw err;
  }
}
