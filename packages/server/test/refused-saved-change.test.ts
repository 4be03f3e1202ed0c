import { expect } from 'chai';
import { MemoryLedgerStore, type LedgerStore } from '@payhost/core';
import { signRazorpayWebhook } from '@payhost/testkit/razorpay';
import { ADMIN_KEY, PAYMENT_KEY, startServer, type TestServer } from './support/harness.js';

/**
 * A saved change (admin API) an older version saved and this one refuses: request_timeout_ms 400000, now
 * bounded to 300000. At start it is skipped (the file's settings run). Before, GET answered ETag "0" (the
 * file's) and a PUT or DELETE with it got 412 (revision 0, now 1): nothing could mend or withdraw it; a PUT
 * without If-Match was made over the file's settings, losing the saved active:true and rotated secrets.
 */
const RAZORPAY = '/admin/channels/in-store/plugins/payhost.razorpay';
const WEBHOOK = '/plugins/channel/in-store/payhost.razorpay/webhook';
const FILE_KEY_SECRET = 'rzpKeySecretFile1111';
const FILE_WEBHOOK_SECRET = 'rzpWebhookFile2222';
const SAVED_KEY_SECRET = 'rzpKeySecretSaved5555';
const SAVED_WEBHOOK_SECRET = 'rzpWebhookSaved6666';

function document(): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'debug', checkout: false, pluginSettingsPollMs: 3_600_000 },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-razorpay'],
    channels: [
      {
        slug: 'in-store',
        currencies: ['INR'],
        plugins: {
          'payhost.razorpay': {
            active: false,
            configuration: { key_id: 'rzp_test_refusedSave', key_secret: FILE_KEY_SECRET, webhook_secret: FILE_WEBHOOK_SECRET, supported_currencies: 'INR' },
          },
        },
      },
    ],
  };
}

const saves = (store: LedgerStore) => (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);

