/**
 * The plugin conformance suite: `describePluginConformance(PluginClass, adapter)`
 * registers a mocha suite that checks a gateway plugin against payhost's
 * plugin contract, through a real PluginManager. The checks it asserts are
 * exported too, as pure functions returning lists of violations.
 *
 * ```ts
 * import { describePluginConformance } from '@payhost/testkit/conformance';
 * ```
 */
export { describePluginConformance } from './suite.js';
export {
  checkPluginClass,
  checkGatewayConfig,
  checkGatewayResponse,
  checkWebhookResponse,
  assertConforms,
  ConformanceError,
  OPERATION_KINDS,
  show,
  quote,
  type Violation,
  type ResponseCheckOptions,
  type WebhookCheckOptions,
} from './checks.js';
export { checkRefundEvents } from './refund-events.js';
export { checkTransactionStatus } from './status.js';
export { ConformanceProbePlugin, PROBE } from './probe.js';
export type {
  ConformanceAdapter,
  ConformanceCurrencies,
  ConformanceAmounts,
  ConformanceSupports,
  ConformanceOptions,
  CurrencyClass,
  NotIdempotent,
  TokenContext,
  ChargeContext,
  OperationContext,
  RefundContext,
  TransactionStatusAdapter,
  WebhookAdapter,
  WebhookDelivery,
  MochaLike,
  MochaContextLike,
} from './adapter.js';
