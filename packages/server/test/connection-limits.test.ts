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
  /** Everything the server sent, once the connection closed. */
  closed: Promise<{ text: string }>;
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
  let text = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    const seen = text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
    for (const waiter of waiters.filter((w) => seen >= w.count && /\r\n\r\n[^]*\}$/.test(text))) waiter.resolve();
  });
  // A connection the server refused may be reset rather than ended.
  socket.on('error', () => {});
  const closed = new Promise<{ text: string }>((resolve) => socket.once('close', () => resolve({ text })));
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

/**
 * A hang guard, not a measure: generous (a loaded machine is slow), and shorter than every other thing that
 * would close a connection in these tests (Node's headersTimeout is requestTimeoutMs; the tests that must not
 * be cut by it set it to a minute), so a close seen within it was made by the mechanism the test names.
 */
const HANG_GUARD_MS = 15_000;

/** What the server sent before it closed the connection; fails the test when it is still open after HANG_GUARD_MS. */
async function closedBy(raw: Raw, what: string): Promise<{ text: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not close the connection (${what}) within the ${HANG_GUARD_MS} ms hang guard`)), HANG_GUARD_MS);
  });
  try {
    return await Promise.race([raw.closed, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the slow-charge fixture waits on when set (test/fixtures/slow-charge.mjs). */
const GATE = Symbol.for('payhost.test.slow-charge.gate');
type Gate = { reached: () => void; released: Promise<void> };

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

describe('server: connection limits (requestTimeoutMs, keepAliveTimeoutMs, maxConnections)', function () {
  this.timeout(40_000);
  let t: TestServer | null = null;
  afterEach(async () => {
    delete (globalThis as Record<symbol, unknown>)[GATE];
    for (const socket of opened.splice(0)) socket.destroy();
    await t?.close();
    t = null;
  });

  it('closes the connection with a 401 answered before the body arrived: one answer, not a 401 and later a 408', async () => {
    // requestTimeoutMs (and so headersTimeout) a minute, past the hang guard: only the 401 can close it in time.
    t = await startLimited({ requestTimeoutMs: 60_000 });
    const raw = await rawConnection(t.url);
    raw.socket.write('POST /payments HTTP/1.1\r\nHost: payhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const { text } = await closedBy(raw, 'the 401');
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 401 ']);
    expect(text).to.match(/\r\nconnection: close\r\n/i);
    expect((lastBody(text) as { code: string }).code).to.equal('unauthorized');
  });

  it('answers 408 request_timeout and closes a connection whose body stalls (Content-Length 1000, one byte sent)', async () => {
    t = await startLimited({});
    const raw = await rawConnection(t.url);
    raw.socket.write(`POST /payments HTTP/1.1\r\nHost: payhost\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    // The 408 request_timeout is Node's ERR_HTTP_REQUEST_TIMEOUT: requestTimeoutMs closed it, nothing else.
    const { text } = await closedBy(raw, 'requestTimeoutMs');
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 408 ']);
    expect(text).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(lastBody(text)).to.deep.equal({ code: 'request_timeout', message: 'The request was not received in time' });
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
        // Still dripping when closed (the interval runs until after both closed): cut by requestTimeoutMs.
        const { text } = await closedBy(raw, 'requestTimeoutMs, while dripping');
        expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 408 ']);
        expect(lastBody(text)).to.deep.include({ code: 'request_timeout' });
      }
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection that sends nothing at all within requestTimeoutMs', async () => {
    t = await startLimited({});
    const raw = await rawConnection(t.url);
    const { text } = await closedBy(raw, 'requestTimeoutMs, nothing sent');
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 408 ']);
    expect(lastBody(text)).to.deep.include({ code: 'request_timeout' });
  });

  it('still answers a payment whose gateway call takes longer than requestTimeoutMs (the request had been received)', async () => {
    // The charge waits at a gate rather than for a time: it is held until requestTimeoutMs has certainly passed.
    let reached!: () => void;
    let release!: () => void;
    const charging = new Promise<void>((resolve) => (reached = resolve));
    const gate: Gate = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
    (globalThis as Record<symbol, unknown>)[GATE] = gate;
    t = await startLimited({});
    const paying = t.request('POST', '/payments', {
      key: PAYMENT_KEY,
      idempotencyKey: `slow-${Date.now()}`,
      body: { channel: 'web', amount: '5.00', currency: 'USD', token: 'tok', gateway: 'test.slow-charge' },
    });
    await charging;
    // A connection opened after the payment request began (its charge is running) is cut by requestTimeoutMs:
    // the payment request is older than requestTimeoutMs, its charge still held.
    const clock = await rawConnection(t.url);
    expect((await closedBy(clock, 'requestTimeoutMs, nothing sent')).text).to.match(/^HTTP\/1\.1 408 /);
    release();
    const res = await paying;
    expect(res.status, res.text).to.equal(201);
    expect(res.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '5.00' });
  });

  it('closes a kept-alive connection idle for keepAliveTimeoutMs, and times the next request on it afresh', async () => {
    t = await startLimited({ keepAliveTimeoutMs: 1000 });
    const idle = await rawConnection(t.url);
    idle.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    const { text: idleText } = await closedBy(idle, 'keepAliveTimeoutMs');
    // Answered as a kept-alive connection told the configured timeout, then closed with nothing more sent: no
    // 408 (an idle kept-alive connection has no request for requestTimeoutMs to time), no `connection: close`.
    expect(idleText.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 200 ']);
    expect(idleText).to.match(/\r\nconnection: keep-alive\r\n/i).and.match(/\r\nkeep-alive: timeout=1\r\n/i);
    expect(idleText).to.match(/\}$/);

    // A second request on a kept-alive connection that then stalls is cut as the first would be.
    const reused = await rawConnection(t.url);
    reused.socket.write('GET /health HTTP/1.1\r\nHost: payhost\r\n\r\n');
    await reused.responses(1);
    reused.socket.write(`POST /payments HTTP/1.1\r\nHost: payhost\r\nAuthorization: Bearer ${PAYMENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const { text } = await closedBy(reused, 'requestTimeoutMs, on the second request');
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).to.deep.equal(['HTTP/1.1 200 ', 'HTTP/1.1 408 ']);
    expect(lastBody(text)).to.deep.include({ code: 'request_timeout' });
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
    // Closed within the hang guard, long before the minute's requestTimeoutMs, and unanswered (a timeout answers 408).
    const refused = await closedBy(extra, 'maxConnections');
    expect(refused.text, 'no answer on a connection past the cap').to.equal('');
    // A second one is refused too; the log says so once (a flood would otherwise fill it).
    expect((await closedBy(await rawConnection(t.url), 'maxConnections, again')).text).to.equal('');
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
