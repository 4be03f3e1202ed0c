// A crash between the gateway's answer and the ledger update, then reconciliation when the host starts again.
import { MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { ACME_TEST_TOKENS, AcmeGatewayPlugin } from './acme-gateway/src/index.js';

const manager = new PluginManager({
  plugins: [AcmeGatewayPlugin],
  config: {
    channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'acme.gateway': { active: true, configuration: { api_key: 'sk_test_reconcile' } } } }],
  },
});
const store = new MemoryLedgerStore(); // in production: the PostgreSQL or embedded store, which survives the crash

// Simulate the process dying right after Acme charged the card (crash tests use the same fault hooks).
const crashing = new PaymentService({
  manager,
  store,
  faults: {
    'after-gateway': () => {
      throw new Error('process killed');
    },
  },
});
const payment = await crashing.createPayment({ idempotencyKey: 'order-9:create', channel: 'web', total: '60.00', currency: 'USD', token: ACME_TEST_TOKENS.success });
await crashing.process({ paymentId: payment.id, idempotencyKey: 'order-9:process' }).catch((err: Error) => console.log('process:', err.message));
const pending = await crashing.listTransactions(payment.id);
console.log('after the crash:', (await crashing.getPayment(payment.id)).chargeStatus, pending.map((t) => `${t.kind} ${t.state}`));

// Start-up, here a minute later: the server runs reconcile() before it accepts requests. A call younger than
// twice hookTimeoutMs (30 s by default) is left for a later pass: it may still land at the processor.
// The plugin's getTransactionStatus answers.
const restarted = new PaymentService({ manager, store, clock: () => new Date(Date.now() + 60_000) });
const report = await restarted.reconcile();
console.log('reconcile:', { checked: report.checked, applied: report.applied.length, review: report.review.length, skipped: report.skipped.length });
const after = await restarted.getPayment(payment.id);
const transactions = await restarted.listTransactions(payment.id);
console.log('after reconcile:', after.chargeStatus, after.capturedAmount.toFixed(2), transactions.map((t) => `${t.kind} ${t.state}`));

// The client retries with its idempotency key and gets the recorded outcome: the card is not charged twice.
const retry = await restarted.process({ paymentId: payment.id, idempotencyKey: 'order-9:process' });
console.log('retry:', retry.transaction.id === transactions[0]?.id, retry.payment.chargeStatus);
await manager.close();
