import type { ConfigValues, Decimal, GatewayOperation, GatewayResponse, PaymentData, TransactionErrorCode, WebhookRequest } from '@payhost/core';

/**
 * What the suite hands an adapter's token callbacks: the payment the token is
 * for (the same id, amount and currency the suite then charges) and a way to
 * ask the plugin, through the PluginManager, for a client token first (as
 * Razorpay's and Flutterwave's checkouts need).
 */
export interface TokenContext<Env> {
  env: Env;
  /** The host payment id the token will be charged under. */
  paymentId: string;
  amount: Decimal;
  currency: string;
  /** `manager.getClientToken({ gateway, amount, currency, data: { paymentId } })` for this payment. */
  clientToken(): Promise<string>;
}

/** A payment the suite made and the plugin's answer to it. */
export interface ChargeContext<Env> {
  env: Env;
  payment: PaymentData;
  response: GatewayResponse;
}

/** A money-moving call the suite made: what the processor should have received is derived from it. */
export interface OperationContext {
  operation: GatewayOperation;
  payment: PaymentData;
  response: GatewayResponse;
}

/**
 * A refund the suite made: `refund` is the refundPayment call (its payment,
 * with the amount and idempotency key sent) and the plugin's answer; `charge`
 * the captured charge it refunds. The suite refunds the charge twice and
 * hands the second refund, so a running total differs from its amount.
 */
export interface RefundContext<Env> {
  env: Env;
  charge: ChargeContext<Env>;
  refund: ChargeContext<Env>;
}

/** A webhook delivery as the host's HTTP layer receives it (path defaults to "/webhook", method to POST). */
export interface WebhookDelivery {
  path?: string;
  method?: string;
  headers: WebhookRequest['headers'];
  rawBody: Buffer;
}

/** How to produce webhook deliveries for the plugin's `webhook` hook. */
export interface WebhookAdapter<Env> {
  /** A correctly signed delivery about the (successful) charge in `ctx`; the plugin must accept it (2xx). */
  signed(ctx: ChargeContext<Env>): WebhookDelivery | Promise<WebhookDelivery>;
  /** The same kind of delivery signed with a wrong secret; the plugin must refuse it (4xx, no events). */
  badlySigned(ctx: ChargeContext<Env>): WebhookDelivery | Promise<WebhookDelivery>;
  /** Header carrying the signature: when given, a delivery without it must be refused too. */
  signatureHeader?: string;
  /**
   * Whether the signature covers the body (default true): then a signed
   * delivery whose body was altered must be refused. False for processors
   * that only send a shared secret (Flutterwave's verif-hash) — such a
   * plugin must re-verify the event with the processor instead.
   */
  bodySigned?: boolean;
  /**
   * A correctly signed delivery of the processor's event about the refund in
   * `ctx` (the second refund of the charge), when the fake can make one: the
   * suite then checks the refund event the plugin reports (its refund id as
   * transactionId, the refund's own amount, the call's key when echoed).
   */
  refund?(ctx: RefundContext<Env>): WebhookDelivery | Promise<WebhookDelivery>;
}

/**
 * How the suite checks getTransactionStatus (when the plugin implements it):
 * it asks about its own completed charge by the charge's idempotency key
 * (expecting that charge), and about a key never used (expecting "no
 * record": a failure with errorCode processing_error).
 */
export interface TransactionStatusAdapter<Env> {
  /**
   * How long ago the suite says the calls were made (transaction.createdAt);
   * default one day: past the time a plugin answers "cannot tell" because a
   * call may still reach the processor.
   */
  ageMs?: number;
  /** Where the fake must cooperate: e.g. make the charge findable (a search index) before the status call. */
  prepare?(ctx: ChargeContext<Env>): void | Promise<void>;
  /**
   * The token of the call with the invented key, for a processor whose
   * charges are found by the token (a checkout) rather than the key: one
   * naming a charge the processor never received. Default null (no token).
   */
  unknownToken?(ctx: TokenContext<Env>): string | null | Promise<string | null>;
  /**
   * Why the plugin cannot answer "no record" for a charge the processor never
   * received (e.g. it cannot tell a missing charge from a failed lookup): the
   * invented-key check is then left out. Use sparingly: "no record" is what
   * frees an amount the ledger reserved for a call that never landed.
   */
  noRecordUntold?: string;
}

/** Currencies to test with, by ISO 4217 exponent. Give every class the processor supports. */
export interface ConformanceCurrencies {
  /** A currency with 0 decimal places (JPY, UGX, KRW...). */
  zero?: string;
  /** A currency with 2 decimal places (USD, INR, NGN...): used by every operation test. */
  two: string;
  /** A currency with 3 decimal places (KWD, BHD, OMR...). */
  three?: string;
}

