import { Decimal, ERROR_CODES, PayhostError, type PaymentData } from '@payhost/core';
import type Stripe from 'stripe';
import { fromStripeAmount, roundToStripeStep, toStripeAmount } from './amounts.js';
import { KEY_PATTERNS, type ConnectMode, type StripeSettings } from './config.js';
import { fixedFeeMinor } from './fixed-fee.js';

/**
 * Where a payment's Stripe objects live (seed 000's modes):
 * - LOCAL: customer and charge on the platform account;
 * - FORWARD: charge on the platform, `transfer_data.destination` = the
 *   provider's connected account, platform fee as `application_fee_amount`;
 * - REMOTE: customer and charge on the connected account (Stripe-Account
 *   header), platform fee as `application_fee_amount`.
 */
export interface ConnectTarget {
  mode: ConnectMode;
  /** Stripe-Account header (REMOTE). */
  account: string | null;
  /** transfer_data.destination (FORWARD). */
  destination: string | null;
}

/** A reference to an object on a connected account travels as `acct_x:pi_y`; on the platform as `pi_y`. */
export function encodeRef(account: string | null, id: string): string {
  return account ? `${account}:${id}` : id;
}

export function decodeRef(token: string | null | undefined): { account: string | null; id: string } | null {
  if (typeof token !== 'string') return null;
  const match = /^(?:(acct_[A-Za-z0-9]+):)?((?:pi|re|seti)_[A-Za-z0-9]+)$/.exec(token.trim());
  if (!match) return null;
  return { account: match[1] ?? null, id: match[2] as string };
}

function accountFromData(payment: Pick<PaymentData, 'data'>): string | null | { error: string } {
  const value = payment.data?.['connectedAccountId'];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !KEY_PATTERNS.accountId.test(value)) return { error: `data.connectedAccountId must be a Stripe account id (acct_...), got "${String(value)}"` };
  return value;
}

/** The target of a new charge: the connected account from the payment's data, else from the configuration. */
export function connectTarget(settings: StripeSettings, payment: Pick<PaymentData, 'data'>): ConnectTarget | { error: string } {
  if (settings.mode === 'LOCAL') return { mode: 'LOCAL', account: null, destination: null };
  const fromData = accountFromData(payment);
  if (fromData !== null && typeof fromData === 'object') return fromData;
  const account = fromData ?? settings.connectedAccountId;
  if (!account) {
    return { error: `Stripe ${settings.mode} mode needs a connected account: set connected_account_id or pass data.connectedAccountId` };
  }
  return settings.mode === 'REMOTE' ? { mode: 'REMOTE', account, destination: null } : { mode: 'FORWARD', account: null, destination: account };
}

/** The settings that tell plain references from qualified ones (pspAccount); previousAccountIds may be left out (none). */
export type ReferenceSettings = Pick<StripeSettings, 'mode' | 'connectedAccountId'> & { previousAccountIds?: readonly string[] };

/**
 * The account a response's or event's pspReference is qualified with
 * (`acct_x:pi_y`), or null for the plain `pi_y`: a REMOTE connected account
 * other than the configured one and the previously configured ones, i.e. a
 * payment's own data.connectedAccountId. The ledger finds a payment's events
 * by pspReference, and a Connect endpoint receives every connected
 * account's: qualified, an event of account X only matches a payment charged
 * on X (events.ts). The configured account keeps the plain id its payments
 * recorded before per-payment accounts were followed, so their events still
 * match them; so does an account configured before
 * (previous_connected_account_ids), whose payments recorded plain ids while
 * it was the configured one: after connected_account_id changes, their events
 * still find them. Only the pspReference depends on this: the transaction ids
 * the ledger sends to follow-ups always name the account (followUpAccounts).
 */
export function pspAccount(settings: ReferenceSettings, account: string | null): string | null {
  if (settings.mode !== 'REMOTE' || account === null || account === settings.connectedAccountId) return null;
  return settings.previousAccountIds?.includes(account) ? null : account;
}

/** Stable code (rawResponse.code) of a reference naming another Stripe account than the payment's. */
export const ACCOUNT_MISMATCH = 'account_mismatch';

/**
 * The account a charge's reference (`acct_x:pi_y`: the pi_ token a charge
 * adopts, or its reconciliation) is acted on: never the reference's own say,
 * since the customer writes that token (and could name an intent they paid
 * on their own connected account). LOCAL and FORWARD intents live on the
 * platform: a reference naming an account is refused. REMOTE: the payment's
 * connected account (data.connectedAccountId, else the configured one),
 * which a reference naming an account must name. Follow-ups: followUpAccounts.
 */
