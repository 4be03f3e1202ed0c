import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger, MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { createServer, isStartStopped, parseServerConfig } from '@payhost/server';
import { fixturesDir } from './support/harness.js';
// @ts-expect-error: a plain-JS fixture plugin, without types
import { SlowStatusGateway } from './fixtures/slow-status.mjs';

const gate = SlowStatusGateway.gate as { asked: string[]; asks(count: number): Promise<void>; open(): void; reset(): void };
const silent = createLogger({ level: 'silent' });
const raw = {
  server: { host: '127.0.0.1', port: 0, checkout: false, hookTimeoutMs: 10_000 },
  auth: { adminApiKey: 'start-abort-admin-key-0123456789', paymentApiKey: 'start-abort-payment-key-0123456789' },
  plugins: ['./slow-status.mjs'],
  channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.slow-status': { active: true } } }],
};

// createServer's `signal` (the CLI: SIGINT/SIGTERM before it listens) stops the start: the step in progress
// finishes, the rest is not run, what it opened is closed, and it rejects with shutting_down (start_stopped).
describe('server: a start-up stopped by its signal', () => {
  afterEach(() => {
    gate.open();
    gate.reset();
    sinon.restore();
  });

  it('during the start-up reconcile pass: the pass ends after its current transaction, the rest stay pending', async () => {
    const config = parseServerConfig(raw, fixturesDir, {});
    const store = new MemoryLedgerStore();
    // Three charges a crash left pending an hour ago (old enough for the start-up pass).
    const manager = await PluginManager.create({ plugins: config.plugins, pluginBaseDir: config.baseDir, config: config.host, logger: silent });
    const crashing = new PaymentService({ manager, store, logger: silent, clock: () => new Date(Date.now() - 3_600_000), faults: { 'after-pending': () => { throw new Error('crash'); } } });
    for (const n of [1, 2, 3]) await crashing.pay({ idempotencyKey: `start-abort-${n}`, channel: 'web', total: '7.00', currency: 'USD', token: 'tok' }).catch(() => undefined);
    await manager.close();
    const crashed = (await store.listPendingTransactions()).map((t) => t.id);
    expect(crashed).to.have.length(3);
    const closeStore = sinon.spy(store, 'close');

    const stop = new AbortController();
    const starting = createServer(config, { logger: silent, store: { store, kind: 'memory' }, signal: stop.signal });
    const outcome = starting.then(() => null, (err: unknown) => err);
    await gate.asks(1);
    stop.abort();
    gate.open();
    const err = await outcome;
    expect(isStartStopped(err), String(err)).to.equal(true);
    expect(err).to.have.property('code', 'shutting_down');
    expect(gate.asked).to.deep.equal([crashed[0]]);
    expect((await store.listPendingTransactions()).filter((t) => t.state === 'pending').map((t) => t.id)).to.deep.equal(crashed.slice(1));
    // A store the caller gave is the caller's to close.
    expect(closeStore.called).to.equal(false);
  });

  it('aborted before it starts: nothing is run, shutting_down (start_stopped)', async () => {
    const store = new MemoryLedgerStore();
    const list = sinon.spy(store, 'listPendingTransactions');
    const err = await createServer(parseServerConfig(raw, fixturesDir, {}), { logger: silent, store: { store, kind: 'memory' }, signal: AbortSignal.abort() }).then(() => null, (e: unknown) => e);
    expect(isStartStopped(err), String(err)).to.equal(true);
    expect(list.called, 'the start-up pass ran').to.equal(false);
  });
});
