import Stripe from 'stripe';
import { isKeyRefusal, type KeyRefusalAlarm } from '@payhost/core';
import type { StripeSettings } from './config.js';

export type { Stripe };

/** What a request needs beyond its parameters: the connected account (REMOTE) and the idempotency key. */
export interface CallContext {
  /** Connected account for the Stripe-Account header; null: the platform account. */
  account: string | null;
  /** The ledger's stable key (PaymentData.idempotencyKey); null: the SDK makes one per request. */
  idempotencyKey: string | null;
}

/** Builds the SDK client, pointed at `api_base_url` when one is configured (a fake, stripe-mock). */
export function createStripeClient(settings: StripeSettings): Stripe | null {
  if (!settings.secretKey) return null;
  const endpoint = settings.endpoint ?? {};
  return new Stripe(settings.secretKey, {
    ...endpoint,
    maxNetworkRetries: settings.maxNetworkRetries,
    timeout: settings.timeoutMs,
    appInfo: { name: 'payhost-plugin-stripe', url: 'https://github.com/payhost/payhost' },
  });
}

/**
 * Reports every 401 / 403 the client gets, whatever the call (the SDK emits
 * `response` for answers and errors alike, without their bodies): to the
 * alarm, which logs it once a minute at most. The operation is the request
 * (`POST /v1/payment_intents`); a 403 on a connected account (Stripe-Account)
 * may be the account, not the key, so connected_account_id is named too.
 */
export function watchKeyRefusals(stripe: Stripe, alarm: KeyRefusalAlarm): void {
  stripe.on('response', (event: { method?: string; path?: string; status?: number; account?: string }) => {
    if (!isKeyRefusal(event.status)) return;
    const configFields = event.status === 403 && event.account ? ['secret_key', 'connected_account_id'] : ['secret_key'];
    // Without the query string: a search's query can hold an email address.
    const path = (event.path ?? '?').split('?')[0];
    alarm.report({ operation: `${event.method ?? '?'} ${path}`, status: event.status, configFields });
  });
}

/** Suffix marking keys derived from the ledger's key for a secondary request of one operation. */
export const DERIVED_KEY_SEPARATOR = '#';

/**
 * Request options for a mutating call: the ledger's key as is for the call
 * the operation is about (Stripe echoes it in the events it causes), or a
 * key derived from it for a secondary call (creating the customer).
 */
export function mutating(ctx: CallContext, purpose?: string): Stripe.RequestOptions {
  const options: Stripe.RequestOptions = {};
  if (ctx.account) options.stripeAccount = ctx.account;
  if (ctx.idempotencyKey) options.idempotencyKey = purpose ? `${ctx.idempotencyKey}${DERIVED_KEY_SEPARATOR}${purpose}` : ctx.idempotencyKey;
  return options;
}

/** Request options for a read. */
export function reading(ctx: Pick<CallContext, 'account'>): Stripe.RequestOptions {
  return ctx.account ? { stripeAccount: ctx.account } : {};
}

/** Whether Stripe answered from its idempotency cache (the request was processed before). */
export function wasReplayed(resource: object): boolean {
  const headers = (resource as { lastResponse?: { headers?: Record<string, string> } }).lastResponse?.headers ?? {};
  return headers['idempotent-replayed'] === 'true' || headers['Idempotent-Replayed'] === 'true';
}

/** The ledger key an event's request carried, when it is one (not a derived or SDK-generated key). */
export function ledgerKeyOf(key: string | null | undefined): string | null {
  if (!key || key.includes(DERIVED_KEY_SEPARATOR) || key.startsWith('stripe-node-retry-')) return null;
  return key;
}