export type CurrencyClass = keyof ConformanceCurrencies;

/** Amounts (major units, as decimal strings) per currency class. */
export interface ConformanceAmounts {
  zero?: string;
  two?: string;
  three?: string;
}

/**
 * Which operations the processor supports. Each defaults to whether the
 * plugin class implements the hook (authorizePayment, capturePayment, ...);
 * set one to false to leave out an operation the plugin implements but the
 * processor (or the fake) cannot do.
 */
export interface ConformanceSupports {
  authorize?: boolean;
  capture?: boolean;
  refund?: boolean;
  void?: boolean;
}

/**
 * An operation the processor cannot make idempotent, with the reason (shown
 * in the test title): e.g. `{ refund: 'Flutterwave takes no idempotency key' }`.
 * The suite then does not retry it. Use sparingly: the host relies on
 * idempotent retries.
 */
export type NotIdempotent = Partial<Record<'capture' | 'refund' | 'void', string>>;

/**
 * How the conformance suite drives one plugin. Only `configuration`,
 * `currencies`, `successToken` and `declineToken` are required.
 *
 * @typeParam Env - what `start` returns (e.g. a fake processor server); handed to every other callback.
 */
export interface ConformanceAdapter<Env = undefined> {
  /** Starts the fake processor, if any (once, before the suite). */
  start?(): Env | Promise<Env>;
  /** Stops it (once, after the suite). */
  stop?(env: Env): void | Promise<void>;
  /**
   * Configuration of an active instance: keys, the fake's URL, supported
   * currencies... Fields left out get the class's defaultConfiguration.
   */
  configuration(env: Env): ConfigValues;
  currencies: ConformanceCurrencies;
  /** Charge amounts per currency class; default 1500 / 10.50 / 12.345. */
  amounts?: ConformanceAmounts;
  /** Partial refund amounts per currency class; default 500 / 2.50 / 2.125. */
  refundAmounts?: ConformanceAmounts;
  /** A token that charges successfully. */
  successToken(ctx: TokenContext<Env>): string | Promise<string>;
  /** A token the processor declines. */
  declineToken(ctx: TokenContext<Env>): string | Promise<string>;
  /** Unified codes a declined card may get; default ['declined']. */
  declineErrorCodes?: readonly TransactionErrorCode[];
  /**
   * 3-D Secure: a token that needs an action (the charge answers
   * `action_to_confirm`), and how the customer completes the challenge
   * before the suite calls confirmPayment with the charge's transactionId.
   */
  threeDSecure?: {
    token(ctx: TokenContext<Env>): string | Promise<string>;
    complete?(ctx: ChargeContext<Env>): void | Promise<void>;
  };
  /**
   * The amount the processor received for the call in `op` (e.g. from the
   * fake's request log), in `amountUnits`. When given, the suite checks the
   * minor-unit conversion for 0-, 2- and 3-decimal currencies.
   */
  amountSent?(env: Env, op: OperationContext): unknown | Promise<unknown>;
  /** Units of `amountSent`: 'minor' (integer subunits, the default: 10.50 USD -> 1050) or 'major' (10.5). */
  amountUnits?: 'minor' | 'major';
  /** getTransactionStatus checks; optional (the defaults fit a plugin that looks calls up by their key). */
  transactionStatus?: TransactionStatusAdapter<Env>;
  /** Webhook deliveries; leave out when the plugin has no `webhook` hook. */
  webhooks?: WebhookAdapter<Env>;
  supports?: ConformanceSupports;
  notIdempotent?: NotIdempotent;
  /** Channel slug of the test host; default "conformance". */
  channel?: string;
  /** The manager's per-call timeout; default 10 s. */
  hookTimeoutMs?: number;
  /** Mocha timeout of each test; default: mocha's. */
  timeoutMs?: number;
}

/** The `this` of mocha callbacks, as far as the suite uses it. */
export interface MochaContextLike {
  timeout(ms: number): unknown;
}

/** The mocha BDD functions the suite registers with (mocha's globals by default). */
export interface MochaLike {
  describe(title: string, fn: (this: MochaContextLike) => void): unknown;
  it(title: string, fn: (this: MochaContextLike) => Promise<void> | void): unknown;
  before(fn: (this: MochaContextLike) => Promise<void> | void): unknown;
  after(fn: (this: MochaContextLike) => Promise<void> | void): unknown;
}

export interface ConformanceOptions {
  /**
   * Where to register the suite: mocha's global describe/it/before/after by
   * default; pass the context of a programmatic `Mocha` instance to run it
   * on its own (see the testkit's breakage tests).
   */
  mocha?: MochaLike;
}
