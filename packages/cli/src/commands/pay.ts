import { randomUUID } from 'node:crypto';
import { MemoryLedgerStore, PaymentService, PluginManager, formatAmount, type LedgerStore } from '@payhost/core';
import { loadServerConfig, openStore } from '@payhost/server';
import { json, type CliIo } from '../io.js';

export interface PayOptions {
  config: string;
  channel: string;
  amount: string;
  currency: string;
  token?: string;
  gateway?: string;
  customer?: string;
  /** Keep nothing: an in-memory ledger instead of the configured database. */
  memory?: boolean;
}

/** A one-off payment through the configured gateways; prints the payment and its transaction. */
export async function pay(options: PayOptions, io: CliIo): Promise<void> {
  const config = await loadServerConfig(options.config);
  // The server's own store choice (DATABASE_URL and server.databaseSchema, else the data directory), so the
  // payment lands where `payhost serve` shows it.
  const store: LedgerStore = options.memory ? new MemoryLedgerStore() : (await openStore(config)).store;
  let manager: PluginManager;
  try {
    manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, hookTimeoutMs: config.server.hookTimeoutMs });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    const payments = new PaymentService({ manager, store });
    const result = await payments.pay({
      idempotencyKey: randomUUID(),
      channel: options.channel,
      gateway: options.gateway ?? null,
      total: options.amount,
      currency: options.currency,
      token: options.token ?? null,
      customerId: options.customer ?? null,
    });
    const { payment: after, transaction } = result;
    // Amounts with the currency's decimal places ("12.50" USD, "1500" JPY), as the server's API prints them.
    io.out(
      json({
        payment: {
          id: after.id,
          chargeStatus: after.chargeStatus,
          total: formatAmount(after.total, after.currency),
          captured: formatAmount(after.capturedAmount, after.currency),
          currency: after.currency,
          toConfirm: after.toConfirm,
        },
        transaction: { kind: transaction.kind, isSuccess: transaction.isSuccess, amount: formatAmount(transaction.amount, transaction.currency), errorCode: transaction.errorCode, error: transaction.error },
      }),
    );
  } finally {
    await manager.close();
    await store.close();
  }
}
