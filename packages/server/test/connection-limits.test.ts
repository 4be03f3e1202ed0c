import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { startServer, type TestServer } from './support/harness.js';

const PAYMENT_KEY = 'limits-payment-key-0123456789';
const REQUEST_TIMEOUT_MS = 500;

/** A server whose charges take `delayMs` (the slow-charge fixture) and with the given server settings. */
function startLimited(server: Record<string, unknown>, delayMs = 0): Promise<TestServer> {
  return startServer(
    {
      server: { host: '127.0.0.1', port: 0, checkout: false, logLevel: 'debug', hookTimeoutMs: 10_000, requestTimeoutMs: REQUEST_TIMEOUT_MS, ...server },
      auth: { adminApiKey: 'limits-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
      plugins: ['./slow-charge.mjs'],
      channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.slow-charge': { active: true, configuration: { delay_ms: String(delayMs) } } } }],
    },
    {},
    { store: new MemoryLedgerStore(), kind: 'memory' },
  );
}

interface Raw {
  socket: Socket;
  /** Everything the server sent, and how long after connecting it closed the connection. */
  closed: Promise<{ text: string; afterMs: number }>;
  /** Resolves once the server has sent `count` complete responses (by their status lines). */
  responses(count: number): Promise<void>;
}

/** Every raw connection a test opened: destroyed after it, so a failed test leaves none to hold the server's close. */
const opened: Socket[] = [];

/** A raw connection to the server, so a test can send part of a request and stop. */
function rawConnection(url: string): Promise<Raw> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  opened.push(socket);
  const started = Date.now();
  let text = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    const seen = text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
    for (const waiter of waiters.filter((w) => seen >= w.count && /\r\n\r\n[^]*\}$/.test(text))) waiter.resolve();
  });
  // A connection the server refused may be reset rather than ended.
  socket.on('error', () => {});
  const closed = new Promise<{ text: string; afterMs: number }>((resolve) => socket.once('close', () => resolve({ text, afterMs: Date.now() - started })));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, closed, responses: (count) => new Promise((done) => waiters.push({ count, resolve: done })) }));
    socket.once('error', reject);
  });
}

