import type { GatewayResponse, PaymentData, TransactionKind, TransactionStatusInput } from '@payhost/core';
import type Stripe from 'stripe';
import { STILL_OPEN, adoptedBy, adoptionRefusal, boundTo, connectRefusal } from './adoption.js';
import { toStripeAmount } from './amounts.js';
import { mutating, reading } from './client.js';
import { onHoldingAccount } from './account-fallback.js';
import { applicationFee, connectTarget, decodeRef, followUpAccounts, lostChargeAccounts, pspAccount, referenceAccount } from './connect.js';
import { failure, refusal, type OperationContext } from './context.js';
import { heldRefusal } from './refused-token.js';
import { intentResponse, refundResponse } from './status-mapping.js';

/**
 * How long Stripe's search index may lag a write before a missing intent
 * means it was never created. Stripe: "under normal operating conditions,
 * data is searchable in less than a minute. Occasionally, propagation ... can
 * be up to an hour behind during outages." Concluding earlier could record a
 * real charge as failed (and a retry under a new key would charge again);
 * until then the transaction stays in review, its amount reserved.
 */
export const SEARCH_LAG_MS = 2 * 60 * 60 * 1000;

/** Five minutes: far beyond any request Stripe could still be carrying out. */
const FOLLOW_UP_SETTLE_MIN_MS = 5 * 60_000;

/**
 * How old a refund, capture or cancellation must be before Stripe's not having
 * it means it was not made: a request that timed out here (each of the SDK's
 * retries included) may still be carried out by Stripe a while after. Until
 * then the answer is null ("cannot tell"): the ledger holds the transaction for
 * review, its amount reserved, instead of freeing it for a second refund.
 */
export function followUpSettleMs(settings: { timeoutMs: number; maxNetworkRetries: number }): number {
  return Math.max(FOLLOW_UP_SETTLE_MIN_MS, 2 * (settings.maxNetworkRetries + 1) * settings.timeoutMs);
}

type Operation = 'process' | 'authorize' | 'capture' | 'refund' | 'void' | 'confirm';

const BY_KIND: Partial<Record<TransactionKind, Operation>> = { auth: 'authorize', capture: 'capture', refund: 'refund', void: 'void', confirm: 'confirm' };

function operationOf(input: TransactionStatusInput): Operation | null {
  const op = input.transaction.gatewayIdempotencyKey.split(':')[1];
  if (op === 'process' || op === 'authorize' || op === 'capture' || op === 'refund' || op === 'void' || op === 'confirm') return op;
  return BY_KIND[input.transaction.kind] ?? null;
}

