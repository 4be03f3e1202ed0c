import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createServer, loadServerConfig } from '@payhost/server';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { cli } from './support/run-cli.js';

const ADMIN_KEY = 'cli-admin-key-0123456789';
const PAYMENT_KEY = 'cli-payment-key-0123456789';
const SECRET = 'sk_dummy_saved_secret_4242';
const STRIPE_SECRET = 'sk_test_saved_through_admin_51Hx';
const dummyPlugin = fileURLToPath(import.meta.resolve('@payhost/plugin-dummy'));
const stripePlugin = fileURLToPath(import.meta.resolve('@payhost/plugin-stripe'));

// `payhost pay` runs with the admin API's saved changes, as `serve` does: with server.pluginSettingsKey
// it decrypts their secret fields; without the key it refuses rather than pay on the file's settings.
describe('cli: payhost pay with plugin settings saved encrypted (server.pluginSettingsKey)', function () {
  // Each step opens the embedded database in a data directory (with fsync): slow on a loaded machine.
  this.timeout(60_000);
  let dir: string;
  const key = randomBytes(32).toString('hex');

  function configFile(name: string, server: Record<string, unknown>): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        server: { logLevel: 'silent', port: 0, dataDir: join(dir, 'data'), ...server },
        auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
        plugins: [dummyPlugin, stripePlugin],
        channels: [
          { slug: 'web', currencies: ['USD', 'EUR'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD' } }, 'payhost.stripe': { active: false } } },
        ],
      }),
    );
    return file;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-pay-enc-'));
    await copyMigratedDataDir(join(dir, 'data')); // An empty database (creating one takes seconds).
    // An admin moves the dummy gateway to EUR and sets its secret, through a server holding the key.
    const server = await createServer(await loadServerConfig(configFile('with-key.json', { pluginSettingsKey: key }), {}));
    try {
      const answer = await server.app.inject({
        method: 'PUT',
        url: '/admin/channels/web/plugins/payhost.dummy',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        payload: { configuration: { supported_currencies: 'EUR', secret_key: SECRET } },
      });
      expect(answer.statusCode, answer.body).to.equal(200);
      // And Stripe's secret key, which Stripe checks the form of (sk_test_...): saved encrypted, it must be read decrypted.
      const stripe = await server.app.inject({
        method: 'PUT',
        url: '/admin/channels/web/plugins/payhost.stripe',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        payload: { configuration: { secret_key: STRIPE_SECRET } },
      });
      expect(stripe.statusCode, stripe.body).to.equal(200);
    } finally {
      await server.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pays with the saved change in force when the config holds the key', async () => {
    const paid = await cli('pay', '--config', join(dir, 'with-key.json'), '--channel', 'web', '--amount', '10.00', '--currency', 'EUR', '--token', 'tok_dummy_success');
    expect(paid.err).to.equal('');
    expect(paid.code).to.equal(0);
    expect(paid.out).to.contain('EUR');
    expect(paid.out + paid.err).not.to.contain(SECRET);
    // The file's USD no longer applies: the saved change (EUR only) is the one in force.
    const usd = await cli('pay', '--config', join(dir, 'with-key.json'), '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_success');
    expect(usd.code).to.equal(1);
  });

  it('config check --saved shows both saved changes in force, decrypted to check and masked to print', async () => {
    const checked = await cli('config', 'check', '--saved', '--config', join(dir, 'with-key.json'));
    expect(checked.code, checked.err).to.equal(0);
    const { savedChanges } = JSON.parse(checked.out) as { savedChanges: { changes: Array<{ plugin: string; inForce: boolean; configuration?: Record<string, unknown> }> } };
    expect(savedChanges.changes.map((change) => [change.plugin, change.inForce])).to.deep.equal([
      ['payhost.dummy', true],
      ['payhost.stripe', true],
    ]);
    expect(savedChanges.changes[1]?.configuration?.['secret_key']).to.be.a('string').and.not.include('payhost-enc:');
    for (const secret of [SECRET, STRIPE_SECRET]) expect(checked.out + checked.err).not.to.contain(secret);
  });

  it('config check --saved without the key lists each encrypted change as not in force, saying which key it needs', async () => {
    const checked = await cli('config', 'check', '--saved', '--config', configFile('check-without-key.json', {}));
    expect(checked.code, checked.err).to.equal(0);
    const { savedChanges } = JSON.parse(checked.out) as { savedChanges: { summary: string; changes: Array<{ plugin: string; inForce: boolean; reason?: string }> } };
    expect(savedChanges.changes.map((change) => [change.plugin, change.inForce])).to.deep.equal([
      ['payhost.dummy', false],
      ['payhost.stripe', false],
    ]);
    for (const change of savedChanges.changes) expect(change.reason).to.match(/^invalid_configuration: .*server\.pluginSettingsKey/);
    expect(savedChanges.summary).to.include('2 saved changes cannot be applied');
    for (const secret of [SECRET, STRIPE_SECRET]) expect(checked.out + checked.err).not.to.contain(secret);
  });

  it('refuses to pay without the key, naming the setting, instead of paying on the file settings', async () => {
    const refused = await cli('pay', '--config', configFile('without-key.json', {}), '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_success');
    expect(refused.code).to.equal(1);
    expect(refused.out).to.equal('');
    expect(refused.err).to.match(/^error invalid_configuration: .*pluginSettingsKey/m);
    expect(refused.err).not.to.contain(SECRET);
  });
});