describe('admin API: a saved change this version refuses can be mended or withdrawn', () => {
  let store: MemoryLedgerStore;
  let t: TestServer;
  beforeEach(async () => {
    store = new MemoryLedgerStore();
    // As an older version saved it: active, secrets rotated, a timeout above today's bound.
    await store.savePluginSettings!({
      plugin: 'payhost.razorpay',
      channel: 'in-store',
      settings: {
        active: true,
        configuration: { key_id: 'rzp_test_refusedSave', key_secret: SAVED_KEY_SECRET, webhook_secret: SAVED_WEBHOOK_SECRET, supported_currencies: 'INR', request_timeout_ms: '400000' },
      },
      now: new Date('2026-01-02T03:04:05.000Z'),
    });
    t = await startServer(document(), {}, { store, kind: 'memory' });
  });
  afterEach(() => t.close());

  const stored = () => t.server.manager.config.channels[0]?.plugins['payhost.razorpay'];
  const deliver = (secret: string) => {
    const delivery = signRazorpayWebhook({ event: 'account.updated', created_at: Math.floor(Date.now() / 1000), payload: {} }, secret, 'evt_refused_save');
    return t.request('POST', WEBHOOK, { key: null, raw: delivery.rawBody.toString('utf8'), headers: delivery.headers });
  };

  it('GET says the saved change is not in force, with its revision as the ETag; a PUT with it mending the timeout keeps active and the saved secrets, live', async () => {
    expect(stored()?.active).to.equal(false);
    const got = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    expect(got.status).to.equal(200);
    expect(got.headers.get('etag')).to.equal('"1"');
    expect(got.body.active).to.equal(false);
    expect(got.body.configuration).to.include({ key_secret: '****1111' });
    expect(got.body.savedChange).to.include({ revision: 1, inForce: false, reason: 'invalid_configuration' });
    expect(got.body.savedChange.message).to.include('request_timeout_ms');
    for (const secret of [SAVED_KEY_SECRET, SAVED_WEBHOOK_SECRET, FILE_KEY_SECRET]) expect(got.text).not.to.include(secret);

    const put = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, headers: { 'if-match': got.headers.get('etag') ?? '' }, body: { configuration: { request_timeout_ms: '300000' } } });
    expect(put.status, put.text).to.equal(200);
    expect(put.headers.get('etag')).to.equal('"2"');
    expect(put.body.active).to.equal(true);
    expect(put.body.configuration).to.include({ key_secret: '****5555', webhook_secret: '****6666', request_timeout_ms: '300000' });
    expect(put.body).not.to.have.property('savedChange');

    const latest = await saves(store);
    expect(latest.map((s) => s.revision)).to.deep.equal([2]);
    expect(latest[0]?.settings).to.deep.include({ active: true });
    expect(latest[0]?.settings?.configuration).to.include({ key_secret: SAVED_KEY_SECRET, webhook_secret: SAVED_WEBHOOK_SECRET, request_timeout_ms: '300000' });
    // Live on this instance: active, verifying webhooks with the saved secret, not the file's.
    expect(stored()).to.deep.include({ active: true });
    expect((await deliver(SAVED_WEBHOOK_SECRET)).status).to.equal(200);
    expect((await deliver(FILE_WEBHOOK_SECRET)).status).to.equal(401);
    const after = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    expect(after.headers.get('etag')).to.equal('"2"');
    expect(after.body).not.to.have.property('savedChange');
  });

  it('GET\'s savedChange carries the saved active and settings, secrets masked: that form sent back whole, the timeout mended, keeps the saved secrets', async () => {
    const got = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    const saved = got.body.savedChange;
    expect(saved.active).to.equal(true);
    expect(saved.configuration).to.deep.include({ key_id: 'rzp_test_refusedSave', key_secret: '****5555', webhook_secret: '****6666', request_timeout_ms: '400000' });
    for (const secret of [SAVED_KEY_SECRET, SAVED_WEBHOOK_SECRET, FILE_KEY_SECRET, FILE_WEBHOOK_SECRET]) expect(got.text).not.to.include(secret);

    // An admin screen shows savedChange's form and sends it back whole (the file's masks would be stale_mask).
    const form = { active: saved.active, configuration: { ...saved.configuration, request_timeout_ms: '300000' } };
    const put = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, headers: { 'if-match': got.headers.get('etag') ?? '' }, body: form });
    expect(put.status, put.text).to.equal(200);
    expect(put.body.active).to.equal(true);
    expect(put.body.configuration).to.include({ key_secret: '****5555', webhook_secret: '****6666', request_timeout_ms: '300000' });
    const latest = await saves(store);
    expect(latest.map((s) => s.revision)).to.deep.equal([2]);
    expect(latest[0]?.settings?.configuration).to.include({ key_secret: SAVED_KEY_SECRET, webhook_secret: SAVED_WEBHOOK_SECRET, request_timeout_ms: '300000' });
    expect((await deliver(SAVED_WEBHOOK_SECRET)).status).to.equal(200);
  });

  it('a PUT without If-Match is made over the saved change too; one the result still refuses saves nothing', async () => {
    const still = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, body: { configuration: { checkout_name: 'Shop' } } });
    expect(still.status).to.equal(400);
    expect(still.body.code).to.equal('invalid_configuration');
    expect(still.text).to.include('request_timeout_ms');
    expect((await saves(store)).map((s) => s.revision)).to.deep.equal([1]);

    const put = await t.request('PUT', RAZORPAY, { key: ADMIN_KEY, body: { configuration: { request_timeout_ms: '20000' } } });
    expect(put.status, put.text).to.equal(200);
    expect(put.body.active).to.equal(true);
    expect(stored()?.configuration).to.include({ key_secret: SAVED_KEY_SECRET, webhook_secret: SAVED_WEBHOOK_SECRET, request_timeout_ms: '20000' });
  });

  it('a DELETE with its ETag withdraws it: the file\'s settings stay, ETag and savedChange say so', async () => {
    // The ETag the form read, as an admin screen sends it back (before: "0", then 412 whatever it sent).
    const form = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    const del = await t.request('DELETE', RAZORPAY, { key: ADMIN_KEY, headers: { 'if-match': form.headers.get('etag') ?? '' } });
    expect(del.status, del.text).to.equal(200);
    expect(del.headers.get('etag')).to.equal('"2"');
    expect(del.body.active).to.equal(false);
    const latest = await saves(store);
    expect(latest.map((s) => [s.revision, s.settings])).to.deep.equal([[2, null]]);
    const got = await t.request('GET', RAZORPAY, { key: ADMIN_KEY });
    expect(got.headers.get('etag')).to.equal('"2"');
    expect(got.body).not.to.have.property('savedChange');
  });
});
