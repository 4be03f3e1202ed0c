import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { signRazorpayWebhook } from '@payhost/testkit/razorpay';
import { ADMIN_KEY, PAYMENT_KEY, startServer, type TestServer } from './support/harness.js';

/**
 * The review's reproduction: admin A reads the Razorpay form (key_secret ****1111), admin B saves new
 * secrets (****5555), A sends the stale form back whole, without If-Match. Before, "****1111" was saved as
 * the key secret (200; a read showed "****", so nobody noticed) and Razorpay calls and webhooks then failed.
 */

const RAZORPAY = '/admin/channels/in-store/plugins/payhost.razorpay';
const WEBHOOK = '/plugins/channel/in-store/payhost.razorpay/webhook';
const KEY_SECRET_A = 'rzpKeySecretFirst1111';
const WEBHOOK_SECRET_A = 'rzpWebhookFirst2222';
const KEY_SECRET_B = 'rzpKeySecretSecond5555';
const WEBHOOK_SECRET_B = 'rzpWebhookSecond6666';

function document(): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'debug', checkout: false },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-razorpay'],
    channels: [
      {
        slug: 'in-store',
        currencies: ['INR'],
        plugins: {
          'payhost.razorpay': {
            active: true,
            configuration: { key_id: 'rzp_test_staleMaskKey', key_secret: KEY_SECRET_A, webhook_secret: WEBHOOK_SECRET_A, supported_currencies: 'INR' },
          },
        },
      },
    ],
  };
}

describe('admin API: a stale form sent back whole does not overwrite secrets with their old mask', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer(document(), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  afterEach(() => t.close());

  const stored = () => t.server.manager.config.channels[0]?.plugins['payhost.razorpay']?.configuration;
  /** An event this plugin does not apply, signed with `secret`: 200 when it is the stored webhook secret, 401 otherwise. */
  const deliver = (secret: string) => {
    const delivery = signRazorpayWebhook({ event: 'account.updated', created_at: Math.floor(Date.now() / 1000), payload: {} }, secret, 'evt_stale_mask');
    return t.request('POST', WEBHOOK, { key: null, raw: delivery.rawBody.toString('utf8'), headers: delivery.headers });
  };

  it('refuses the stale form (400 invalid_configuration, reason stale_mask), saves nothing: B\'s secrets stay, read back and in use', async () => {
    const formA = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    expect(formA.body.configuration).to.include({ key_secret: '****1111', webhook_secret: '****2222' });

    const formB = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    const putB = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, body: { active: true, configuration: { ...formB.body.configuration, key_secret: KEY_SECRET_B, webhook_secret: WEBHOOK_SECRET_B } } });
    expect(putB.status).to.equal(200);
    expect(putB.body.configuration).to.include({ key_secret: '****5555', webhook_secret: '****6666' });

    const putA = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, body: { active: true, configuration: { ...formA.body.configuration, checkout_name: 'Shop A' } } });
    expect(putA.status).to.equal(400);
    expect(putA.body.code).to.equal('invalid_configuration');
    expect(putA.body.details).to.deep.include({ plugin: 'payhost.razorpay', channel: 'in-store', reason: 'stale_mask', fields: ['key_secret', 'webhook_secret'] });
    expect(putA.body.message).to.include('"key_secret" holds a masked value').and.to.include('****5555');
    for (const secret of [KEY_SECRET_A, KEY_SECRET_B, WEBHOOK_SECRET_A, WEBHOOK_SECRET_B]) expect(putA.text).not.to.include(secret);

    const after = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    expect(after.body.configuration).to.include({ key_secret: '****5555', webhook_secret: '****6666', checkout_name: null });
    expect(stored()).to.include({ key_secret: KEY_SECRET_B, webhook_secret: WEBHOOK_SECRET_B });
    // The plugin still verifies webhooks with B's secret (a mask saved as the secret would refuse them).
    expect((await deliver(WEBHOOK_SECRET_B)).status).to.equal(200);
    expect((await deliver(WEBHOOK_SECRET_A)).status).to.equal(401);

    // Reloaded and sent back unchanged, the same change is taken and the secrets kept.
    const reloaded = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, body: { active: true, configuration: { ...after.body.configuration, checkout_name: 'Shop A' } } });
    expect(reloaded.status).to.equal(200);
    expect(stored()).to.include({ key_secret: KEY_SECRET_B, webhook_secret: WEBHOOK_SECRET_B, checkout_name: 'Shop A' });
  });
});
