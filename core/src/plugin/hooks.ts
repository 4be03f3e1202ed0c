import type { CustomerSource, PaymentData } from '../contracts/payment-data.js';
import type { Decimal } from 'decimal.js';
import type { GatewayResponse, PaymentGateway, TokenConfig, WebhookRequest, WebhookResponse } from '../contracts/gateway.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';

/**
 * A hook's shape: what the caller passes in, and the value threaded through
 * the plugins as `previousValue`.
 */
export interface HookSpec<Input, Value> {
  input: Input;
  value: Value;
}

export type HookInput<H> = H extends HookSpec<infer I, unknown> ? I : never;
export type HookValue<H> = H extends HookSpec<unknown, infer V> ? V : never;

/**
 * A hook implementation: takes the input and the previous plugin's value and
 * resolves to a new value, or to undefined to pass the previous one through.
 * It should be async: a plain value a synchronous method returns (as a method
 * ported from a Saleor plugin does) is taken as its answer, with one warning
 * per plugin and hook (code `sync_hook`); a synchronous throw is the plugin failing.
 */
export type HookFunction<H> = (input: HookInput<H>, previousValue: HookValue<H>) => Promise<HookValue<H> | undefined>;

/** Context handed to hooks that take no payment: the channel being served. */
export interface ChannelInput {
  channel: string;
}

export interface PaymentGatewaysInput extends ChannelInput {
  currency: string | null;
}

export interface PaymentSourcesInput extends ChannelInput {
  customerId: string;
}

export type PublicConfig = PaymentGateway['config'];

/** What `tokenIsRequiredAsPaymentInput` receives: the one gateway asked (Saleor's (gateway, channel)). */
export interface TokenRequiredInput extends ChannelInput {
  gateway: string;
}

/**
 * What `getTransactionStatus` receives: a ledger transaction whose gateway
 * call may or may not have happened (the host crashed between the call and
 * the ledger update), and the PaymentData it was sent with — including
 * `payment.idempotencyKey`, the key the gateway saw.
 */
export interface TransactionStatusInput {
  transaction: {
    id: string;
    paymentId: string;
    kind: TransactionKind;
    amount: Decimal;
    currency: string;
    gatewayIdempotencyKey: string;
    gatewayTransactionId: string | null;
    pspReference: string | null;
    createdAt: Date;
  };
  payment: PaymentData;
}

/** Every payment hook of seed 001, with its input and threaded value. */
export interface PaymentHooks {
  getClientToken: HookSpec<TokenConfig, string | null>;
  authorizePayment: HookSpec<PaymentData, GatewayResponse | null>;
  capturePayment: HookSpec<PaymentData, GatewayResponse | null>;
  refundPayment: HookSpec<PaymentData, GatewayResponse | null>;
  voidPayment: HookSpec<PaymentData, GatewayResponse | null>;
  processPayment: HookSpec<PaymentData, GatewayResponse | null>;
  confirmPayment: HookSpec<PaymentData, GatewayResponse | null>;
  listPaymentSources: HookSpec<PaymentSourcesInput, CustomerSource[]>;
  getPaymentConfig: HookSpec<ChannelInput, PublicConfig>;
  getSupportedCurrencies: HookSpec<ChannelInput, string[]>;
  getPaymentGateways: HookSpec<PaymentGatewaysInput, PaymentGateway[]>;
  tokenIsRequiredAsPaymentInput: HookSpec<TokenRequiredInput, boolean>;
  webhook: HookSpec<WebhookRequest, WebhookResponse | null>;
  /** Reconciliation: what became of a transaction; null when the plugin cannot tell. */
  getTransactionStatus: HookSpec<TransactionStatusInput, GatewayResponse | null>;
}

export const PAYMENT_HOOK_NAMES = [
  'getClientToken',
  'authorizePayment',
  'capturePayment',
  'refundPayment',
  'voidPayment',
  'processPayment',
  'confirmPayment',
  'listPaymentSources',
  'getPaymentConfig',
  'getSupportedCurrencies',
  'getPaymentGateways',
  'tokenIsRequiredAsPaymentInput',
  'webhook',
  'getTransactionStatus',
] as const satisfies ReadonlyArray<keyof PaymentHooks>;

/** Hooks that move money and go to exactly one gateway. */
export const GATEWAY_OPERATION_HOOKS = [
  'authorizePayment',
  'capturePayment',
  'refundPayment',
  'voidPayment',
  'processPayment',
  'confirmPayment',
] as const satisfies ReadonlyArray<keyof PaymentHooks>;

export type GatewayOperation = (typeof GATEWAY_OPERATION_HOOKS)[number];

/** A host's hook map: its own hooks may be added beside the payment hooks. */
export type HookMap = { [name: string]: HookSpec<any, any> };

/** The methods a plugin may implement for a hook map. */
export type PluginHooks<H extends { [K in keyof H]: HookSpec<any, any> }> = { [K in keyof H]?: HookFunction<H[K]> };

/** The payment hooks as a plugin class implements them: `class X extends BasePlugin implements PaymentPluginHooks`. */
export type PaymentPluginHooks = PluginHooks<PaymentHooks>;