export function referenceAccount(settings: StripeSettings, refAccount: string | null, payment: Pick<PaymentData, 'data'>): { account: string | null } | { error: string; code: string | null } {
  if (settings.mode !== 'REMOTE') {
    if (refAccount) return { error: `Stripe ${settings.mode} mode keeps payments on the platform account: a reference on connected account ${refAccount} is refused.`, code: ACCOUNT_MISMATCH };
    return { account: null };
  }
  const target = connectTarget(settings, payment);
  if ('error' in target) return { error: target.error, code: null };
  if (refAccount && refAccount !== target.account) {
    return { error: `The reference is on connected account ${refAccount}, but this payment's connected account is ${target.account ?? 'none'}: refused.`, code: ACCOUNT_MISMATCH };
  }
  return { account: target.account };
}

/**
 * The accounts a follow-up (capture, refund, void, confirm, and their
 * reconciliation) reads and acts on, in the order to try them: where the
 * intent was charged, whatever the mode is now (an operator may change it;
 * the payment keeps its terms). Its token is no client's: the ledger sends
 * the transaction id or PSP reference the plugin itself answered for this
 * payment (core referenceToken), after the charge checked that account
 * (referenceAccount). So a reference naming an account (`acct_x:pi_y`: every
 * transaction id of a REMOTE charge) is on that account, even when the
 * payment named its own in data.connectedAccountId and the follow-up brings
 * no data, and after a switch to LOCAL or FORWARD; in REMOTE mode a
 * data.connectedAccountId the caller does pass (confirm takes data) may only
 * agree. A plain `pi_y` is on the platform in LOCAL and FORWARD mode; in
 * REMOTE mode it is the payment's account as for a charge (the PSP reference
 * of the configured account is plain), or the platform for a payment charged
 * before a switch to REMOTE: two accounts, the connected one first. Whoever
 * reads or acts goes on to the next only on Stripe's "No such …" from one
 * (account-fallback.ts), and may conclude "not made" only once every one was read.
 */
export function followUpAccounts(settings: StripeSettings, refAccount: string | null, payment: Pick<PaymentData, 'data'>): { accounts: (string | null)[] } | { error: string; code: string | null } {
  if (refAccount === null) {
    const on = referenceAccount(settings, null, payment);
    if ('error' in on) return on;
    return { accounts: on.account === null ? [null] : [on.account, null] };
  }
  if (settings.mode !== 'REMOTE') return { accounts: [refAccount] };
  const fromData = accountFromData(payment);
  if (fromData !== null && typeof fromData === 'object') return { error: fromData.error, code: null };
  if (fromData !== null && fromData !== refAccount) {
    return { error: `The payment's reference is on connected account ${refAccount}, but data.connectedAccountId names ${fromData}: refused.`, code: ACCOUNT_MISMATCH };
  }
  return { accounts: [refAccount] };
}

/**
 * The accounts a charge whose answer was lost (no reference yet) may have
 * been made on: the payment's account, and when that is only the configured
 * one (no data.connectedAccountId), the previously configured ones too: the
 * charge may predate the change of connected_account_id.
 */
export function lostChargeAccounts(settings: StripeSettings, payment: Pick<PaymentData, 'data'>, account: string | null): (string | null)[] {
  if (settings.mode !== 'REMOTE' || account !== settings.connectedAccountId || accountFromData(payment) !== null) return [account];
  return [account, ...settings.previousAccountIds.filter((previous) => previous !== account)];
}

/** A plain decimal string, as core's parseAmount takes one: no sign, no exponent. */
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

function invalidFee(message: string, value: unknown): PayhostError {
  return new PayhostError(ERROR_CODES.invalidAmount, message, { field: 'data.applicationFee', amount: typeof value === 'string' || typeof value === 'number' ? String(value) : typeof value, gateway: 'payhost.stripe' });
}

/**
 * `data.applicationFee` as a Decimal: a Decimal or a plain decimal string
 * ("1.50"), as every amount (core's AmountInput). A JavaScript number (a
 * binary float: 0.1 + 0.2), exponent notation ("1e1"), a sign ("-0") or
 * anything else is refused (invalid_amount) rather than read through String(),
 * which would take ["5"] as 5 and report an object as "[object Object]".
 */
