import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, PAYMENT_KEY, startServer, type TestServer } from './support/harness.js';
// @ts-expect-error: a plain-JS fixture plugin, without types
import { HangingTokenGateway } from './fixtures/hanging-token.mjs';

const hanging = HangingTokenGateway as { asked: number; release(): void };

/**
 * A plugin call that does not settle within hookTimeoutMs, over HTTP: 504 plugin_timeout (http-errors.ts;
 * docs/errors.md). The client token is where the manager raises it directly: the plugin never answers until
 * the test releases it, so the timeout is what ends the request, however slow the machine.
 */
describe('server: a plugin that does not answer in time is 504 plugin_timeout', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    hanging.release();
    await t?.close();
    t = null;
  });

  it('POST client-token to a gateway whose getClientToken hangs past hookTimeoutMs', async () => {
    hanging.asked = 0;
    t = await startServer(
      {
        server: { host: '127.0.0.1', port: 0, checkout: false, logLevel: 'debug', hookTimeoutMs: 100 },
        auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
        plugins: ['./hanging-token.mjs'],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.hanging-token': { active: true } } }],
      },
      {},
      { store: new MemoryLedgerStore(), kind: 'memory' },
    );
    const answer = await t.request('POST', '/channels/web/gateways/test.hanging-token/client-token', { body: { amount: '5.00', currency: 'USD' } });
    expect(hanging.asked).to.equal(1);
    expect(answer.status).to.equal(504);
    expect(answer.body).to.deep.equal({
      code: 'plugin_timeout',
      message: 'Gateway "test.hanging-token" did not answer in time for a client token',
      details: { gateway: 'test.hanging-token' },
    });
    // The operator's line names the plugin, channel and hook (docs/troubleshooting.md).
    const logged = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['code'] === 'plugin_timeout');
    expect(logged).to.have.length(1);
    expect(logged[0]).to.include({ plugin: 'test.hanging-token', channel: 'web', hook: 'getClientToken', reason: 'timeout' });
  });
});
