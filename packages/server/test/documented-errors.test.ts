import { connect } from 'node:net';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, startTestServer, type TestServer } from './support/harness.js';

/**
 * Answers that never reach a route's handler: the errors a body can cause on a route without a body
 * schema (a DELETE), the webhook routes' refusals, and requests Node's HTTP parser refuses. Each is in
 * the OpenAPI document where it can happen, and in the `{ code, message }` shape.
 */

type Responses = Record<string, { description?: string }>;

/** Sends raw bytes and reads until the server closes the connection. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe('server: errors answered before a handler, documented and in the API shape', () => {
  let t: TestServer;
  let paths: Record<string, Record<string, { responses: Responses }>>;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
    paths = (await t.request('GET', '/openapi.json', { key: null })).body.paths;
  });
  after(() => t.close());

  it('DELETE of a plugin configuration lists 413 and 415, and answers them to a body it does not take', async () => {
    const path = '/admin/channels/us-store/plugins/payhost.dummy';
    expect(Object.keys(paths['/admin/channels/{channel}/plugins/{plugin}']!['delete']!.responses)).to.include.members(['413', '415']);
    const text = await t.request('DELETE', path, { key: ADMIN_KEY, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).to.equal(415);
    expect(text.body).to.include({ code: 'unsupported_media_type' });
    const large = await t.request('DELETE', path, { key: ADMIN_KEY, raw: JSON.stringify({ pad: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } });
    expect(large.status).to.equal(413);
    expect(large.body).to.include({ code: 'payload_too_large' });
    // GET routes still leave them out: no body is read.
    expect(Object.keys(paths['/admin/channels/{channel}/plugins/{plugin}']!['get']!.responses)).to.not.include.members(['413', '415']);
  });

  it("webhook routes list the server's refusals beside the plugin's own answer, and answer an unknown plugin 404", async () => {
    for (const path of ['/plugins/channel/{channel}/{plugin}/{subpath}', '/plugins/global/{plugin}/{subpath}']) {
      const responses = paths[path]!['post']!.responses;
      expect(Object.keys(responses), path).to.include.members(['200', '404', '413', '503']);
      expect(responses['404']!.description).to.match(/unknown_plugin/);
    }
    const unknown = await t.request('POST', '/plugins/channel/us-store/no.such-plugin/webhook', { key: null, raw: '{}', headers: { 'content-type': 'application/json' } });
    expect(unknown.status).to.equal(404);
    expect(unknown.body).to.include({ code: 'unknown_plugin' });
  });

  it('headers over the limit: 431 headers_too_large as { code, message }, and the connection is closed', async () => {
    const answer = parseRaw(await rawExchange(t.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).to.equal(431);
    expect(answer.headers).to.include('content-type: application/json');
    expect(answer.headers).to.include('connection: close');
    expect(answer.body).to.deep.equal({ code: 'headers_too_large', message: 'The request headers are too large' });
  });

  it('a malformed request: 400 invalid_input as { code, message }', async () => {
    const answer = parseRaw(await rawExchange(t.url, 'GET /health HTTP/1.1\r\nHost x\r\n\r\n'));
    expect(answer.status).to.equal(400);
    expect(answer.body).to.deep.equal({ code: 'invalid_input', message: 'Malformed HTTP request' });
  });
});
