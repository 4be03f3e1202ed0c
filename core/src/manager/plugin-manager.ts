import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { validateHostConfig, readConfigFile } from '../config/host-config.js';
import { validatePluginSettings } from '../config/plugin-settings.js';
import type { ConfigWarn, HostConfig, HostConfigInput, PluginSettingsInput } from '../config/types.js';
import type { GatewayResponse, WebhookRequest, WebhookResponse } from '../contracts/gateway.js';
import type { CustomerSource, PaymentData } from '../contracts/payment-data.js';
import { normalizeCurrency } from '../money/currency.js';
import { checkDecimalPrecision, parseAmount } from '../money/amount.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { GatewayOperation, HookInput, HookMap, HookValue, PaymentHooks, PublicConfig, TransactionStatusInput } from '../plugin/hooks.js';
import type { ChannelRuntime, GatewayEntry } from './channel-runtime.js';
import type { ListedGateway } from './gateway-listings.js';
import { defaultManagerLogger } from './default-logger.js';
import { createHookWatchdog, implementsHook, type HookPipeline } from './hook-pipeline.js';
import { checkHookTimeout, checkPluginBaseDir, checkPluginList, managerClosed, noWebhookPlugin, operationNotSupported } from './manager-errors.js';
import { missingValueError, type PluginFailure } from './plugin-failure.js';
import { invalidAnswerResponse, processingErrorResponse } from './responses.js';
import { PluginAnswers, webhookFailedResponse } from './plugin-answers.js';
import { tokenConfig, type ClientTokenRequest } from './client-token.js';
import { CloseGate } from './close-gate.js';
import { activeGateway, resolveGateway, unknownChannel, type ResolveOptions } from './gateway-resolution.js';
import { NEW_CHARGE_HOOKS, refuseSingleGatewayHook, type SingleGatewayHook } from './routed-hooks.js';
import { checkUpdateShape, configurationView, mergeUpdate, type PluginConfigurationUpdate, type PluginConfigurationView } from './configuration-update.js';
import { PluginChanges, type PreparedPluginChange } from './prepared-change.js';
import { pluginRegistry } from './plugin-registry.js';
import { Retirements } from './retirements.js';
import { buildRuntime, type BuildContext, type Runtime } from './runtime-builder.js';
import { loadPlugins } from '../loader/plugin-loader.js';
import type { GatewayOperationRequest, PluginManagerInit, PluginManagerOptions } from './manager-options.js';
import { configurablePlugin, storedSettings } from './plugin-lookup.js';

export type { ResolveOptions } from './gateway-resolution.js';
export type { SingleGatewayHook } from './routed-hooks.js';

export type { GatewayOperationRequest, PluginManagerInit, PluginManagerOptions } from './manager-options.js';

/** hookTimeoutMs when the option is not given. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
export type { PluginConfigurationView } from './configuration-update.js';

type AllHooks<H extends HookMap> = PaymentHooks & H;

/** The hooks runHook runs: every payment hook and host hook but those that go to one gateway. */
type ChainedHook<H extends HookMap> = Exclude<keyof AllHooks<H> & string, SingleGatewayHook>;

/**
 * The host's one entry point: routes payment operations to gateways and runs
 * every hook through per-channel tapable pipelines.
 */
export class PluginManager<H extends HookMap = {}> {
  private runtime: Runtime;
  private readonly registry: ReadonlyMap<string, PluginClass>;
  private readonly ctx: BuildContext;
  private readonly warn: ConfigWarn;
  /** Closes the plugin instances configuration changes replace, once they are no longer in use. */
  private readonly retirements: Retirements;
  /** Builds configuration changes without swapping them in, and swaps them in on commit. */
  private readonly changes: PluginChanges;
  /** Checks, scrubs and logs what plugins answer. */
  private readonly answers: PluginAnswers;
  /** Whether close() was called: from then on nothing runs or builds a plugin. */
  private readonly gate = new CloseGate();
  private readonly hookTimeout: number;

