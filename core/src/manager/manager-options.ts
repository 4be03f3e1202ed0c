import type { Logger } from 'pino';
import type { HostConfigInput } from '../config/types.js';
import type { PaymentData } from '../contracts/payment-data.js';
import type { PluginSpec } from '../loader/plugin-loader.js';
import type { PluginClass } from '../plugin/base-plugin.js';

// What a PluginManager is built from, and what a payment operation asks it.

/** What `PluginManager.create` takes: plugin package names and a configuration file path are read for it. */
export interface PluginManagerOptions {
  /** Plugin classes, or package names imported from `pluginBaseDir`, in the declared hook order. */
  plugins: readonly PluginSpec[];
  /** The host configuration: an object, or (`create` only) the path of a JSON file it reads. Checked at run time either way. */
  config: HostConfigInput | string;
  /** Directory package names are resolved from (the host app's); a relative one from process.cwd(), the default. */
  pluginBaseDir?: string;
  /**
   * Where the manager and its plugins log. Default: warnings and errors as
   * JSON lines on stderr (`PAYHOST_LOG_LEVEL` sets another level, `silent`
   * none); pass `silentLogger()` to log nothing.
   */
  logger?: Logger;
  /**
   * How long one plugin call may take before it counts as a `processing_error`; default 30 s. A whole
   * number of milliseconds from 1 to 2147483647 (Node's timer maximum); anything else is `invalid_configuration`.
   */
  hookTimeoutMs?: number;
  /** Environment for `${VAR}` references; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** What the `PluginManager` constructor takes: plugin classes and a configuration object (`create` reads names and paths). */
export interface PluginManagerInit extends Omit<PluginManagerOptions, 'plugins' | 'config'> {
  /** Plugin classes, in the declared hook order. */
  plugins: readonly PluginClass[];
  /** The host configuration object (validated at run time: an invalid one is `invalid_configuration`). */
  config: HostConfigInput;
}

export interface GatewayOperationRequest {
  channel: string;
  /**
   * Gateway (plugin id). Required for an operation on an existing payment
   * (capture, refund, void, confirm: the gateway that took it, else
   * `invalid_input` with `details.reason` `gateway_required`); for
   * processPayment / authorizePayment the default is the channel's gateway for
   * the payment's currency.
   */
  gateway?: string | null;
  payment: PaymentData;
}
