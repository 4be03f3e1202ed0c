import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { key, signWebhook, startTestServer, type TestServer } from './support/harness.js';

/**
 * A request's log lines name its URL with the query values redacted: a caller (or a processor calling a
 * webhook) may put a key or a token in the query string, and the whole URL was logged as it came
 * ("incoming request", req.url).
 */
describe('server: request log lines redact the query string', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  /** The `req.url` of the "incoming request" lines written since `from`. */
  const loggedUrls = (from: number): string[] =>
    t.logs
      .slice(from)
      .map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string } })
      .filter((line) => line.msg === 'incoming request')
      .map((line) => line.req?.url ?? '');

  it('a payment API request: the path and parameter names are kept, each value is [redacted]', async () => {
    const from = t.logs.length;
    const res = await t.request('POST', '/payments?api_key=QUERYSECRET123&mode=live%20QUERYSECRET456&&BARETOKEN789', {
      body: { channel: 'us-store', gateway: 'payhost.dummy', currency: 'USD', amount: '1.00', token: 'tok_ok', action: 'authorize' },
      idempotencyKey: key(),
    });
    expect(res.status).to.be.below(500);
    expect(loggedUrls(from)).to.deep.equal(['/payments?api_key=[redacted]&mode=[redacted]&&[redacted]']);
    const written = t.logs.slice(from).join('\n');
    for (const secret of ['QUERYSECRET123', 'QUERYSECRET456', 'BARETOKEN789']) expect(written).not.to.include(secret);
  });

  it('a plugin webhook and an unrouted or unauthenticated request: no query value in any line', async () => {
    const from = t.logs.length;
    const body = JSON.stringify({ id: 'evt-query-secret', amount: '1.00', currency: 'USD' });
    await t.request('POST', '/plugins/channel/us-store/test.signed/webhook?token=WEBHOOKSECRET321', {
      key: null,
      raw: body,
      headers: { 'content-type': 'application/json', 'x-test-signature': signWebhook(body) },
    });
    await t.request('GET', '/nowhere?access_token=UNROUTEDSECRET654');
    await t.request('GET', '/payments/00000000-0000-4000-8000-000000000000?key=NOKEYSECRET987', { key: null });
    expect(loggedUrls(from)).to.deep.equal([
      '/plugins/channel/us-store/test.signed/webhook?token=[redacted]',
      '/nowhere?access_token=[redacted]',
      '/payments/00000000-0000-4000-8000-000000000000?key=[redacted]',
    ]);
    const written = t.logs.slice(from).join('\n');
    for (const secret of ['WEBHOOKSECRET321', 'UNROUTEDSECRET654', 'NOKEYSECRET987']) expect(written).not.to.include(secret);
  });

  it('a URL without a query string is logged as it came', async () => {
    const from = t.logs.length;
    await t.request('GET', '/health');
    expect(loggedUrls(from)).to.deep.equal(['/health']);
  });
});
