import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger, MemoryLedgerStore, PaymentService } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';
import { fixturesDir, PAYMENT_KEY as HARNESS_PAYMENT_KEY, startTestServer } from './support/harness.js';
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

/** Resolves once `condition()` holds; fails naming `what` if it does not within 5 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let polls = 0; polls < 1_000 && !condition(); polls += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition(), `never: ${what}`).to.equal(true);
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

    // The HTTP side's close, seen from here: it ends while the pass still waits for the gateway.
    const app = server.app;
    const closeApp = app.close.bind(app);
    let httpClosed: Promise<unknown> | undefined;
    // (fastify's close() without a callback is its promise; sinon types the stub by the callback form.)
    sinon.stub(app, 'close').callsFake((() => (httpClosed = closeApp())) as unknown as typeof app.close);
    const closing = server.close();
    await until(() => !app.server.listening, 'the server stops listening');
    // No new payment is taken (before the fix: 201, charged while the pass ran).
    // (Answered while the pass is still waiting for the gateway: the gate opens only below.)
    expect(await newPayment(url, 'shutdown-after-1')).to.be.oneOf(['ECONNREFUSED', 503]);
    expect(httpClosed, 'server.close() closes the HTTP side').to.be.instanceOf(Promise);
    await httpClosed;
    expect(events).to.deep.equal([]); // HTTP closed, but the pass still writes: the store stays open

    events.push('status answered');
    gate.open();
    await closing;
    server = null;
    // Only the transaction in progress was asked about; it was finished (held for review), the others left pending.
    expect(gate.asked).to.deep.equal([crashed[0]]);
    expect(events).to.deep.equal(['status answered', 'store closed']);
    const report = logs.map((line) => JSON.parse(line) as { msg: string; sample?: { skipped: string[]; review: string[] } }).find((l) => l.msg === 'reconciled pending transactions until shutdown');
    expect(report?.sample).to.deep.include({ review: [crashed[0]], skipped: crashed.slice(1) });
  });
});

describe('server: a request that reaches a closing server', () => {
  afterEach(() => sinon.restore());
  it('pipelined behind one in flight, is not started: the one in flight finishes with Connection: close, which ends the connection', async () => {
    const store = new MemoryLedgerStore();
    sinon.stub(store, 'close').resolves(); // kept open, to read the ledger once the server has closed
    const test = await startTestServer({ store, kind: 'memory' });
    const { port } = new URL(test.url);
    const payment = (key: string, body: string, length = Buffer.byteLength(body)) =>
      `POST /payments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${HARNESS_PAYMENT_KEY}\r\n` +
      `Content-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${length}\r\n\r\n${body}`;
    const body = JSON.stringify({ channel: 'us-store', amount: '5.00', currency: 'USD', token: 'tok_dummy_success' });

    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // The first request is in flight (its body half sent) when the server starts closing.
    const arrived = new Promise((resolve) => test.server.app.server.once('request', resolve));
    socket.write(payment('closing-first-1', body.slice(0, 10), Buffer.byteLength(body)));
    await arrived;
    const closing = test.close();
    while (test.server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    // Its body completes, and a second payment is pipelined behind it on the same connection.
    socket.write(body.slice(10) + payment('closing-second-1', body));
    await ended;
    await closing;

    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).to.have.length(1);
    expect(answers[0]).to.match(/^HTTP\/1\.1 201 /);
    expect(answers[0]).to.match(/\r\nconnection: close\r\n/i);
    // Only the first payment was taken; the second key was never claimed.
    expect(await store.getIdempotencyRecord('closing-first-1')).to.not.equal(null);
    expect(await store.getIdempotencyRecord('closing-second-1')).to.equal(null);
  });

  it('answers the request in flight with Connection: close, so its kept-alive connection does not hold the shutdown until it times out', async () => {
    const test = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
    const { port } = new URL(test.url);
    const body = JSON.stringify({ channel: 'us-store', amount: '5.00', currency: 'USD', token: 'tok_dummy_success' });
    const head =
      `POST /payments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ${HARNESS_PAYMENT_KEY}\r\n` +
      `Content-Type: application/json\r\nIdempotency-Key: closing-alone-1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<string>((resolve) => socket.once('close', () => resolve('closed by the server')));
    const arrived = new Promise((resolve) => test.server.app.server.once('request', resolve));
    socket.write(head + body.slice(0, 10));
    await arrived;
    const closing = test.close();
    while (test.server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    socket.write(body.slice(10));
    // The server's keep-alive timeout is 72 s: without Connection: close the socket would stay open that long.
    const outcome = await Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('still open after 5 s'), 5_000))]);
    socket.destroy();
    await closing;
    expect(received).to.match(/^HTTP\/1\.1 201 /);
    expect(received).to.match(/\r\nconnection: close\r\n/i);
    expect(outcome).to.equal('closed by the server');
  });
});
