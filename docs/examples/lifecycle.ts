// A payment's life in the ledger: authorize, capture in two parts, refund in two parts; and a voided authorization.
import { MemoryLedgerStore, PaymentService, PluginManager, type OperationResult, type Payment } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';

const manager = new PluginManager({
  plugins: [DummyGatewayPlugin],
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['EUR'],
        // auto_capture off: process() only authorizes, captures come later.
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'EUR', auto_capture: false } } },
      },
    ],
  },
});
const payments = new PaymentService({ manager, store: new MemoryLedgerStore() });

function show(step: string, payment: Payment, result?: OperationResult): void {
  const tx = result ? `${result.transaction.kind} ${result.transaction.amount.toFixed(2)}` : '-';
  const flags = `${payment.isActive ? 'active' : 'inactive'}${payment.toConfirm ? ', to confirm' : ''}`;
  console.log(
    `${step.padEnd(14)} ${tx.padEnd(15)} ${payment.chargeStatus.padEnd(18)} authorized ${payment.authorizedAmount.toFixed(2).padStart(6)}  captured ${payment.capturedAmount.toFixed(2).padStart(6)}  ${flags}`,
  );
}

const order = await payments.createPayment({ idempotencyKey: 'order-1:create', channel: 'web', total: '100.00', currency: 'EUR', token: DUMMY_TOKENS.success });
show('create', order);
const steps: Array<[string, () => Promise<OperationResult>]> = [
  ['process', () => payments.process({ paymentId: order.id, idempotencyKey: 'order-1:process' })],
  ['capture 40', () => payments.capture({ paymentId: order.id, idempotencyKey: 'order-1:capture-1', amount: '40.00' })],
  ['capture rest', () => payments.capture({ paymentId: order.id, idempotencyKey: 'order-1:capture-2' })],
  ['refund 25', () => payments.refund({ paymentId: order.id, idempotencyKey: 'order-1:refund-1', amount: '25.00' })],
  ['refund rest', () => payments.refund({ paymentId: order.id, idempotencyKey: 'order-1:refund-2' })],
];
for (const [step, run] of steps) {
  const result = await run();
  show(step, result.payment, result);
}

const cancelled = await payments.createPayment({ idempotencyKey: 'order-2:create', channel: 'web', total: '30.00', currency: 'EUR', token: DUMMY_TOKENS.success });
const authorized = await payments.process({ paymentId: cancelled.id, idempotencyKey: 'order-2:process' });
show('process', authorized.payment, authorized);
const voided = await payments.void({ paymentId: cancelled.id, idempotencyKey: 'order-2:void' });
show('void', voided.payment, voided);

const kinds = (await payments.listTransactions(order.id)).map((t) => `${t.kind}${t.isSuccess ? '' : ' (failed)'}`);
console.log('transactions of order-1:', kinds.join(', '));
await manager.close();
