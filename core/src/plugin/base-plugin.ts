import type { Logger } from 'pino';
import type { GatewayConfig, PaymentGateway } from '../contracts/gateway.js';
import type { ConfigStructure, ConfigValues } from './config-structure.js';
import type { ChannelInput, PaymentGatewaysInput, PublicConfig } from './hooks.js';

/** What the host hands a plugin instance when it creates it. */
export interface PluginInit {
  /** The channel slug, or null for a global plugin. */
  channel: string | null;
  active: boolean;
  /** Validated configuration, defaults back-filled, env references resolved. */
  configuration: Readonly<ConfigValues>;
  logger: Logger;
}

/**
 * Base class of every plugin. Subclasses set the static metadata and
 * implement any hooks they need as async methods `(input, previousValue)`.
 */
export abstract class BasePlugin {
  /** Unique, stable id, e.g. "payhost.dummy" or "acme.gateway". */
  static id: string;
  static pluginName: string;
  static description = '';
  static configStructure: ConfigStructure = {};
  static defaultConfiguration: ConfigValues = {};
  static defaultActive = false;
  /** True: configured per channel (the default); false: configured once, globally. */
  static configurationPerChannel = true;
  /**
   * The manager treats `getPaymentGateways` and `getPaymentConfig` as
   * functions of the configuration: it runs them once per channel, currency
   * and configuration version and keeps the listing. Set this to true when
   * their answers differ from call to call (a nonce, a timestamp): listings
   * that include this plugin are then computed on every call.
   */
  static volatilePaymentConfig = false;

  readonly channel: string | null;
  readonly active: boolean;
  readonly configuration: Readonly<ConfigValues>;
  protected readonly logger: Logger;

  constructor(init: PluginInit) {
    this.channel = init.channel;
    this.active = init.active;
    this.configuration = init.configuration;
    this.logger = init.logger;
  }

  get id(): string {
    return (this.constructor as typeof BasePlugin).id;
  }

  get pluginName(): string {
    const ctor = this.constructor as typeof BasePlugin;
    return ctor.pluginName ?? ctor.id;
  }

  /**
   * The gateway's static configuration, built from this plugin's settings.
   * Gateway plugins override it; the manager reads it once per configuration
   * version to build the currency routing index.
   */
  gatewayConfig(): GatewayConfig | null {
    return null;
  }

  /**
   * Releases what the instance holds (HTTP agents, timers, a processor
   * client). The manager calls it once per instance: when it closes, and when
   * a configuration change replaces the instance, after the calls in flight on
   * it have settled. A close that throws or rejects is logged; one that does
   * not settle within the hook timeout is logged and no longer waited for.
   * Not a hook: `runHook(channel, 'close', ...)` never calls it.
   */
  close(): void | Promise<void> {
    return undefined;
  }

  /** Default `getPaymentGateways`: adds this gateway when it supports the currency. */
  async getPaymentGateways(input: PaymentGatewaysInput, previousValue: PaymentGateway[]): Promise<PaymentGateway[] | undefined> {
    const config = this.gatewayConfig();
    if (!config) return undefined;
    if (input.currency && !config.supportedCurrencies.includes(input.currency)) return undefined;
    const hook = (this as { getPaymentConfig?: (i: ChannelInput, p: PublicConfig) => Promise<PublicConfig | undefined> }).getPaymentConfig;
    const publicConfig = hook ? ((await hook.call(this, { channel: input.channel }, [])) ?? []) : [];
    return [...previousValue, { id: this.id, name: this.pluginName, currencies: [...config.supportedCurrencies], config: publicConfig }];
  }
}

/** A plugin class as the host registers it. */
export type PluginClass = (new (init: PluginInit) => BasePlugin) & {
  id: string;
  pluginName?: string;
  description: string;
  configStructure: ConfigStructure;
  defaultConfiguration: ConfigValues;
  defaultActive: boolean;
  configurationPerChannel: boolean;
  volatilePaymentConfig?: boolean;
};