/** The JSON body of the last response in `text`. */
function lastBody(text: string): unknown {
  return JSON.parse(text.slice(text.lastIndexOf('\r\n\r\n') + 4));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the server counts `count` open connections; fails if it does not within 5 s. */
async function openConnectionsReach(t: TestServer, count: number): Promise<void> {
  const server = t.server.app.server;
  const open = () => new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
  for (let polls = 0; polls < 500; polls += 1) {
    if ((await open()) === count) return;
    await sleep(10);
  }
  expect(await open(), 'open connections the server counts').to.equal(count);
}

/** Node looks for expired requests every requestTimeoutMs / 4 (here 125 ms); the rest is scheduling slack. */
/**
 * Generous on purpose (a loaded machine is slow, never fast): what matters is that requestTimeoutMs closed the
 * connection (the 408, at least REQUEST_TIMEOUT_MS after), not something else, and the only other thing that would
 * close it here is Node's headersTimeout, a minute.
 */
const CLOSED_WITHIN_MS = 10_000;

describe('server: connection limits (requestTimeoutMs, keepAliveTimeoutMs, maxConnections)', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.destroy();
    await t?.close();
    t = null;
  });

  it('closes the connection with a 401 answered before the body arrived: one answer, not a 401 and later a 408', async () => {
    t = await startLimited({ requestTimeoutMs: 10_000 });
    const raw = await rawConnection(t.url);
    raw.socket.write('POST /payments HTTP/1.1\r\nHost: payhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const { text, afterMs } = await raw.closed;
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 401 ']);
    expect(text).to.match(/\r\nconnection: close\r\n/i);
    expect((lastBody(text) as { code: string }).code).to.equal('unauthorized');
    expect(afterMs, 'closed with the 401, not at requestTimeoutMs').to.be.below(5_000);
  });

  it('answers 408 request_timeout and closes a connection whose body stalls (Content-Length 1000, one byte sent)', async () => {
    t = await startLimited({});
    const raw = await rawConnection(t.url);
    raw.socket.write(`POST /payments HTTP/1.1\r\nHost: payhost\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const { text, afterMs } = await raw.closed;
    expect(text).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(lastBody(text)).to.deep.equal({ code: 'request_timeout', message: 'The request was not received in time' });
    expect(afterMs).to.be.at.least(REQUEST_TIMEOUT_MS - 50).and.below(CLOSED_WITHIN_MS);
  });

  it('counts the whole request: a body dripped a byte every 100 ms, or headers dripped, are cut at requestTimeoutMs', async () => {
    t = await startLimited({});
    const body = await rawConnection(t.url);
    body.socket.write(`POST /payments HTTP/1.1\r\nHost: payhost\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    const headers = await rawConnection(t.url);
    const drip = setInterval(() => {
      if (!body.socket.destroyed) body.socket.write(' ');
      if (!headers.socket.destroyed) headers.socket.write('X');
    }, 100);
    headers.socket.write('POST /payments HTTP/1.1\r\nHost: payhost\r\nX-Slow: ');
    try {
      for (const raw of [body, headers]) {
        const { text, afterMs } = await raw.closed;
        expect(text).to.match(/^HTTP\/1\.1 408 /);
        expect(lastBody(text)).to.deep.include({ code: 'request_timeout' });
        expect(afterMs).to.be.below(CLOSED_WITHIN_MS);
      }
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection that sends nothing at all within requestTimeoutMs', async () => {
    t = await startLimited({});
    const raw = await rawConnection(t.url);
    const { afterMs } = await raw.closed;
    expect(afterMs).to.be.at.least(REQUEST_TIMEOUT_MS - 50).and.below(CLOSED_WITHIN_MS);
  });

  it('still answers a payment whose gateway call takes longer than requestTimeoutMs (the request had been received)', async () => {
    t = await startLimited({}, 3 * REQUEST_TIMEOUT_MS);
    const started = Date.now();
    const res = await t.request('POST', '/payments', {
      key: PAYMENT_KEY,
      idempotencyKey: `slow-${Date.now()}`,
      body: { channel: 'web', amount: '5.00', currency: 'USD', token: 'tok', gateway: 'test.slow-charge' },
    });
    expect(Date.now() - started).to.be.at.least(3 * REQUEST_TIMEOUT_MS - 50);
    expect(res.status, res.text).to.equal(201);
    expect(res.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '5.00' });
  });

  it('closes a kept-alive connection idle for keepAliveTimeoutMs, and times the next request on it afresh', async () => {
    t = await startLimited({ keepAliveTimeoutMs: 1000 });
    const idle = await rawConnection(t.url);
    idle.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    await idle.responses(1);
    const answeredAt = Date.now();
    await idle.closed;
    // Node waits a second longer than keepAliveTimeout (so a client told `Keep-Alive: timeout=1` never races it).
    expect(Date.now() - answeredAt).to.be.at.least(950).and.below(CLOSED_WITHIN_MS);

    // A second request on a kept-alive connection that then stalls is cut as the first would be.
    const reused = await rawConnection(t.url);
    reused.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    await reused.responses(1);
    const stalledAt = Date.now();
    reused.socket.write(`POST /payments HTTP/1.1\r\nHost: payhost\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const { text } = await reused.closed;
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 200 ', 'HTTP/1.1 408 ']);
    expect(Date.now() - stalledAt).to.be.below(CLOSED_WITHIN_MS);
  });

  it('refuses connections past maxConnections at once, and takes new ones when some close', async () => {
    // A request timeout far longer than the wait allowed below: a connection past the cap is closed at once, not timed out.
    t = await startLimited({ maxConnections: 2, requestTimeoutMs: 60_000 });
    const held = [await rawConnection(t.url), await rawConnection(t.url)];
    // Both are the server's (each answered), kept alive.
    for (const raw of held) raw.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    await Promise.all(held.map((raw) => raw.responses(1)));

    const extra = await rawConnection(t.url);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    const refused = await extra.closed;
    expect(refused.text, 'no answer on a connection past the cap').to.equal('');
    expect(refused.afterMs).to.be.below(CLOSED_WITHIN_MS);
    // A second one is refused too; the log says so once (a flood would otherwise fill it).
    expect((await (await rawConnection(t.url)).closed).text).to.equal('');
    const warnings = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['maxConnections'] !== undefined);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 40, maxConnections: 2, msg: 'server.maxConnections reached: new connections are closed unanswered' });

    held[0]?.socket.destroy();
    await held[0]?.closed;
    // The server sees that close a moment after the client does: wait until it counts one connection.
    await openConnectionsReach(t, 1);
    const res = await t.request('GET', '/health');
    expect(res.status).to.equal(200);
    held[1]?.socket.destroy();
  });
});
