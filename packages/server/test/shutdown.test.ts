import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger, MemoryLedgerStore, PaymentService } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';
import { fixturesDir } from './support/harness.js';
// @ts-expect-error: a plain-JS fixture plugin, without types
import { SlowStatusGateway } from './fixtures/slow-status.mjs';

const PAYMENT_KEY = 'shutdown-payment-key-0123456789';
const gate = SlowStatusGateway.gate as { asked: string[]; asks(count: number): Promise<void>; open(): void; reset(): void };

/** POST /payments on a fresh connection: its status, or the connection error's code (ECONNREFUSED). */
function newPayment(url: string, idempotencyKey: string): Promise<number | string> {
  const body = JSON.stringify({ channel: 'web', amount: '5.00', currency: 'USD', token: 'tok' });
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}/payments`,
      { method: 'POST', agent: false, headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body);
  });
}

describe('server: graceful shutdown during a reconcile pass', () => {
  let server: PayhostServer | null = null;
  afterEach(async () => {
    gate.open();
    sinon.restore();
    await server?.close();
    server = null;
    gate.reset();
  });

  it('stops accepting at once, ends the pass after the transaction in progress (the rest stay pending), then closes the store', async () => {
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    const config = parseServerConfig(
      {
        server: { host: '127.0.0.1', port: 0, checkout: false, hookTimeoutMs: 10_000, reconcileIntervalMs: 100 },
        auth: { adminApiKey: 'shutdown-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
        plugins: ['./slow-status.mjs'],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.slow-status': { active: true } } }],
      },
      fixturesDir,
      {},
    );
    const store = new MemoryLedgerStore();
    // The passes see nothing until the crashed transactions are all there (one pass takes them all).
    let armed = false;
    const list = store.listPendingTransactions.bind(store);
    sinon.stub(store, 'listPendingTransactions').callsFake(async (options) => (armed ? list(options) : []));
    const events: string[] = [];
    const closeStore = store.close.bind(store);
    sinon.stub(store, 'close').callsFake(async () => {
      events.push('store closed');
      await closeStore();
    });
    server = await createServer(config, { logger, store: { store, kind: 'memory' } });
    const url = await server.listen();
    expect(await newPayment(url, 'shutdown-before-1')).to.equal(201);

    // Three charges a crash left pending an hour ago (old enough for the server's passes).
    const hourAgo = () => new Date(Date.now() - 3_600_000);
    const crashing = new PaymentService({ manager: server.manager, store, clock: hourAgo, faults: { 'after-pending': () => { throw new Error('crash'); } } });
    for (const n of [1, 2, 3]) await crashing.pay({ idempotencyKey: `shutdown-crashed-${n}`, channel: 'web', total: '7.00', currency: 'USD', token: 'tok' }).catch(() => undefined);
    const crashed = (await list()).map((t) => t.id);
    expect(crashed).to.have.length(3);
    armed = true;
    await gate.asks(1); // a periodic pass is asking the gateway about the first one, and waits

    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // No new payment is taken (before the fix: 201, charged while the pass ran).
    // (Answered while the pass is still waiting for the gateway: the gate opens only below.)
    expect(await newPayment(url, 'shutdown-after-1')).to.be.oneOf(['ECONNREFUSED', 503]);
    expect(events).to.deep.equal([]); // the pass still writes: the store stays open

    setTimeout(() => {
      events.push('status answered');
      gate.open();
    }, 200);
    await closing;
    server = null;
    // Only the transaction in progress was asked about; it was finished (held for review), the others left pending.
    expect(gate.asked).to.deep.equal([crashed[0]]);
    expect(events).to.deep.equal(['status answered', 'store closed']);
    const report = logs.map((line) => JSON.parse(line) as { msg: string; report?: { skipped: string[]; review: string[] } }).find((l) => l.msg === 'reconciled pending transactions until shutdown');
    expect(report?.report).to.deep.include({ review: [crashed[0]], skipped: crashed.slice(1) });
  });
});
