import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { DUMMY_TOKENS } from '@payhost/plugin-dummy';
import { key, startServer, startTestServer, testConfigDocument, type TestServer } from './support/harness.js';
// @ts-expect-error: a plain-JS fixture plugin, without types
import { GatedChargeGateway } from './fixtures/gated-charge.mjs';

const gate = GatedChargeGateway.gate as { firstCharge(): Promise<string>; open(): void };

/**
 * Retry-After on the refusals that clear by themselves (http-errors.ts, retryAfterSeconds): 503
 * shutting_down (1 s), 503 store_unavailable (5 s), 409 payment_busy (1 s), none on a payment_busy that
 * waiting does not clear (held_for_review). And the OpenAPI document declares the header there.
 */
describe('server: Retry-After on 503 shutting_down, 503 store_unavailable and 409 payment_busy', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    gate.open();
    await t?.close();
    t = null;
  });

  it('503 shutting_down: a request whose headers complete once the server is closing', async () => {
    const test = (t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' }));
    const { port } = new URL(test.url);
    const accepted = new Promise<Socket>((resolve) => test.server.app.server.once('connection', resolve));
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Half its headers arrive before the shutdown: the connection is busy with a request, so not closed as idle.
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const serverSide = await accepted;
    for (let polls = 0; polls < 10_000 && serverSide.bytesRead === 0; polls++) await new Promise((resolve) => setImmediate(resolve));
    const closing = test.close();
    t = null;
    while (test.server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    socket.write('\r\n');
    await ended;
    await closing;
    expect(received).to.match(/^HTTP\/1\.1 503 /);
    expect(received).to.match(/\r\nretry-after: 1\r\n/i);
    expect(received).to.include('"code":"shutting_down"');
  });

  it('503 store_unavailable (a closed store): Retry-After 5, on a read and on readiness', async () => {
    const store = new MemoryLedgerStore();
    const test = (t = await startTestServer({ store, kind: 'memory' }));
    await store.close();
    const read = await test.request('GET', '/payments/00000000-0000-4000-8000-000000000000');
    expect([read.status, read.body.code], read.text).to.deep.equal([503, 'store_unavailable']);
    expect(read.headers.get('retry-after')).to.equal('5');
    const ready = await test.request('GET', '/health/ready', { key: null });
    expect([ready.status, ready.headers.get('retry-after')]).to.deep.equal([503, '5']);
  });

  it('409 payment_busy while another operation is in flight: Retry-After 1; held for review: none', async () => {
    const document = testConfigDocument();
    const test = (t = await startServer(
      {
        ...document,
        plugins: [...(document['plugins'] as string[]), './gated-charge.mjs'],
        channels: [...(document['channels'] as object[]), { slug: 'gated', currencies: ['USD'], plugins: { 'test.gated-charge': { active: true } } }],
      },
      {},
      { store: new MemoryLedgerStore(), kind: 'memory' },
    ));
    const paying = test.request('POST', '/payments', { body: { channel: 'gated', amount: '5.00', currency: 'USD', token: 'tok' }, idempotencyKey: key('gated') });
    const paymentId = await gate.firstCharge();
    const busy = await test.request('POST', `/payments/${paymentId}/void`, { idempotencyKey: key('void') });
    expect([busy.status, busy.body.code, busy.body.details?.reason], busy.text).to.deep.equal([409, 'payment_busy', 'operation_in_progress']);
    expect(busy.headers.get('retry-after')).to.equal('1');
    gate.open();
    expect((await paying).status).to.equal(201);

    const lost = await test.request('POST', '/payments', { body: { channel: 'us-store', currency: 'USD', amount: '25.00', token: DUMMY_TOKENS.outcomeUnknownCharged }, idempotencyKey: key('lost') });
    expect(lost.body.code, lost.text).to.equal('outcome_unknown');
    const held = await test.request('POST', `/payments/${lost.body.details.paymentId as string}/void`, { idempotencyKey: key('void') });
    expect([held.status, held.body.code, held.body.details?.reason], held.text).to.deep.equal([409, 'payment_busy', 'held_for_review']);
    expect(held.headers.get('retry-after')).to.equal(null);
  });

  it('the OpenAPI document declares Retry-After on 503 and on a 409 that can be payment_busy, not on transaction_not_in_review', async () => {
    const test = (t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' }));
    const { paths } = (await test.request('GET', '/openapi.json', { key: null })).body as { paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>> };
    const capture = paths['/payments/{id}/capture']!['post']!.responses;
    expect(Object.keys(capture['503']!.headers ?? {})).to.deep.equal(['Retry-After']);
    expect(Object.keys(capture['409']!.headers ?? {})).to.deep.equal(['Retry-After']);
    expect(Object.keys(paths['/health/ready']!['get']!.responses['503']!.headers ?? {})).to.deep.equal(['Retry-After']);
    expect(paths['/admin/review/{transactionId}']!['post']!.responses['409']!.headers).to.equal(undefined);
  });
});