  /** Loads plugin packages and a config file if given, then builds the manager. */
  static async create<H extends HookMap = {}>(options: PluginManagerOptions): Promise<PluginManager<H>> {
    // Before any plugin package is imported: a bad option is the caller's mistake, reported first.
    checkHookTimeout(options.hookTimeoutMs);
    const specs = checkPluginList(options.plugins);
    // Absolute: Node's resolution from the directory (createRequire) takes no relative path.
    const baseDir = resolve(checkPluginBaseDir(options.pluginBaseDir) ?? process.cwd());
    const classes = await loadPlugins(specs, { baseDir, ...(options.logger ? { logger: options.logger } : {}) });
    // The file's content is checked as any object is, by validateHostConfig.
    const config = typeof options.config === 'string' ? ((await readConfigFile(options.config)) as HostConfigInput) : options.config;
    return new PluginManager<H>({ ...options, plugins: classes, config });
  }

  /** Synchronous constructor: plugins must be classes and config an object (use `create` otherwise). */
  constructor(options: PluginManagerInit) {
    const hookTimeoutMs = checkHookTimeout(options.hookTimeoutMs) ?? DEFAULT_HOOK_TIMEOUT_MS;
    this.hookTimeout = hookTimeoutMs;
    const logger = options.logger ?? defaultManagerLogger();
    const classes = [...checkPluginList(options.plugins)];
    const registry = pluginRegistry(classes);
    this.registry = registry;
    this.warn = (message, details) => logger.warn(details, message);
    this.ctx = { registry: classes, env: options.env ?? process.env, logger, watchdog: createHookWatchdog(hookTimeoutMs) };
    this.answers = new PluginAnswers(logger, this.warn);
    this.retirements = new Retirements(logger);
    this.changes = new PluginChanges(this.ctx, this.retirements, { current: () => this.runtime, swap: (next) => (this.runtime = next) }, this.gate);
    this.runtime = buildRuntime(this.ctx, validateHostConfig(options.config, registry, this.warn), 1);
  }

  /** How long a hook may run before the manager stops waiting (plugin_timeout): the `hookTimeoutMs` option, 30 s by default. */
  get hookTimeoutMs(): number {
    return this.hookTimeout;
  }

  /** Where the manager logs (the `logger` option, or its stderr default); a PaymentService given none logs here too. */
  get logger(): Logger {
    return this.ctx.logger;
  }

  /**
   * True once close() was called (while it runs and after): the calls that run a plugin are refused
   * with `shutting_down`. A PaymentService checks it before writing anything for an operation.
   */
  get closed(): boolean {
    return this.gate.closed;
  }

  /** Increases by one on every configuration change. */
  get configVersion(): number {
    return this.runtime.version;
  }

  get config(): HostConfig {
    return this.runtime.config;
  }

  listChannels(): string[] {
    return [...this.runtime.channels.keys()];
  }

  /**
   * A channel's runtime: its pipeline runs the channel's plugins, so once close() was called it is
   * refused with `shutting_down`, as every call that runs a plugin is.
   */
  channel(slug: string): ChannelRuntime {
    this.gate.refuse('channel');
    return this.channelRuntime(slug);
  }

  /** The channel's runtime in the version in force, closed or not (the public methods check the gate first). */
  private channelRuntime(slug: string): ChannelRuntime {
    const channel = this.runtime.channels.get(slug);
    if (!channel) throw unknownChannel(slug);
    return channel;
  }

  /**
   * Gateways of a channel that take `currency` (all active gateways when none
   * is given). Each channel and currency's listing is computed once per
   * configuration version (see GatewayListings); every call gets its own
   * array of the same frozen gateway objects.
   */
  listPaymentGateways(query: { channel: string; currency?: string | null }): Promise<ListedGateway[]> {
    if (this.gate.closed) return Promise.reject(managerClosed('listPaymentGateways'));
    const runtime = this.runtime;
    let listed: ListedGateway[] | undefined;
    try {
      // Fast path: a kept listing, found without touching the channel's objects.
      listed = runtime.listings.ready(query.channel, query.currency);
    } catch (err) {
      return Promise.reject(err);
    }
    return listed !== undefined ? Promise.resolve(listed) : this.computeGateways(runtime, query);
  }

  private async computeGateways(runtime: Runtime, query: { channel: string; currency?: string | null }): Promise<ListedGateway[]> {
    const channel = runtime.channels.get(query.channel);
    if (!channel) throw unknownChannel(query.channel);
    return runtime.listings.list(channel, query.currency ? normalizeCurrency(query.currency) : null);
  }