function feeOverride(value: unknown): Decimal {
  if (Decimal.isDecimal(value)) {
    const fee = value as Decimal;
    if (!fee.isFinite() || (fee.isNegative() && !fee.isZero())) throw invalidFee(`data.applicationFee must be a finite, non-negative amount, got ${fee.toString()}`, fee.toString());
    // A negative zero Decimal is a plain zero (as core's parseAmount takes it): no fee.
    return fee.isZero() ? new Decimal(0) : fee;
  }
  if (typeof value === 'number') {
    throw invalidFee(`data.applicationFee ${value} is a JavaScript number, a binary float that may not be the amount meant: pass a decimal string such as "1.50", or a Decimal`, value);
  }
  const text = typeof value === 'string' ? value.trim() : null;
  if (text !== null && text.startsWith('-')) throw invalidFee(`data.applicationFee must be a non-negative amount without a sign (such as "1.50"), got "${value as string}"`, value);
  if (text === null || !PLAIN_DECIMAL.test(text)) {
    throw invalidFee(`data.applicationFee must be an amount in major units (a plain decimal string such as "1.50", no exponent, or a Decimal), got ${JSON.stringify(value) ?? typeof value}`, value);
  }
  return new Decimal(text);
}

/**
 * The platform's fee in Stripe's units for a charge of `amountMinor` (as
 * Stripe takes it): the payment's own `data.applicationFee` (major units) if
 * given, refused (throws invalid_amount) when Stripe cannot take it or when it
 * is more than the charge (never rounded, never capped); else percent, rounded
 * half up to an amount Stripe accepts (KWD in tens of fils, ISK in whole
 * krónur), + the currency's fixed fee, never rounded (fixed-fee.ts: checked
 * exact when configured, refused with invalid_amount otherwise), capped at the
 * charge. Null in LOCAL mode and when the fee is zero.
 */
export function applicationFee(settings: StripeSettings, target: Pick<ConnectTarget, 'mode'>, amountMinor: number, currency: string, payment: Pick<PaymentData, 'data'>): number | null {
  if (target.mode === 'LOCAL') return null;
  const override = payment.data?.['applicationFee'];
  let fee: Decimal;
  if (override !== undefined && override !== null) {
    const major = feeOverride(override);
    fee = new Decimal(toStripeAmount(major, currency));
    if (fee.greaterThan(amountMinor)) {
      throw invalidFee(`data.applicationFee ${major.toString()} ${currency.toUpperCase()} is more than the amount charged (${fromStripeAmount(amountMinor, currency).toString()} ${currency.toUpperCase()})`, override);
    }
  } else {
    const percent = settings.feePercent ? roundToStripeStep(new Decimal(amountMinor).times(settings.feePercent).dividedBy(100), currency) : new Decimal(0);
    const fixed = new Decimal(fixedFeeMinor(settings.feeFixed, currency));
    fee = Decimal.min(percent.plus(fixed), amountMinor);
  }
  return fee.isZero() ? null : fee.toNumber();
}

/** Connect parameters of a PaymentIntent. */
export function intentConnectParams(target: ConnectTarget, fee: number | null): Partial<Stripe.PaymentIntentCreateParams> {
  const params: Partial<Stripe.PaymentIntentCreateParams> = {};
  if (target.destination) params.transfer_data = { destination: target.destination };
  if (fee !== null) params.application_fee_amount = fee;
  return params;
}

export interface AuthorizeUrlOptions {
  /** Anti-CSRF value the host checks on the redirect. */
  state: string;
  redirectUri?: string;
  scope?: 'read_write' | 'read_only';
  /** Prefill data for the onboarding form (stripe_user[email], ...). */
  stripeUser?: Record<string, string>;
}

/** The Connect OAuth authorize URL a provider is sent to (connect.stripe.com). */
export function connectAuthorizeUrl(settings: StripeSettings, options: AuthorizeUrlOptions): string {
  if (!settings.connectClientId) throw new Error('connect_client_id is not configured');
  const params = new URLSearchParams({ response_type: 'code', client_id: settings.connectClientId, scope: options.scope ?? 'read_write', state: options.state });
  if (options.redirectUri) params.set('redirect_uri', options.redirectUri);
  for (const [key, value] of Object.entries(options.stripeUser ?? {})) params.set(`stripe_user[${key}]`, value);
  return `https://connect.stripe.com/oauth/authorize?${params.toString()}`;
}

export interface ConnectedAccount {
  accountId: string;
  livemode: boolean;
  scope: string | null;
  publishableKey: string | null;
}

/** Exchanges the code Connect sent to the redirect URL for the provider's account id (store it as connected_account_id). */
export async function exchangeConnectCode(stripe: Stripe, code: string): Promise<ConnectedAccount> {
  if (typeof code !== 'string' || !/^ac_[A-Za-z0-9_]+$/.test(code)) throw new Error('An OAuth authorization code starts with ac_');
  const token = await stripe.oauth.token({ grant_type: 'authorization_code', code });
  if (!token.stripe_user_id) throw new Error('Stripe did not return the connected account id');
  return {
    accountId: token.stripe_user_id,
    livemode: token.livemode ?? false,
    scope: token.scope ?? null,
    publishableKey: token.stripe_publishable_key ?? null,
  };
}
