import { expect } from 'chai';
import { createLogger, MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';
import { fixturesDir } from './support/harness.js';
// @ts-expect-error: a plain-JS fixture plugin, without types
import { PendingChargeGateway } from './fixtures/pending-charge.mjs';

const gate = PendingChargeGateway.gate as { asked: string[]; asks(count: number): Promise<void>; open(): void; reset(): void };
const CHANNELS = [{ slug: 'web', currencies: ['USD'], plugins: { 'test.pending-charge': { active: true } } }];

/** Resolves once `condition()` holds; fails naming `what` if it does not within 5 s. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let polls = 0; polls < 1_000 && !(await condition()); polls += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await condition(), `never: ${what}`).to.equal(true);
}

// A charge answered pending (a bank transfer still in flight) is no crash leftover: asking the gateway about it
// (one call of up to hookTimeoutMs each) must not hold up the start, nor the liveness probe that waits for it.
describe('server: charges answered pending are reconciled after the server listens, not before', () => {
  let starting: Promise<PayhostServer> | null = null;
  afterEach(async () => {
    gate.open();
    await (await starting?.catch(() => null))?.close();
    starting = null;
    gate.reset();
  });

  it('listens (GET /health answers) before the gateway is asked about the pending charge; a periodic pass then records its capture', async () => {
    const store = new MemoryLedgerStore();
    // A charge the processor answered pending an hour ago (old enough for every pass).
    const manager = new PluginManager({ plugins: [PendingChargeGateway], config: { channels: CHANNELS } });
    const hourAgo = new PaymentService({ manager, store, clock: () => new Date(Date.now() - 3_600_000) });
    const paid = await hourAgo.pay({ idempotencyKey: 'pending-at-start', channel: 'web', total: '7.00', currency: 'USD', token: 'tok' });
    expect(paid.payment.chargeStatus).to.equal('pending');
    await manager.close();

    const config = parseServerConfig(
      {
        server: { host: '127.0.0.1', port: 0, checkout: false, hookTimeoutMs: 10_000, reconcileIntervalMs: 100 },
        auth: { adminApiKey: 'pending-start-admin-key-0123456789', paymentApiKey: 'pending-start-payment-key-0123456789' },
        plugins: ['./pending-charge.mjs'],
        channels: CHANNELS,
      },
      fixturesDir,
      {},
    );
    starting = createServer(config, { logger: createLogger({ level: 'silent' }), store: { store, kind: 'memory' } });
    const first = await Promise.race([starting.then(() => 'started'), gate.asks(1).then(() => 'asked the gateway')]);
    expect(first, 'the start waited for the gateway (still slow) about a charge answered pending').to.equal('started');
    const server = await starting;
    const url = await server.listen();
    const health = await fetch(`${url}/health`);
    expect(health.status).to.equal(200);

    // The periodic pass asks (the gateway still slow, the server serving meanwhile), then records the capture.
    await gate.asks(1);
    expect(gate.asked).to.deep.equal([paid.transaction.id]);
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    gate.open();
    await until(async () => (await server.payments.getPayment(paid.payment.id)).chargeStatus === 'fully-charged', 'the pending charge recorded captured');
    expect((await server.payments.getPayment(paid.payment.id)).capturedAmount.toFixed(2)).to.equal('7.00');
  });
});