  /**
   * The gateway a payment goes to: the named one, or the channel's default for
   * the currency (the seeds' default "processor") when it is active and takes
   * the currency, else the first active gateway that takes it; with
   * `existingPayment` it must be named. It reads the
   * configuration and runs no plugin, so it is still answered after close()
   * (the ledger reads a payment's gateway configuration with it).
   */
  resolveGateway(channelSlug: string, currency: string, gatewayId?: string | null, options: ResolveOptions = {}): GatewayEntry {
    return resolveGateway(this.channelRuntime(channelSlug), currency, gatewayId, options);
  }

  processPayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('processPayment', request);
  }
  authorizePayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('authorizePayment', request);
  }
  capturePayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('capturePayment', request);
  }
  refundPayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('refundPayment', request);
  }
  voidPayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('voidPayment', request);
  }
  confirmPayment(request: GatewayOperationRequest): Promise<GatewayResponse> {
    return this.runOperation('confirmPayment', request);
  }

  /** Runs a money-moving hook on exactly one gateway; a broken plugin yields `processing_error`. */
  async runOperation(operation: GatewayOperation, request: GatewayOperationRequest): Promise<GatewayResponse> {
    this.gate.refuse(operation);
    // Plugins turn amounts into minor units with the global Decimal: a lowered precision would send rounded ones.
    checkDecimalPrecision();
    const existingPayment = !NEW_CHARGE_HOOKS.has(operation);
    const gateway = this.resolveGateway(request.channel, request.payment.currency, request.gateway, { existingPayment });
    const currency = normalizeCurrency(request.payment.currency);
    const amount = parseAmount(request.payment.amount, currency, { allowZero: operation === 'voidPayment' || operation === 'confirmPayment' });
    const payment: PaymentData = { ...request.payment, currency, amount };
    const response = await this.channelRuntime(request.channel).pipeline.runOn<GatewayResponse | null>(
      gateway.id,
      operation,
      payment,
      null,
      (_previous, failure) => processingErrorResponse(operation, payment, failure),
    );
    // Only "no answer" means "not supported": a false, 0 or '' is an answer, and a wrong one.
    if (response === null || response === undefined) throw operationNotSupported(request.channel, gateway.id, operation);
    const read = this.answers.read(gateway, request.channel, operation, response, 'taken as an unknown outcome (the plugin may have reached the processor)');
    return 'problem' in read ? invalidAnswerResponse(operation, payment, { plugin: gateway.id, hook: operation }, read.problem) : read.response;
  }

  /**
   * Reconciliation: asks the payment's gateway what became of a transaction.
   * Null when the gateway does not implement `getTransactionStatus`, cannot
   * tell, or fails (a broken plugin never counts as an answer).
   */
  async getTransactionStatus(request: { channel: string; gateway?: string | null } & TransactionStatusInput): Promise<GatewayResponse | null> {
    this.gate.refuse('getTransactionStatus');
    const gateway = this.resolveGateway(request.channel, request.payment.currency, request.gateway, { existingPayment: true });
    const input: TransactionStatusInput = { transaction: request.transaction, payment: request.payment };
    const status = await this.channelRuntime(request.channel).pipeline.runOn<GatewayResponse | null>(gateway.id, 'getTransactionStatus', input, null, () => null);
    if (status === null || status === undefined) return null;
    const read = this.answers.read(gateway, request.channel, 'getTransactionStatus', status, 'taken as "cannot tell"');
    return 'problem' in read ? null : read.response;
  }

  /** A client token from the named gateway; its TokenConfig read as a payment's terms are (tokenConfig). */
  async getClientToken(request: ClientTokenRequest): Promise<string> {
    this.gate.refuse('getClientToken');
    const channel = this.channelRuntime(request.channel);
    const config = tokenConfig(request);
    // A token for a currency needs what a payment in it needs: the channel sells it and the gateway takes it.
    const gateway = config.currency ? this.resolveGateway(channel.slug, config.currency, request.gateway) : activeGateway(channel, request.gateway);
    // Not implementing the hook is a capability the gateway lacks, not a failure of the plugin.
    if (!implementsHook(gateway.instance, 'getClientToken')) throw operationNotSupported(channel.slug, gateway.id, 'getClientToken');
    let failure: PluginFailure | null = null;
    const token = await channel.pipeline.runOn<string | null>(gateway.id, 'getClientToken', config, null, (_previous, failed) => {
      failure = failed;
      return null;
    });
    if (token === null) throw missingValueError('a client token', gateway.id, failure);
    return token;
  }

  /**
   * Whether the gateway needs a token from the client to take a payment (Saleor's
   * token_is_required_as_payment_input(gateway, channel)): asked of the named active gateway alone,
   * true when it does not implement the hook, passes (undefined), fails or answers no boolean.
   */
  async tokenIsRequiredAsPaymentInput(request: { channel: string; gateway: string }): Promise<boolean> {
    this.gate.refuse('tokenIsRequiredAsPaymentInput');
    const channel = this.channelRuntime(request.channel);
    const gateway = activeGateway(channel, request.gateway);
    return channel.pipeline.runOn<boolean>(gateway.id, 'tokenIsRequiredAsPaymentInput', { channel: channel.slug, gateway: gateway.id }, true);
  }

  async getPaymentConfig(request: { channel: string; gateway: string }): Promise<PublicConfig> {
    this.gate.refuse('getPaymentConfig');
    const channel = this.channelRuntime(request.channel);
    return channel.pipeline.runOn<PublicConfig>(activeGateway(channel, request.gateway).id, 'getPaymentConfig', { channel: channel.slug }, []);
  }

  async listPaymentSources(request: { channel: string; customerId: string; gateway?: string }): Promise<CustomerSource[]> {
    this.gate.refuse('listPaymentSources');
    const channel = this.channelRuntime(request.channel);
    const input = { channel: channel.slug, customerId: request.customerId };
    if (!request.gateway) return channel.pipeline.run<CustomerSource[]>('listPaymentSources', input, []);
    return channel.pipeline.runOn<CustomerSource[]>(activeGateway(channel, request.gateway).id, 'listPaymentSources', input, []);
  }

  /** Routes a webhook to one active plugin, per channel or global; unknown or inactive -> `unknown_plugin`. */
  async webhook(request: { channel: string | null; plugin: string } & WebhookRequest): Promise<WebhookResponse | null> {
    this.gate.refuse('webhook');
    const { pipeline, active } = request.channel === null ? this.globalPlugin(request.plugin) : this.channelPlugin(request.channel, request.plugin);
    if (!active) throw noWebhookPlugin(request.plugin, request.channel, this.registry.get(request.plugin));
    const { channel: _c, plugin: _p, ...webhook } = request;
    const answer = await pipeline.runOn<WebhookResponse | null>(request.plugin, 'webhook', webhook, null, webhookFailedResponse);
    const plugin = pipeline.implementers('webhook').find((entry) => entry.id === request.plugin);
    if (answer === null || plugin === undefined) return answer;
    // Its body goes back to whoever called the URL, and its events into the ledger: no secret in either.
    return this.answers.webhook(answer, plugin, request.channel);
  }

  /**
   * Runs a chained hook, a payment hook or one the host declared, over a
   * channel's plugins (null: global plugins only). Payment operations and
   * getTransactionStatus are refused (`invalid_input`): they go to one gateway
   * through runOperation (processPayment(), ...) and getTransactionStatus();
   * so are getClientToken, tokenIsRequiredAsPaymentInput and webhook. Their names do not type-check here.
   */
  runHook<K extends ChainedHook<H>>(
    channel: string | null,
    name: K,
    input: HookInput<AllHooks<H>[K]>,
    defaultValue: HookValue<AllHooks<H>[K]>,
  ): Promise<HookValue<AllHooks<H>[K]>> {
    if (this.gate.closed) return Promise.reject(managerClosed('runHook'));
    let pipeline: HookPipeline;
    if (channel === null) pipeline = this.runtime.globalPipeline;
    else {
      const runtime = this.runtime.channels.get(channel);
      // An unknown channel is a rejection like every other failure of a promise-returning method, not a synchronous throw.
      if (runtime === undefined) return Promise.reject(unknownChannel(channel));
      pipeline = runtime.pipeline;
    }
    return pipeline.runChecked(name, input, defaultValue, refuseSingleGatewayHook);
  }

  getPluginConfiguration(pluginId: string, channel: string | null): PluginConfigurationView {
    const cls = configurablePlugin(this.registry, this.runtime.channels, pluginId, channel);
    return configurationView(cls, channel, storedSettings(this.runtime.config, cls, channel));
  }

  /**
   * Save pipeline: merge (a masked secret sent back unchanged keeps the stored
   * one) -> validate -> build the new version -> swap it in atomically. On any
   * error nothing changes; requests in flight finish on the version they began on.
   */
  updatePluginConfiguration(pluginId: string, channel: string | null, update: PluginConfigurationUpdate): PluginConfigurationView {
    this.gate.refuse('updatePluginConfiguration');
    return this.preparePluginConfiguration(pluginId, channel, update).commit();
  }

  /**
   * updatePluginConfiguration up to the swap: merged, validated and built (a refused change throws here,
   * changing nothing), but in force only once `commit()`ed; `discard()` closes what it built.
   */
  preparePluginConfiguration(pluginId: string, channel: string | null, update: PluginConfigurationUpdate): PreparedPluginChange {
    this.gate.refuse('preparePluginConfiguration');
    const cls = configurablePlugin(this.registry, this.runtime.channels, pluginId, channel);
    return this.prepare(cls, channel, mergeUpdate(cls, channel, storedSettings(this.runtime.config, cls, channel), update));
  }

  /**
   * Replaces a plugin's settings with `settings` as they are, or with its defaults (undefined): no masked
   * round trip, and `${VAR}` references taken as written, since they come from the operator (the file,
   * or a change another instance saved), not from an admin request. Validated and swapped in as
   * updatePluginConfiguration does; on any error nothing changes.
   */
  setPluginSettings(pluginId: string, channel: string | null, settings: PluginSettingsInput | undefined): void {
    this.gate.refuse('setPluginSettings');
    this.preparePluginSettings(pluginId, channel, settings).commit();
  }

  /** setPluginSettings up to the swap, as preparePluginConfiguration is for updatePluginConfiguration. */
  preparePluginSettings(pluginId: string, channel: string | null, settings: PluginSettingsInput | undefined): PreparedPluginChange {
    this.gate.refuse('preparePluginSettings');
    return this.prepare(configurablePlugin(this.registry, this.runtime.channels, pluginId, channel), channel, settings);
  }

  /** Validates settings and builds the next version with them, not swapped in. */
  private prepare(cls: PluginClass, channel: string | null, input: PluginSettingsInput | undefined): PreparedPluginChange {
    // Settings as they are (setPluginSettings) have the shape an update has: a misspelt key is refused, not ignored.
    if (input !== undefined) checkUpdateShape(input, { plugin: cls.id, channel });
    const settings = validatePluginSettings(cls, input, { plugin: cls.id, channel }, this.warn);
    return this.changes.prepare(cls, channel, settings, configurationView(cls, channel, settings));
  }

  /**
   * Disposes the awilix containers, which closes every plugin instance (its
   * `close()`), once the calls in flight have settled (each is bounded by
   * `hookTimeoutMs`), as well as the instances configuration changes
   * replaced and those of prepared changes never committed (discarded);
   * then stops the timeout watchdog. From the moment it is called, every
   * method that runs or builds plugins (payments, hooks, listings, tokens,
   * webhooks, configuration changes, a prepared change's commit()) and
   * `channel()`, which hands out a channel's pipeline, are refused with
   * `shutting_down`; calls already in flight finish first. Calling it again
   * answers the same promise.
   */
  close(): Promise<void> {
    return this.gate.close(() => this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.retirements.retireRuntime(this.runtime);
    await Promise.all([this.changes.discardAll(), this.retirements.settled()]);
    this.ctx.watchdog.close();
  }

  private channelPlugin(slug: string, pluginId: string): { pipeline: ChannelRuntime['pipeline']; active: boolean } {
    const channel = this.channelRuntime(slug);
    const cls = this.registry.get(pluginId);
    if (!cls) return { pipeline: channel.pipeline, active: false };
    return { pipeline: channel.pipeline, active: storedSettings(this.runtime.config, cls, cls.configurationPerChannel ? slug : null).active };
  }

  private globalPlugin(pluginId: string): { pipeline: Runtime['globalPipeline']; active: boolean } {
    const cls = this.registry.get(pluginId);
    const active = !!cls && !cls.configurationPerChannel && storedSettings(this.runtime.config, cls, null).active;
    return { pipeline: this.runtime.globalPipeline, active };
  }
}