function escapeQuery(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** The charge brought an intent (a pi_ token) rather than creating one. */
function adopted(payment: PaymentData): boolean {
  return decodeRef(payment.token)?.id.startsWith('pi_') === true;
}

/** Whether the intent took (or is taking) the customer's money: captured, authorized, or processing. */
function movedMoney(intent: Stripe.PaymentIntent): boolean {
  return intent.status === 'succeeded' || intent.status === 'requires_capture' || intent.status === 'processing';
}

/**
 * Why the payment's own pi_ token, not adopted by this call (its key not on it), is not for the transaction's amount
 * and currency (what the charge checks before binding), or null. The charge refused such a token.
 */
function amountRefusal(intent: Stripe.PaymentIntent, input: TransactionStatusInput): string | null {
  const { payment, transaction } = input;
  const currency = payment.currency.toLowerCase();
  let amount: number;
  try {
    amount = toStripeAmount(transaction.amount, payment.currency);
  } catch (err) {
    return (err as Error).message;
  }
  return intent.amount === amount && intent.currency === currency ? null : `PaymentIntent ${intent.id} is for ${intent.amount} ${intent.currency}, not ${amount} ${currency} (minor units).`;
}

/**
 * A refused token the customer can still pay (STILL_OPEN) or authorized (requires_capture: a hold, no money moved) is
 * canceled here, as the charge tried to (charges.ts cancelRefused), under a key of this attempt
 * (`<ledger key>#unbound:r<ms>`): Stripe saves a 5xx under its key and replays it for 24 h, so the charge's key (or an
 * earlier attempt's) might never cancel it. A repeated cancel moves no money. The intent as it stands after: the
 * cancel's answer, or when the cancel failed (an error, Stripe refusing because it succeeded or was canceled
 * meanwhile) the intent read again; null when that read fails too.
 */
async function cancelRefused(ctx: OperationContext, intent: Stripe.PaymentIntent, account: string | null, key: string, now: Date): Promise<Stripe.PaymentIntent | null> {
  try {
    return await ctx.stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' }, mutating({ account, idempotencyKey: key }, `unbound:r${now.getTime()}`));
  } catch {
    try {
      return await ctx.stripe.paymentIntents.retrieve(intent.id, {}, reading({ account }));
    } catch {
      return null;
    }
  }
}

/**
 * The payment's own pi_ token refused for its amount, currency or Connect terms (`refused`). Still open or authorized:
 * canceled (cancelRefused), then the refusal is definite. One that took money (succeeded, processing), or whose cancel
 * failed, is never recorded as the payment's charge: held for a person, answered as "cannot tell"
 * (outcome_unknown, which the ledger takes as null) with the intent as reference and what to do in the message, which
 * the ledger keeps on the held row. Canceled: the refusal.
 */
async function settleRefused(ctx: OperationContext, input: TransactionStatusInput, intent: Stripe.PaymentIntent, account: string | null, refused: { code: string | null; message: string }, now: Date): Promise<GatewayResponse> {
  const { payment, transaction } = input;
  const current = STILL_OPEN.has(intent.status) || intent.status === 'requires_capture' ? ((await cancelRefused(ctx, intent, account, transaction.gatewayIdempotencyKey, now)) ?? intent) : intent;
  if (current.status !== 'canceled') return { ...heldRefusal(ctx, payment, transaction.kind, current, account, refused), amount: transaction.amount };
  const message = `${refused.message} The intent is canceled, so it cannot take the money.`;
  const refusedResponse = refused.code ? refusal(payment, transaction.kind, refused.code, message) : failure(payment, transaction.kind, message);
  return { ...refusedResponse, amount: transaction.amount };
}

/**
 * What an intent of this channel that names no payment (or this one) is for this charge. Bound to the payment and
 * adopted by this call (its key on it): the charge, as Stripe holds it (null here). The payment's own pi_ token
 * not adopted by this call: the adopting call never wrote the binding (its read of the intent failed, its binding
 * or cancel did, or the host stopped first), though the customer may have paid it in the browser. For the
 * transaction's amount and currency and terms, an unbound one that took the money is the charge (null here;
 * reconciliation writes nothing: the intent stays unbound, and the ledger's PSP reference claim keeps it to one
 * payment), and one the customer can still pay (3-D Secure pending, a confirm or another card to come) is 'open':
 * cannot tell yet, never a failure, or its later charge would go unrecorded. Refused for its amount, currency or
 * terms (bound from the start or not): settleRefused, so the charge's later terms check sees no such token.
 * Anything else unbound never became this payment's charge.
 */
async function ownTokenVerdict(ctx: OperationContext, input: TransactionStatusInput, intent: Stripe.PaymentIntent, account: string | null, now: Date): Promise<GatewayResponse | null | 'charge' | 'open'> {
  const { payment, transaction } = input;
  const fail = (message: string): GatewayResponse => ({ ...failure(payment, transaction.kind, message), amount: transaction.amount });
  const own = decodeRef(payment.token)?.id === intent.id && !adoptedBy(intent, payment, transaction.gatewayIdempotencyKey);
  const wrongAmount = own ? amountRefusal(intent, input) : null;
  const wrongTerms = own && !wrongAmount ? adoptedTermsRefusal(ctx, payment, intent) : null;
  if (boundTo(intent, payment)) {
    const refused = wrongAmount ? { code: null, message: wrongAmount } : wrongTerms;
    return refused ? settleRefused(ctx, input, intent, account, refused, now) : 'charge';
  }
  const never = `PaymentIntent ${intent.id} was never bound to this payment: the adoption never took effect.`;
  if (!own || !(movedMoney(intent) || STILL_OPEN.has(intent.status))) return fail(never);
  const refused = wrongAmount ? { code: null, message: `${never} ${wrongAmount}` } : wrongTerms;
  if (refused) return settleRefused(ctx, input, intent, account, refused, now);
  return movedMoney(intent) ? 'charge' : 'open';
}

/**
 * An adopted intent's Connect terms, checked as the charge checks them, from
 * the current settings. Not for intents the plugin created (found by key), nor
 * for one this call adopted (adoptedBy): a fee configured otherwise since
 * would make a real charge look refused.
 */
function adoptedTermsRefusal(ctx: OperationContext, payment: PaymentData, intent: Stripe.PaymentIntent): { code: string | null; message: string } | null {
  const target = connectTarget(ctx.settings, payment);
  if ('error' in target) return { code: null, message: target.error };
  try {
    return connectRefusal(intent, target, applicationFee(ctx.settings, target, intent.amount, payment.currency, payment));
  } catch (err) {
    return { code: 'invalid_amount', message: (err as Error).message };
  }
}

/**
 * A refund Stripe answered pending (refund_ongoing, its re_ id known) whose refund.updated the host
 * never got: the refund object as Stripe holds it now (succeeded: refund, failed/canceled:
 * refund_failed, still pending: refund_ongoing, which the ledger leaves as it is). Found by its id,
 * not by our key: a dashboard refund's row carries an event's; on the accounts the payment's
 * follow-ups run on (a plain re_ of a refund made on the platform after a switch to REMOTE is
 * there). Null for another payment's refund, or one Stripe does not show.
 */
async function ongoingRefundStatus(ctx: OperationContext, input: TransactionStatusInput, refundId: string, accounts: (string | null)[]): Promise<GatewayResponse | null> {
  const intentId = [decodeRef(input.transaction.pspReference), decodeRef(input.payment.token)].find((r) => r?.id.startsWith('pi_'))?.id;
  if (!intentId) return null;
  const found = await onHoldingAccount(accounts, 'refund', (account) => ctx.stripe.refunds.retrieve(refundId, {}, reading({ account })));
  if ('error' in found) {
    if ((found.error as { code?: unknown }).code === 'resource_missing') return null;
    throw found.error;
  }
  const refund = found.value;
  const of = typeof refund.payment_intent === 'string' ? refund.payment_intent : (refund.payment_intent?.id ?? null);
  if (of !== intentId) return null;
  return refundResponse(refund, found.account, true, pspAccount(ctx.settings, found.account));
}

/**
 * The refund made with `key` on the intent, on the first of `accounts` that
 * holds the intent (followUpAccounts): a plain pi_ in REMOTE mode is the
 * connected account's, or the platform's for a payment charged before the
 * switch, whose refunds the follow-up made there. An account that lists no
 * refund of it while another account follows is asked for the intent itself:
 * the refunds of an intent it does not hold are not "none". Null when the
 * holding account has no such refund; an intent on no account throws Stripe's answer.
 */
async function refundByKey(ctx: OperationContext, intentId: string, key: string, accounts: (string | null)[]): Promise<{ refund: Stripe.Refund | null; account: string | null }> {
  const found = await onHoldingAccount(accounts, 'payment_intent', async (account, more) => {
    // Every page: an intent refunded more than 100 times would otherwise hide the refund and report it never made.
    let listed = false;
    for await (const refund of ctx.stripe.refunds.list({ payment_intent: intentId, limit: 100 }, reading({ account }))) {
      if (refund.metadata?.['payhost_idempotency_key'] === key) return refund;
      listed = true;
    }
    // Listed refunds prove the intent is here; none: make sure before the next account is skipped.
    if (!listed && more) await ctx.stripe.paymentIntents.retrieve(intentId, {}, reading({ account }));
    return null;
  });
  if ('error' in found) throw found.error;
  return { refund: found.value, account: found.account };
}

/**
 * getTransactionStatus (reconciliation): what became of a call whose answer
 * the host lost. Reads Stripe, and writes only the cancel of the payment's
 * own refused token still open or authorized (settleRefused): the intent (by reference, or
 * found by the idempotency key kept in its metadata), the refund made
 * with that key, or a refund still ongoing (by its id). Null when Stripe cannot tell yet (a refund, capture or
 * cancellation it does not show, younger than followUpSettleMs).
 */
export async function transactionStatus(ctx: OperationContext, input: TransactionStatusInput, now: Date = new Date()): Promise<GatewayResponse | null> {
  const { transaction, payment } = input;
  const ongoing = transaction.kind === 'refund_ongoing' ? decodeRef(transaction.gatewayTransactionId) : null;
  if (ongoing?.id.startsWith('re_')) {
    // Before the key's operation: a dashboard refund's row has none of ours.
    const on = followUpAccounts(ctx.settings, ongoing.account, payment);
    return 'error' in on ? null : ongoingRefundStatus(ctx, input, ongoing.id, on.accounts);
  }
  const op = operationOf(input);
  if (!op) return null;
  const key = transaction.gatewayIdempotencyKey;
  const ref = decodeRef(transaction.gatewayTransactionId) ?? decodeRef(transaction.pspReference) ?? decodeRef(payment.token);
  const charging = op === 'process' || op === 'authorize';
  const kind = transaction.kind;
  // A charge's reference may be the customer's pi_ token: checked against the payment's account, and one on
  // another account was refused by the call itself (recorded as such). A follow-up's comes from the ledger
  // (the plugin's own answers): its account is the payment's (connect.ts); a refusal there means a person looks.
  // A follow-up's plain pi_ in REMOTE mode may be on the platform (charged before the switch): until each account it
  // may be on was read, nothing is "not made" (followUpAccounts).
  const on = charging ? referenceAccount(ctx.settings, ref?.account ?? null, payment) : followUpAccounts(ctx.settings, ref?.account ?? null, payment);
  if ('error' in on) return charging ? { ...refusal(payment, kind, on.code, on.error), amount: transaction.amount } : null;
  const accounts = 'accounts' in on ? on.accounts : [on.account];
  let account = accounts[0] ?? null;
  const never = (what: string): GatewayResponse => ({ ...failure(payment, kind, `Stripe has no record of this ${what}: the request never took effect.`), amount: transaction.amount });
  // A follow-up Stripe does not show: not made, once its request cannot still be running; until then, cannot tell.
  const settled = now.getTime() - transaction.createdAt.getTime() > followUpSettleMs(ctx.settings);
  const notMade = (what: string): GatewayResponse | null => (settled ? never(what) : null);

  if (op === 'refund') {
    if (!ref?.id.startsWith('pi_')) return null;
    const found = await refundByKey(ctx, ref.id, key, accounts);
    return found.refund ? refundResponse(found.refund, found.account, true, pspAccount(ctx.settings, found.account)) : notMade('refund');
  }

  let intent: Stripe.PaymentIntent | null = null;
  if (ref?.id.startsWith('pi_')) {
    const found = await onHoldingAccount(accounts, 'payment_intent', (on) => ctx.stripe.paymentIntents.retrieve(ref.id, { expand: ['payment_method'] }, reading({ account: on })));
    if ('error' in found) throw found.error;
    intent = found.value;
    account = found.account;
  } else if (charging) {
    for (const on of lostChargeAccounts(ctx.settings, payment, account)) {
      const found = await ctx.stripe.paymentIntents.search({ query: `metadata['payhost_idempotency_key']:'${escapeQuery(key)}'`, limit: 1, expand: ['data.payment_method'] }, reading({ account: on }));
      intent = found.data[0] ?? null;
      if (intent) {
        account = on;
        break;
      }
    }
    if (!intent) return now.getTime() - transaction.createdAt.getTime() > SEARCH_LAG_MS ? never('payment') : null;
  }
  if (!intent) return null;
  // A charge found through the payment's pi_ token is an adoption (charges.ts): only an intent bound to this payment counts,
  // or the payment's own paid token its charge could not bind (ownTokenVerdict). Another payment's is never canceled.
  if (charging) {
    const refused = adoptionRefusal(intent, payment, ctx.channel);
    if (refused) return { ...failure(payment, kind, refused), amount: transaction.amount };
    const verdict = await ownTokenVerdict(ctx, input, intent, account, now);
    if (verdict === 'open') return null;
    if (verdict !== 'charge') return verdict;
    // The call that adopted the intent wrote its key on it (adoptedBy): it accepted these terms under the settings of
    // its time, so the intent is recorded as Stripe holds it, whatever the fee or account configured since.
    const terms = adopted(payment) && !adoptedBy(intent, payment, key) ? adoptedTermsRefusal(ctx, payment, intent) : null;
    if (terms) {
      // An intent other than the payment's token (the token itself was checked in ownTokenVerdict, canceled if open),
      // bound without this call's key: the current settings cannot tell what the call decided. Money moved: held.
      if (movedMoney(intent)) return null;
      return { ...refusal(payment, kind, terms.code, terms.message), amount: transaction.amount };
    }
  }
  const observed = { account, pspAccount: pspAccount(ctx.settings, account), observed: true, publishableKey: ctx.settings.publishableKey };
  switch (op) {
    case 'capture':
      if (intent.status === 'requires_capture') return notMade('capture');
      return intentResponse(intent, { ...observed, failureKind: 'capture', canceled: 'failure' });
    case 'void':
      if (intent.status !== 'canceled') return notMade('cancellation');
      return intentResponse(intent, { ...observed, failureKind: 'void', canceled: 'void' });
    default:
      return intentResponse(intent, { ...observed, failureKind: intent.capture_method === 'manual' ? 'auth' : 'capture', canceled: 'failure' });
  }
}
