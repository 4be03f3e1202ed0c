// Every failure is a PayhostError with a stable code; the server answers each code with one HTTP status.
import { GatewayDeclinedError, MemoryLedgerStore, PaymentService, PluginManager, isPayhostError, type CreatePaymentInput } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { statusFor } from '@payhost/server';
import { AcmeGatewayPlugin } from './acme-gateway/src/index.js';

const manager = new PluginManager({
  plugins: [DummyGatewayPlugin, AcmeGatewayPlugin],
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['USD', 'EUR', 'JPY'],
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD, EUR' } }, 'acme.gateway': { active: false } },
      },
    ],
  },
});
const payments = new PaymentService({ manager, store: new MemoryLedgerStore() });

async function attempt(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    console.log(`${what}: ok`);
  } catch (err) {
    if (!isPayhostError(err)) throw err;
    const declined = err instanceof GatewayDeclinedError ? ` [errorCode ${err.errorCode}]` : '';
    // Payment ids are random: replaced so this output stays the same from run to run.
    const message = err.message.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>');
    console.log(`${what}: ${err.code} (HTTP ${statusFor(err.code)})${declined} ${message}`);
  }
}

let key = 0;
const create = (input: Partial<CreatePaymentInput>) =>
  payments.createPayment({ idempotencyKey: `order-${++key}`, channel: 'web', total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success, ...input });

await attempt('unknown channel', () => create({ channel: 'mars' }));
await attempt('unknown gateway', () => create({ gateway: 'acme.nope' }));
await attempt('inactive gateway', () => create({ gateway: 'acme.gateway' }));
await attempt('currency not sold', () => create({ currency: 'GBP' }));
await attempt('no gateway takes it', () => create({ currency: 'JPY', total: '1000' }));
await attempt('not a currency', () => create({ currency: 'XYZ' }));
await attempt('too many decimals', () => create({ total: '10.001' }));
await attempt('no token, no card on file', () => create({ token: null, customerId: 'customer-42' }));
await attempt('card number as token', () => create({ token: '4242424242424242' }));
await attempt('unknown payment', () => payments.getPayment('no-such-payment'));

const declined = await create({ token: DUMMY_TOKENS.expired });
await attempt('expired card', () => payments.process({ paymentId: declined.id, idempotencyKey: 'declined:process' }));

const paid = await create({});
await payments.process({ paymentId: paid.id, idempotencyKey: 'paid:process' });
await attempt('void after capture', () => payments.void({ paymentId: paid.id, idempotencyKey: 'paid:void' }));
await attempt('refund too much', () => payments.refund({ paymentId: paid.id, idempotencyKey: 'paid:refund-1', amount: '12.00' }));
await attempt('refund 2.00', () => payments.refund({ paymentId: paid.id, idempotencyKey: 'paid:refund-2', amount: '2.00' }));
await attempt('the same again', () => payments.refund({ paymentId: paid.id, idempotencyKey: 'paid:refund-2', amount: '2.00' }));
await attempt('same key, other amount', () => payments.refund({ paymentId: paid.id, idempotencyKey: 'paid:refund-2', amount: '3.00' }));
console.log('captured after one refund of 2.00 (the repeat was a replay):', (await payments.getPayment(paid.id)).capturedAmount.toFixed(2));
await manager.close();
