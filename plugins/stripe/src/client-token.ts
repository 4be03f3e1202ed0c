import { ERROR_CODES, PayhostError, type TokenConfig } from '@payhost/core';
import type Stripe from 'stripe';
import { toStripeAmount } from './amounts.js';
import { mutating, type CallContext } from './client.js';
import { applicationFee, connectTarget, intentConnectParams, type ConnectTarget } from './connect.js';
import type { OperationContext } from './context.js';
import { CUSTOMER_ACCOUNT_MISMATCH, customerAccountRefusal, ensureCustomer, explicitCustomer, findCustomer, goneCachedCustomer } from './customers.js';
import { signedPaymentId } from './metadata-signature.js';

/** The longest `data.idempotencyKey` a client token takes: Stripe's 255, less room for a derived key's suffix. */
const MAX_HOST_KEY_LENGTH = 240;

type TokenInput = TokenConfig & { customerId?: string | null };

interface TokenTerms {
  target: ConnectTarget;
  call: CallContext;
  store: boolean;
  /** In Stripe's units, with its currency; null: a SetupIntent (no amount). */
  amount: { value: number; currency: string; fee: number | null } | null;
  metadata: Record<string, string>;
  /** The Customer the caller named (data.gatewayCustomerId / stripeCustomerId), used as is. */
  explicit: string | null;
}

/**
 * getClientToken: what Stripe.js needs to collect the card — the client
 * secret of a PaymentIntent for the amount, or of a SetupIntent (saving a card
 * for later, no amount). Card numbers go from the browser to Stripe only.
 * A cached Customer deleted at Stripe (Dashboard) is replaced as for a charge
 * (charges.ts): Stripe's "No such customer" on the create drops it, and the
 * intent is asked for once more with the host customer's current Customer,
 * under `<data.idempotencyKey>#customer-gone` (its parameters differ), else the SDK's fresh key.
 */
export async function clientToken(ctx: OperationContext, input: TokenInput): Promise<string> {
  const data = input.data ?? null;
  const target = connectTarget(ctx.settings, { data });
  if ('error' in target) throw new Error(target.error);
  const key = typeof data?.['idempotencyKey'] === 'string' ? (data['idempotencyKey'] as string) : null;
  // Stripe takes keys of up to 255 characters, and keys are derived from this one ("…#customer"): refused here, not by Stripe.
  if (key !== null && (key === '' || key.length > MAX_HOST_KEY_LENGTH)) {
    throw new PayhostError(ERROR_CODES.invalidInput, `data.idempotencyKey must be 1 to ${MAX_HOST_KEY_LENGTH} characters long (got ${key.length})`, { gateway: 'payhost.stripe', field: 'data.idempotencyKey' });
  }
  const call: CallContext = { account: target.account, idempotencyKey: key };
  const hostCustomer = { customerId: input.customerId ?? null, data };
  const named = explicitCustomer(hostCustomer);
  const elsewhere = customerAccountRefusal(named, target.account);
  if (elsewhere) throw new PayhostError(CUSTOMER_ACCOUNT_MISMATCH, elsewhere, { gateway: 'payhost.stripe', customerAccount: named?.account ?? null, account: target.account });
  const store = ctx.settings.storeCustomer || data?.['storePaymentMethod'] === true;
  const hasAmount = input.amount !== undefined && input.amount !== null && input.currency;
  // Before any request: an amount (or fee) Stripe cannot take throws invalid_amount.
  const currency = input.currency ? input.currency.toUpperCase() : null;
  const value = hasAmount && input.amount && currency ? toStripeAmount(input.amount, currency) : null;
  const amount = value !== null && currency ? { value, currency, fee: applicationFee(ctx.settings, target, value, currency, { data }) } : null;
  // The intent (or setup intent) is created on target.account: the payment id is signed for it.
  const metadata: Record<string, string> = typeof data?.['paymentId'] === 'string' ? signedPaymentId(ctx.settings.secretKey, target.account, data['paymentId'] as string) : {};
  if (ctx.channel) metadata['payhost_channel'] = ctx.channel;
  if (input.customerId) metadata['payhost_customer_id'] = input.customerId;
  const terms: TokenTerms = { target, call, store, amount, metadata, explicit: named?.id ?? null };
  try {
    return await createToken(ctx, input, terms, null);
  } catch (err) {
    // Only Stripe's "No such customer" about the cached Customer: the create was refused, no intent exists.
    const gone = goneCachedCustomer(ctx.customers, hostCustomer, call.account, err);
    if (!gone) throw err;
    return createToken(ctx, input, terms, gone);
  }
}

/** Looks the customer up (skipping `replacing`, a Customer Stripe no longer has) and creates the intent. */
async function createToken(ctx: OperationContext, input: TokenInput, terms: TokenTerms, replacing: string | null): Promise<string> {
  const { call, store, amount, metadata } = terms;
  const lookup = { customerId: input.customerId ?? null, explicit: terms.explicit, replacing };
  const customer = lookup.customerId && (store || !amount) ? await ensureCustomer(ctx.stripe, ctx.customers, call, lookup) : await findCustomer(ctx.stripe, ctx.customers, call, lookup);
  const options = replacing ? mutating(call, 'customer-gone') : mutating(call);
  const card = ctx.settings.require3dSecure ? { payment_method_options: { card: { request_three_d_secure: 'any' as const } } } : {};
  if (amount) {
    const params: Stripe.PaymentIntentCreateParams = {
      amount: amount.value,
      currency: amount.currency.toLowerCase(),
      capture_method: ctx.settings.autoCapture ? 'automatic' : 'manual',
      metadata,
      automatic_payment_methods: { enabled: true },
      ...intentConnectParams(terms.target, amount.fee),
      ...card,
      ...(customer ? { customer } : {}),
      ...(customer && store ? { setup_future_usage: 'off_session' as const } : {}),
    };
    const intent = await ctx.stripe.paymentIntents.create(params, options);
    if (!intent.client_secret) throw new Error('Stripe returned a PaymentIntent without a client secret');
    return intent.client_secret;
  }
  const setup = await ctx.stripe.setupIntents.create({ usage: 'off_session', metadata, automatic_payment_methods: { enabled: true }, ...card, ...(customer ? { customer } : {}) }, options);
  if (!setup.client_secret) throw new Error('Stripe returned a SetupIntent without a client secret');
  return setup.client_secret;
}
