// The reference server with the same config file: embedded database in .payhost-data, the Acme plugin loaded by name.
import { createServer, loadServerConfig } from '@payhost/server';

const config = await loadServerConfig('payhost.config.json');
if (process.env['PORT'] !== undefined) config.server.port = Number(process.env['PORT']);
const server = await createServer(config);
const url = await server.listen();

const headers = {
  Authorization: `Bearer ${config.auth.paymentApiKey}`,
  'Content-Type': 'application/json',
  'Idempotency-Key': `order-${Date.now()}`,
};
const body = JSON.stringify({ channel: 'web', amount: '42.00', currency: 'USD', token: 'acme_tok_success' });
const response = await fetch(`${url}/payments`, { method: 'POST', headers, body });
const { payment, transaction } = (await response.json()) as {
  payment: { gateway: string; chargeStatus: string; capturedAmount: string };
  transaction: { kind: string; isSuccess: boolean };
};
console.log('POST /payments', response.status, payment.gateway, payment.chargeStatus, payment.capturedAmount, transaction.kind, transaction.isSuccess);

const checkout = await fetch(`${url}/checkout/`);
console.log('GET /checkout/', checkout.status, checkout.headers.get('content-type'));

// Graceful shutdown: stop accepting, let requests in flight finish, close the database.
await server.close();
