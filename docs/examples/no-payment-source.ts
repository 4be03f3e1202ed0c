// "customer-42 is not associated to an account on the processor and no token was passed." — the error and its two fixes.
import { MemoryLedgerStore, PaymentService, PluginManager, isPayhostError } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';

const manager = new PluginManager({
  plugins: [DummyGatewayPlugin],
  config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true } } }] },
});
const payments = new PaymentService({ manager, store: new MemoryLedgerStore() });

// A charge with neither a token nor a card on file is refused before anything is written.
try {
  await payments.createPayment({ idempotencyKey: 'order-1:create', channel: 'web', total: '15.00', currency: 'USD', customerId: 'customer-42' });
} catch (err) {
  if (!isPayhostError(err, 'no_payment_source')) throw err;
  console.log(err.code, '-', err.message);
  console.log('details:', err.details?.['customerId'], err.details?.['gateway']);
}

// Fix 1: pass the token the browser got from the gateway's tokenizer (and ask the gateway to keep the card).
const first = await payments.createPayment({
  idempotencyKey: 'order-2:create',
  channel: 'web',
  total: '15.00',
  currency: 'USD',
  customerId: 'customer-42',
  token: DUMMY_TOKENS.success,
  storePaymentMethod: true,
});
const charged = await payments.process({ paymentId: first.id, idempotencyKey: 'order-2:process' });
console.log('with a token:', charged.payment.chargeStatus, 'gateway customer:', charged.transaction.customerId?.startsWith('dummy_cus_'));

// Fix 2: the customer now has a card on file with the gateway, so a later charge needs no token.
const sources = await manager.listPaymentSources({ channel: 'web', customerId: 'customer-42' });
console.log('cards on file:', sources.map((s) => `${s.creditCardInfo?.brand} ${s.creditCardInfo?.last4}`));
const again = await payments.createPayment({ idempotencyKey: 'order-3:create', channel: 'web', total: '9.00', currency: 'USD', customerId: 'customer-42' });
const reused = await payments.process({ paymentId: again.id, idempotencyKey: 'order-3:process' });
console.log('card on file:', reused.payment.chargeStatus, reused.payment.capturedAmount.toFixed(2));
await manager.close();
