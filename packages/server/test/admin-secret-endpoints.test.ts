import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { FakeStripe } from '@payhost/testkit/stripe';
import { ADMIN_KEY, PAYMENT_KEY, key, startServer, type TestServer } from './support/harness.js';

/**
 * The security review's reproduction: with the admin key only, PUT a Stripe plugin's api_base_url to a
 * listener of one's own and keep the masked secret key: the next payment sent `Authorization: Bearer sk_...`
 * there. Now the PUT is refused unless the secrets come with it.
 */

const STRIPE = '/admin/channels/card-store/plugins/payhost.stripe';
const SECRET_KEY = 'sk_test_storedSecretKey0042';
const WEBHOOK_SECRET = 'whsec_storedWebhookSecret0042';

/** An attacker's listener: records what reaches it, answers nothing useful. */
async function listener(): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function document(stripeUrl: string): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'debug', checkout: false },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-stripe'],
    channels: [
      {
        slug: 'card-store',
        currencies: ['USD'],
        defaultGateways: { USD: 'payhost.stripe' },
        plugins: {
          'payhost.stripe': {
            active: true,
            configuration: { secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET, api_base_url: stripeUrl, max_network_retries: '0', request_timeout_ms: '2000' },
          },
        },
      },
    ],
  };
}

describe('admin API: a new address for a plugin\'s secrets needs the secrets sent again', () => {
  let stripe: FakeStripe;
  let attacker: Awaited<ReturnType<typeof listener>>;
  let t: TestServer;
  before(async () => {
    stripe = await FakeStripe.start();
    attacker = await listener();
  });
  after(async () => {
    await stripe.close();
    await new Promise((resolve) => attacker.server.close(resolve));
  });
  beforeEach(async () => {
    stripe.reset();
    attacker.seen.length = 0;
    t = await startServer(document(stripe.url), {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  afterEach(() => t.close());

  const stored = () => t.server.manager.config.channels[0]?.plugins['payhost.stripe']?.configuration;

  it('refuses moving api_base_url with the secret kept (left out, or masked as an admin screen sends it): payments still go to Stripe, and other changes keep the secret', async () => {
    const read = await t.request('GET', STRIPE, { key: ADMIN_KEY });
    expect(read.body.configStructure.api_base_url.receivesSecrets).to.equal(true);
    expect(read.body.configuration.secret_key).to.equal('****0042');
    for (const configuration of [{ api_base_url: attacker.url }, { ...read.body.configuration, api_base_url: attacker.url }]) {
      const put = await t.request('PUT', STRIPE, { key: ADMIN_KEY, body: { active: true, configuration } });
      expect(put.status).to.equal(400);
      expect(put.body.code).to.equal('invalid_configuration');
      expect(put.body.details).to.deep.include({ plugin: 'payhost.stripe', channel: 'card-store', reason: 'secrets_not_reentered', fields: ['api_base_url'], secretFields: ['secret_key', 'webhook_secret'] });
      expect(put.text).not.to.include(SECRET_KEY);
    }
    expect(stored()?.['api_base_url']).to.equal(stripe.url);
    const paid = await t.request('POST', '/payments', { body: { channel: 'card-store', currency: 'USD', amount: '10.00', token: 'pm_card_visa' }, idempotencyKey: key('pay') });
    expect(paid.status).to.equal(201);
    expect(stripe.requests.length).to.be.greaterThan(0);
    expect(attacker.seen).to.deep.equal([]);
    // Any other change keeps the stored secrets, the masked view sent back, and logs no endpoint change.
    const from = t.logs.length;
    const other = await t.request('PUT', STRIPE, { key: ADMIN_KEY, body: { active: true, configuration: { ...read.body.configuration, supported_currencies: 'USD, EUR' } } });
    expect(other.status).to.equal(200);
    expect(other.body.configuration.secret_key).to.equal('****0042');
    expect(stored()).to.include({ secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET, api_base_url: stripe.url, supported_currencies: 'USD, EUR' });
    expect(t.logs.slice(from).map((line) => JSON.parse(line)).filter((line) => line.level >= 40)).to.deep.equal([]);
  });

  it('takes the move with every secret re-entered, and logs it at warn with the new host only', async () => {
    const from = t.logs.length;
    const read = await t.request('GET', STRIPE, { key: ADMIN_KEY });
    const configuration = { ...read.body.configuration, api_base_url: `${attacker.url}/`, secret_key: 'sk_test_reenteredKey7777', webhook_secret: 'whsec_reenteredHook7777' };
    const put = await t.request('PUT', STRIPE, { key: ADMIN_KEY, body: { active: true, configuration } });
    expect(put.status).to.equal(200);
    expect(stored()).to.include({ api_base_url: `${attacker.url}/`, secret_key: 'sk_test_reenteredKey7777' });
    const lines = t.logs.slice(from).map((line) => JSON.parse(line));
    const warned = lines.filter((line) => line.level === 40 && line.field === 'api_base_url');
    expect(warned).to.have.length(1);
    expect(warned[0]).to.deep.include({ plugin: 'payhost.stripe', channel: 'card-store', host: attacker.url.replace('http://', '') });
    expect(t.logs.slice(from).join('\n')).not.to.include('reenteredKey7777').and.not.to.include('reenteredHook7777');
  });
});
