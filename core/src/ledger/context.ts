import type { Logger } from 'pino';
import type { GatewayConfig, GatewayResponse } from '../contracts/gateway.js';
import { implementsHook } from '../manager/hook-pipeline.js';
import { operationNotSupported } from '../manager/manager-errors.js';
import type { PluginManager } from '../manager/plugin-manager.js';
import type { Payment } from './model.js';
import { OPERATION_HOOK, type PaymentOperation } from './operations.js';
import type { LedgerStore } from './store.js';

/**
 * What the ledger needs from the plugin manager (a fake can stand in for it in tests). `closed` and
 * `listChannels`, when there, let the ledger refuse an operation after close() before writing anything
 * (shutting_down), and an event for a channel that is not configured (unknown_channel).
 */
export type PaymentGateways = Pick<PluginManager, 'runOperation' | 'resolveGateway' | 'getTransactionStatus'> &
  Partial<Pick<PluginManager, 'closed' | 'listChannels'>>;

/**
 * Fault-injection points, for crash and chaos tests (e.g. a child process
 * that SIGKILLs itself at one of them). Called, and awaited, at:
 * - 'after-pending': phase 1 committed (pending transaction written, amount
 *   reserved, idempotency key claimed); the gateway has not been called;
 * - 'after-gateway': the gateway (or, in reconcile(), getTransactionStatus)
 *   answered; nothing of the answer is in the ledger yet;
 * - 'after-apply': phase 3 committed (payment, transaction and idempotency
 *   record updated).
 * A hook that throws aborts the operation at that point, leaving the ledger
 * exactly as a crash there would (in-process crash simulation).
 */
export type FaultPoint = 'after-pending' | 'after-gateway' | 'after-apply';

export interface FaultContext {
  point: FaultPoint;
  /** The operation, or 'reconcile'. */
  operation: string;
  paymentId: string;
  transactionId: string;
  response?: GatewayResponse | null;
}

export type FaultHooks = Partial<Record<FaultPoint, (context: FaultContext) => void | Promise<void>>>;

/** Everything the ledger modules share. */
export interface LedgerContext {
  store: LedgerStore;
  gateways: PaymentGateways;
  logger: Logger;
  now(): Date;
  faults: FaultHooks;
}

export async function fault(ctx: LedgerContext, context: FaultContext): Promise<void> {
  const hook = ctx.faults[context.point];
  if (hook) await hook(context);
}

/**
 * The payment's gateway configuration (throws the manager's typed errors when it is gone or inactive).
 * `existingPayment`: the operation is not a first charge, so a currency dropped since does not block it.
 */
export function gatewayConfigOf(ctx: LedgerContext, payment: Pick<Payment, 'channel' | 'currency' | 'gateway'>, existingPayment = true): GatewayConfig {
  return ctx.gateways.resolveGateway(payment.channel, payment.currency, payment.gateway, { existingPayment }).config;
}

/** The gateway an operation runs on: the payment's, resolved as gatewayConfigOf does. */
export function operationGateway(ctx: LedgerContext, payment: Pick<Payment, 'channel' | 'currency' | 'gateway'>, operation: PaymentOperation): ReturnType<PaymentGateways['resolveGateway']> {
  return ctx.gateways.resolveGateway(payment.channel, payment.currency, payment.gateway, { existingPayment: operation !== 'process' && operation !== 'authorize' });
}

/**
 * Refuses (operation_not_supported) an operation whose gateway has no hook for it, before anything is
 * written: not a failed transaction per retry (a void on a gateway that cannot void). Called after the
 * payment's own rules, which say first when its state allows no such operation at all. A fake manager's
 * gateway without an instance is taken as able.
 */
export function refuseUnsupportedOperation(gateway: ReturnType<PaymentGateways['resolveGateway']>, channel: string, operation: PaymentOperation): void {
  const hook = OPERATION_HOOK[operation];
  if (gateway.instance && !implementsHook(gateway.instance, hook)) throw operationNotSupported(channel, gateway.id, hook);
}

/** What applying an answer needs from a gateway configuration (the one the manager routes with). */
export function applyOptionsOf(config: Pick<GatewayConfig, 'storeCustomer' | 'supportsMultipleCaptures'>): { storeCustomer: boolean; captureReleasesRest: boolean } {
  return { storeCustomer: config.storeCustomer === true, captureReleasesRest: config.supportsMultipleCaptures !== true };
}

/**
 * applyOptionsOf the payment's gateway, for an answer applied outside its call (an event, reconciliation,
 * a review); when the gateway cannot be resolved any more, GatewayConfig's defaults (no card stored, one
 * capture), which no later operation through it can contradict.
 */
export function gatewayApplyOptions(ctx: LedgerContext, payment: Pick<Payment, 'channel' | 'currency' | 'gateway'>): { storeCustomer: boolean; captureReleasesRest: boolean } {
  try {
    return applyOptionsOf(gatewayConfigOf(ctx, payment));
  } catch {
    return { storeCustomer: false, captureReleasesRest: true };
  }
}
