import type { ChannelConfig } from '../config/types.js';
import type { GatewayConfig } from '../contracts/gateway.js';
import type { BasePlugin } from '../plugin/base-plugin.js';
import type { HookPipeline, PluginEntry } from './hook-pipeline.js';

/** A plugin that can take payments in a channel. */
export interface GatewayEntry extends PluginEntry {
  name: string;
  active: boolean;
  config: GatewayConfig;
  instance: BasePlugin;
}

/**
 * Everything one channel needs to serve a request, built once per
 * configuration version: its hook pipeline and its currency routing index.
 */
export class ChannelRuntime {
  constructor(
    readonly config: ChannelConfig,
    readonly pipeline: HookPipeline,
    /** Every gateway plugin of the channel, active or not, by id. */
    readonly gateways: ReadonlyMap<string, GatewayEntry>,
    /** Currency -> active gateways supporting it, in declared order. */
    readonly gatewaysByCurrency: ReadonlyMap<string, readonly GatewayEntry[]>,
    /**
     * Currency -> where a payment naming no gateway goes: the configured
     * default when it is active and takes the currency, else the first of
     * `gatewaysByCurrency`. Absent: no active gateway takes the currency.
     */
    readonly routes: ReadonlyMap<string, GatewayEntry>,
  ) {}

  get slug(): string {
    return this.config.slug;
  }

  sells(currency: string): boolean {
    return this.config.currencies.includes(currency);
  }
}
