import type { FastifyInstance } from 'fastify';
import { createLogger, ERROR_CODES, isPayhostError, PayhostError, PaymentService, PluginManager, type LedgerStore, type Logger } from '@payhost/core';
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
  /**
   * Stops the start-up (the CLI: SIGINT/SIGTERM before it listens): the step in progress finishes (the plugins
   * or the store still opening, migrations included; the start-up reconcile pass stops after its current
   * transaction), the steps after it are not run, what was opened is closed (a store given in `store` is not),
   * and createServer rejects with shutting_down.
   */
  signal?: AbortSignal;
}

/** Why createServer rejects when its `signal` stopped the start-up. */
function startStopped(): PayhostError {
  return new PayhostError(ERROR_CODES.shuttingDown, 'the start-up was stopped before the server listened', { reason: 'start_stopped' });
}

/** Whether `err` is createServer's rejection for a start-up its `signal` stopped. */
export function isStartStopped(err: unknown): boolean {
  return isPayhostError(err, ERROR_CODES.shuttingDown) && err.details?.['reason'] === 'start_stopped';
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
  const { signal } = options;
  const stopIfAborted = (): void => {
    if (signal?.aborted) throw startStopped();
  };
  // What this call opened so far, closed in this order if the start fails or is stopped: nothing may outlive
  // it (timers, plugin clients, and a store this call opened, with its lock).
  let manager: PluginManager | undefined;
  let opened: { store: LedgerStore; kind: string } | undefined;
  let settingsSync: Awaited<ReturnType<typeof loadPluginSettingsSync>> | undefined;
  let reconciler: ReturnType<typeof startReconciler> | undefined;
  let app: FastifyInstance | undefined;
  try {
    stopIfAborted();
    manager = await PluginManager.create({
      plugins: config.plugins,
      pluginBaseDir: config.baseDir,
      config: config.host,
      logger,
      hookTimeoutMs: config.server.hookTimeoutMs,
    });
    stopIfAborted();
    // Migrations run here: a stop asked meanwhile waits for them (a commit is never cut short).
    opened = options.store ?? (await openStore(config, { logger }));
    stopIfAborted();
    const { store, kind } = opened;
    // Plugin configuration the admin API changed (on any instance) applies over the file's from the start.
    const fileConfig = manager.config;
    settingsSync = await loadPluginSettingsSync(manager, store, fileConfig, logger, { cipher: config.settingsCipher });
    stopIfAborted();
    settingsSync?.start(config.server.pluginSettingsPollMs);
    const payments = new PaymentService({ manager, store, logger });
    // A pending transaction younger than two gateway-call timeouts may belong to a call still in flight
    // on another instance (the call, then its own outcome check, each last at most hookTimeoutMs).
    // Before it listens, only what a crash left, for at most one gateway-call timeout (and the call then in
    // progress): charges answered pending and refunds still ongoing wait for the periodic passes.
    const started = startReconciler(payments, logger, {
      minAgeMs: 2 * config.server.hookTimeoutMs,
      intervalMs: config.server.reconcileIntervalMs,
      startupBudgetMs: config.server.hookTimeoutMs,
    });
    reconciler = started;
    // A stop asked during the pass ends it after its current transaction (the rest wait for the next start).
    const stopPass = (): void => void started.stop();
    signal?.addEventListener('abort', stopPass, { once: true });
    try {
      await started.runStartup();
    } finally {
      signal?.removeEventListener('abort', stopPass);
    }
    stopIfAborted();

    const ctx = { manager, store, storeKind: kind, config, fileConfig, settingsSync };
    app = await buildApp(
      ctx,
      {
        publicRoutes: config.server.checkout ? (scope) => guardedCheckoutRoutes(scope, ctx, payments) : undefined,
        logger,
        paymentRoutes: (scope) => paymentRoutes(scope, payments),
        adminLedgerRoutes: (scope) => reviewRoutes(scope, payments),
        applyEvents: applyVerifiedEvents(payments, logger, { retryMs: config.server.unmatchedEventRetryMs }),
      },
    );
    stopIfAborted();
    return running({ app, manager, payments, store, logger, config, reconciler: started, settingsSync });
  } catch (err) {
    await Promise.allSettled([reconciler?.stop(), app?.close(), settingsSync?.stop()]);
    await manager?.close();
    if (opened && !options.store) await opened.store.close();
    throw err;
  }
}

interface Started {
  app: FastifyInstance;
  manager: PluginManager;
  payments: PaymentService;
  store: LedgerStore;
  logger: Logger;
  config: ServerConfig;
  reconciler: ReturnType<typeof startReconciler>;
  settingsSync: Awaited<ReturnType<typeof loadPluginSettingsSync>> | undefined;
}

/** The started server's listen() and close(). */
function running({ app, manager, payments, store, logger, config, reconciler, settingsSync }: Started): PayhostServer {
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
