import { Decimal, type GatewayResponse, type PaymentData, type TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { roundToStripeStep } from './amounts.js';
import { mutating, reading, wasReplayed, type CallContext } from './client.js';
import { missingObject, onHoldingAccount } from './account-fallback.js';
import { applicationFee, decodeRef, followUpAccounts, pspAccount } from './connect.js';
import { convertAmount, errorResponse, failure, paymentMetadata, refusal, stripeAmountOf, type OperationContext } from './context.js';
import { describeStripeError } from './errors.js';
import { intentResponse, refundResponse } from './status-mapping.js';

interface Located {
  intentId: string;
  call: CallContext;
}

/** The intent a follow-up operation acts on and the accounts it may be on, from the token the ledger sends (the intent reference). */
function locate(ctx: OperationContext, payment: PaymentData, kind: TransactionKind): { intentId: string; accounts: (string | null)[] } | GatewayResponse {
  const ref = decodeRef(payment.token);
  if (!ref || !ref.id.startsWith('pi_')) return failure(payment, kind, 'The payment has no Stripe PaymentIntent reference (pi_...) to act on.');
  // The ledger's stored reference (the plugin's own answer) names the account; data may only agree (connect.ts).
  const on = followUpAccounts(ctx.settings, ref.account, payment);
  if ('error' in on) return refusal(payment, kind, on.code, on.error);
  return { intentId: ref.id, accounts: on.accounts };
}

/** A read made before the follow-up's request failed: nothing was sent. */
class NothingSent extends Error {
  constructor(readonly reason: unknown) {
    super('read before the request failed');
  }
}

/**
 * The intent, read before a capture or refund decides its Connect terms. A
 * failed read (5xx, lost connection) is NothingSent: the follow-up never
 * left, so it is a plain failure, not an unknown outcome held for review.
 * Stripe's "No such payment_intent" passes on as it is (the next account).
 */
async function readIntent(ctx: OperationContext, located: Located): Promise<Stripe.PaymentIntent> {
  try {
    return await ctx.stripe.paymentIntents.retrieve(located.intentId, {}, reading(located.call));
  } catch (err) {
    if (missingObject(err, 'payment_intent')) throw err;
    throw new NothingSent(err);
  }
}

/** The failed response of a follow-up whose preliminary read failed: processing_error, never outcome_unknown. */
function nothingSent(payment: PaymentData, kind: TransactionKind, located: Located, reason: unknown): GatewayResponse {
  const described = describeStripeError(reason);
  const message = `Could not read PaymentIntent ${located.intentId} before the ${kind}, so nothing was sent to Stripe: ${described.message}`;
  return { ...failure(payment, kind, message), rawResponse: { ...described.raw, message, outcome_unknown: false } };
}

/**
 * Runs a follow-up on the intent's account (followUpAccounts). A plain pi_ in
 * REMOTE mode is tried on the payment's connected account first (the
 * configured account's PSP reference is plain); a payment charged on the
 * platform before the channel moved to REMOTE has it there: on Stripe's "No
 * such payment_intent", the same request goes to the platform (idempotency
 * keys are kept per account). That costs one failed request, only for such a
 * payment: REMOTE transaction ids name their account.
 */
async function onIntentAccount(ctx: OperationContext, payment: PaymentData, kind: TransactionKind, act: (located: Located) => Promise<GatewayResponse>): Promise<GatewayResponse> {
  const target = locate(ctx, payment, kind);
  if (!('intentId' in target)) return target;
  const locatedOn = (account: string | null): Located => ({ intentId: target.intentId, call: { account, idempotencyKey: payment.idempotencyKey ?? null } });
  const done = await onHoldingAccount(target.accounts, 'payment_intent', (account) => act(locatedOn(account)));
  if ('value' in done) return done.value;
  if (done.error instanceof NothingSent) return nothingSent(payment, kind, locatedOn(done.account), done.error.reason);
  return errorResponse(ctx, done.error, payment, kind, done.account);
}

/**
 * The fee the intent already carries, for a capture of `amountMinor` of it:
 * null (send none) for a full capture, where Stripe keeps it, or when it has
 * none; for a partial capture, scaled to the captured part and rounded half
 * up to an amount Stripe accepts (left out, Stripe would keep it whole,
 * capped at the captured amount). A part scaled to 0 is sent as 0 for that
 * reason (Stripe's reference gives the parameter no minimum): the charge then
 * has no fee, and its refunds ask none back (refundTerms).
 */
function keptFee(intent: Stripe.PaymentIntent, amountMinor: number, currency: string): number | null {
  const fee = intent.application_fee_amount;
  if (fee === null || fee === undefined || amountMinor >= intent.amount) return null;
  // Captured already (a retry after a lost answer): the fee is the one the capture sent; sent again, the request replays.
  if (intent.status !== 'requires_capture') return fee;
  const scaled = roundToStripeStep(new Decimal(fee).times(amountMinor).dividedBy(intent.amount), currency);
  return Decimal.min(scaled, amountMinor).toNumber();
}

/** Whether a platform intent is a destination charge (made in FORWARD mode): transfer_data.destination set. */
function transfers(intent: Stripe.PaymentIntent): boolean {
  return intent.transfer_data?.destination !== null && intent.transfer_data?.destination !== undefined;
}

/**
 * The application_fee_amount a capture sends; null: none. Only an override
 * brought by the capture itself (`data.applicationFee`, which the ledger
 * never sends) replaces the fee: otherwise the fee set at authorization,
 * possibly that payment's own override, is kept, never recomputed from the
 * configured percent and fixed fee. Decided by the intent as charged, not
 * by the current mode (a mode change leaves a payment on its terms): so a
 * capture on the platform reads the intent even in LOCAL mode (one GET).
 */
async function captureFee(ctx: OperationContext, payment: PaymentData, located: Located, amountMinor: number): Promise<{ value: number | null } | { refused: GatewayResponse }> {
  const override = payment.data?.['applicationFee'];
  const overridden = override !== undefined && override !== null;
  // A direct charge (REMOTE) takes the override as it is, without a read.
  if (located.call.account && overridden) {
    return convertAmount(payment, 'capture', () => applicationFee(ctx.settings, { mode: 'REMOTE' }, amountMinor, payment.currency, payment));
  }
  const intent = await readIntent(ctx, located);
  // On the platform only a destination charge carries a fee: a plain one (LOCAL) takes none, whatever the override.
  if (overridden && transfers(intent)) {
    return convertAmount(payment, 'capture', () => applicationFee(ctx.settings, { mode: 'FORWARD' }, amountMinor, payment.currency, payment));
  }
  return { value: keptFee(intent, amountMinor, payment.currency) };
}

/** capturePayment: captures `amount` (partial captures release the rest; Stripe captures an intent once). */
export async function capture(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  return onIntentAccount(ctx, payment, 'capture', async (located) => {
    const amount = stripeAmountOf(payment, 'capture');
    if ('refused' in amount) return amount.refused;
    const { intentId, call } = located;
    const fee = await captureFee(ctx, payment, located, amount.value);
    if ('refused' in fee) return fee.refused;
    const params: Stripe.PaymentIntentCaptureParams = { amount_to_capture: amount.value, expand: ['payment_method'] };
    if (fee.value !== null) params.application_fee_amount = fee.value;
    const intent = await ctx.stripe.paymentIntents.capture(intentId, params, mutating(call));
    return intentResponse(intent, { account: call.account, pspAccount: pspAccount(ctx.settings, call.account), failureKind: 'capture', canceled: 'failure', observed: wasReplayed(intent) });
  });
}

/** Whether the intent carries an application fee: one of 0 (a partial capture scaling it to nothing) is none. */
function hasFee(intent: Pick<Stripe.PaymentIntent, 'application_fee_amount'>): boolean {
  return typeof intent.application_fee_amount === 'number' && intent.application_fee_amount > 0;
}

/**
 * The Connect parameters of a refund, from the charge as it was made, not
 * the current mode (a mode change leaves a payment on its terms). The intent
 * is read first (one GET per refund, on its account: in LOCAL mode too, a
 * LOCAL channel may hold payments charged in FORWARD or REMOTE). The fee
 * is asked back only from a charge that carries one > 0: Stripe refuses
 * refund_application_fee on a charge without ("... but it has no application
 * fee"), the whole refund failing, as it does for a REMOTE charge without a
 * fee configured or whose percent rounded to 0. A direct charge (on a
 * connected account) refunds its fee. A destination charge reverses the
 * transfer, else the provider keeps what it received, and refunds its fee; a
 * plain platform charge takes neither (Stripe refuses reverse_transfer
 * without a transfer). Per refund, `data.refundApplicationFee = false` keeps
 * the fee and `data.reverseTransfer = false` the transfer, and then the fee
 * too: Stripe refunds a destination charge's fee only with its transfer reversed.
 */
async function refundTerms(ctx: OperationContext, payment: PaymentData, located: Located): Promise<Pick<Stripe.RefundCreateParams, 'refund_application_fee' | 'reverse_transfer'>> {
  const keepFee = payment.data?.['refundApplicationFee'] === false;
  const intent = await readIntent(ctx, located);
  const feeBack = hasFee(intent) && !keepFee;
  if (located.call.account) return feeBack ? { refund_application_fee: true } : {};
  if (!transfers(intent) || payment.data?.['reverseTransfer'] === false) return {};
  return feeBack ? { reverse_transfer: true, refund_application_fee: true } : { reverse_transfer: true };
}

/** refundPayment: a (partial) refund of the intent; several may follow each other (Connect terms: refundTerms). */
export async function refund(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  return onIntentAccount(ctx, payment, 'refund', async (located) => {
    const amount = stripeAmountOf(payment, 'refund');
    if ('refused' in amount) return amount.refused;
    const { intentId, call } = located;
    const params: Stripe.RefundCreateParams = {
      payment_intent: intentId,
      amount: amount.value,
      metadata: paymentMetadata(ctx, payment, call.account),
      ...(await refundTerms(ctx, payment, located)),
    };
    const reason = payment.data?.['refundReason'];
    if (reason === 'duplicate' || reason === 'fraudulent' || reason === 'requested_by_customer') params.reason = reason;
    const created = await ctx.stripe.refunds.create(params, mutating(call));
    return refundResponse(created, call.account, wasReplayed(created), pspAccount(ctx.settings, call.account));
  });
}

/** voidPayment: cancels the intent (an uncaptured authorization, or one still waiting for the customer). */
export async function voidIntent(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  return onIntentAccount(ctx, payment, 'void', async ({ intentId, call }) => {
    const intent = await ctx.stripe.paymentIntents.cancel(intentId, { cancellation_reason: 'requested_by_customer', expand: ['payment_method'] }, mutating(call));
    return intentResponse(intent, { account: call.account, pspAccount: pspAccount(ctx.settings, call.account), failureKind: 'void', canceled: 'void', observed: wasReplayed(intent) });
  });
}
