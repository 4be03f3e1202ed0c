import type { FastifyInstance } from 'fastify';
import { createLogger, PaymentService, PluginManager, type LedgerStore, type Logger } from '@payhost/core';
import { buildApp } from './app.js';
import { checkCheckoutExposure, checkDevelopmentKeys, PUBLIC_CHECKOUT_WARNING, type ServerConfig } from './config.js';
import { paymentRoutes } from './routes/payments.js';
import { reviewRoutes } from './routes/review.js';
import { openStore } from './store.js';
import { startReconciler } from './reconciler.js';
import { loadPluginSettingsSync } from './plugin-settings-sync.js';
import { guardedCheckoutRoutes } from './checkout/guard.js';
import { applyVerifiedEvents } from './webhook-events.js';

export interface PayhostServer {
  app: FastifyInstance;
  manager: PluginManager;
  payments: PaymentService;
  store: LedgerStore;
  logger: Logger;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: stops accepting at once (new requests: 503 or connection refused), lets in-flight
   * requests finish while a reconcile pass in progress stops after its current transaction, then closes
   * the plugins and the store.
   */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  logger?: Logger;
  /** Use this store instead of opening one from the configuration (tests, embedding). */
  store?: { store: LedgerStore; kind: string };
}

/** Wires a server from a validated configuration: plugins, manager, store, ledger, routes. */
export async function createServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<PayhostServer> {
  const logger = options.logger ?? createLogger({ level: config.server.logLevel, name: 'payhost' });
  // Before anything is opened: public development keys on a host other machines reach refuse the start.
  const developmentKeys = checkDevelopmentKeys(config);
  if (developmentKeys) {
    logger.warn(
      { fields: developmentKeys.fields, host: config.server.host },
      `${developmentKeys.fields.join(' and ')} ${developmentKeys.fields.length > 1 ? 'hold public development keys' : 'holds a public development key'}, ` +
        `accepted because the server listens on a loopback host only; set ${developmentKeys.toSet} before it listens on any other`,
    );
  }
  // The same for the public checkout: served where other machines reach it only when acknowledged.
  if (checkCheckoutExposure(config) === 'acknowledged') logger.warn({ host: config.server.host, checkoutGateways: config.server.checkoutGateways }, PUBLIC_CHECKOUT_WARNING);
  const manager = await PluginManager.create({
    plugins: config.plugins,
    pluginBaseDir: config.baseDir,
    config: config.host,
    logger,
    hookTimeoutMs: config.server.hookTimeoutMs,
  });
  const { store, kind } = options.store ?? (await openStore(config, { logger }).catch(async (err: unknown) => {
    // Plugins may hold clients and timers: a host that catches this error must not inherit them.
    await manager.close();
    throw err;
  }));
  // Plugin configuration the admin API changed (on any instance) applies over the file's from the start.
  const fileConfig = manager.config;
  const settingsSync = await loadPluginSettingsSync(manager, store, fileConfig, logger, { cipher: config.settingsCipher }).catch(async (err: unknown) => {
    await manager.close();
    if (!options.store) await store.close();
    throw err;
  });
  settingsSync?.start(config.server.pluginSettingsPollMs);
  const payments = new PaymentService({ manager, store, logger });
  // A pending transaction younger than two gateway-call timeouts may belong to a call still in flight
  // on another instance (the call, then its own outcome check, each last at most hookTimeoutMs).
  // Before it listens, only what a crash left, for at most one gateway-call timeout (and the call then in
  // progress): charges answered pending and refunds still ongoing wait for the periodic passes.
  const reconciler = startReconciler(payments, logger, {
    minAgeMs: 2 * config.server.hookTimeoutMs,
    intervalMs: config.server.reconcileIntervalMs,
    startupBudgetMs: config.server.hookTimeoutMs,
  });
  await reconciler.runStartup();

  const ctx = { manager, store, storeKind: kind, config, fileConfig, settingsSync };
  const app = await buildApp(
    ctx,
    {
      publicRoutes: config.server.checkout ? (scope) => guardedCheckoutRoutes(scope, ctx, payments) : undefined,
      logger,
      paymentRoutes: (scope) => paymentRoutes(scope, payments),
      adminLedgerRoutes: (scope) => reviewRoutes(scope, payments),
      applyEvents: applyVerifiedEvents(payments, logger, { retryMs: config.server.unmatchedEventRetryMs }),
    },
  ).catch(async (err: unknown) => {
    // Nothing may outlive a failed start: timers, plugin clients, and a store this call opened (its lock).
    await reconciler.stop();
    await settingsSync?.stop();
    await manager.close();
    if (!options.store) await store.close();
    throw err;
  });

  let closed: Promise<void> | null = null;
  return {
    app,
    manager,
    payments,
    store,
    logger,
    async listen() {
      // Again, should the host have been changed since (an embedding application).
      checkDevelopmentKeys(config);
      checkCheckoutExposure(config);
      return app.listen({ host: config.server.host, port: config.server.port });
    },
    close() {
      closed ??= (async () => {
        // Both at once: waiting for a reconcile pass first kept the server taking (and charging) new payments
        // meanwhile. The pass stops between transactions; requests in flight finish; then the manager and the
        // store they use are closed.
        const [, http] = await Promise.allSettled([reconciler.stop(), app.close(), settingsSync?.stop()]);
        await manager.close();
        await store.close();
        if (http.status === 'rejected') throw http.reason;
      })();
      return closed;
    },
  };
}
