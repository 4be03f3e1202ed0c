// A server process for the HTTP benchmark: `node http-server.mjs <variant>`, prints `PORT <n>` when ready.
//   payhost-memory | payhost-pglite | payhost-postgres: the reference server, dummy gateway (PGlite in a
//     temporary data directory, removed on SIGTERM)
//   payhost-http-only: the reference server on the memory store, but PaymentService.pay answers
//     one recorded result without touching the ledger or the gateway (a diagnostic: what the
//     HTTP layer alone costs: auth, schema validation, serialization)
//   bare: a bare fastify route answering the same JSON as POST /payments
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { MemoryLedgerStore, silentLogger } from '@payhost/core';
import { createServer, parseServerConfig } from '@payhost/server';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const variant = process.argv[2];
export const PAYMENT_KEY = 'bench-payment-key-0123456789';

const document = {
  server: { host: '127.0.0.1', port: 0, logLevel: 'silent', checkout: false },
  auth: { adminApiKey: 'bench-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
  plugins: ['@payhost/plugin-dummy'],
  channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }],
};

async function openStore() {
  if (variant === 'payhost-memory' || variant === 'payhost-http-only') return { store: new MemoryLedgerStore(), kind: 'memory' };
  if (variant === 'payhost-pglite') {
    // In a data directory, as `payhost serve` runs it (an in-memory PGlite grows its files in WASM memory).
    const dataDir = await mkdtemp(join(tmpdir(), 'payhost-bench-'));
    const store = await createPgliteStore({ dataDir });
    process.once('SIGTERM', () => {
      void store
        .close()
        .catch(() => undefined)
        .then(() => rm(dataDir, { recursive: true, force: true }))
        .finally(() => process.exit(0));
    });
    return { store, kind: 'pglite' };
  }
  const schema = `payhost_bench_${randomBytes(4).toString('hex')}`;
  const store = await createPostgresStore({ connectionString: process.env.PAYHOST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema });
  process.once('SIGTERM', () => {
    void store.driver
      .session((c) => c.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  return { store, kind: 'postgres' };
}

if (variant === 'bare') {
  // The same response body a successful POST /payments returns, from a bare route.
  const body = JSON.parse(process.argv[3]);
  const app = Fastify({ logger: false });
  app.post('/payments', async (_request, reply) => reply.status(201).send(body));
  await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`PORT ${app.server.address().port}`);
} else {
  const config = parseServerConfig(document, root, {});
  const server = await createServer(config, { logger: silentLogger(), store: await openStore() });
  if (variant === 'payhost-http-only') {
    const recorded = await server.payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', idempotencyKey: 'bench-recorded-payment' });
    server.payments.pay = async () => recorded;
  }
  await server.listen();
  console.log(`PORT ${server.app.server.address().port}`);
}
