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

  type Checked = { savedChanges: { summary: string; changes: Array<{ plugin: string; inForce: boolean; reason?: string; message?: string }> } };

  it('config check --saved without the key lists each encrypted change as not in force: reason settings_key_missing, a message naming the key to set', async () => {
    // The default log level (warn): the refusals are in the output, not also error lines with stack traces on stderr.
    const checked = await cli('config', 'check', '--saved', '--config', configFile('check-without-key.json', { logLevel: 'warn' }));
    expect(checked.code, checked.err).to.equal(0);
    const { savedChanges } = JSON.parse(checked.out) as Checked;
    expect(savedChanges.changes.map((change) => [change.plugin, change.inForce, change.reason])).to.deep.equal([
      ['payhost.dummy', false, 'settings_key_missing'],
      ['payhost.stripe', false, 'settings_key_missing'],
    ]);
    for (const change of savedChanges.changes) expect(change.message).to.match(/server\.pluginSettingsKey/).and.not.match(/^invalid_configuration/);
    expect(savedChanges.summary).to.include('2 saved changes cannot be applied');
    expect(savedChanges.summary).to.include('withdraw it with DELETE');
    expect(savedChanges.summary).to.include('configure the key its secrets were saved with: server.pluginSettingsKey, or server.pluginSettingsOldKeys');
    expect(checked.err, 'config check logged the refusals it prints').to.equal('');
    for (const secret of [SECRET, STRIPE_SECRET]) expect(checked.out + checked.err).not.to.contain(secret);
  });

  it('config check --saved with another key: reason settings_key_mismatch, and pluginSettingsOldKeys in the summary', async () => {
    const otherKey = randomBytes(32).toString('hex');
    const checked = await cli('config', 'check', '--saved', '--config', configFile('check-other-key.json', { pluginSettingsKey: otherKey, logLevel: 'warn' }));
    expect(checked.code, checked.err).to.equal(0);
    const { savedChanges } = JSON.parse(checked.out) as Checked;
    expect(savedChanges.changes.map((change) => [change.plugin, change.inForce, change.reason])).to.deep.equal([
      ['payhost.dummy', false, 'settings_key_mismatch'],
      ['payhost.stripe', false, 'settings_key_mismatch'],
    ]);
    expect(savedChanges.summary).to.include('server.pluginSettingsOldKeys');
    expect(checked.err, 'config check logged the refusals it prints').to.equal('');
    for (const secret of [SECRET, STRIPE_SECRET, otherKey, key]) expect(checked.out + checked.err).not.to.contain(secret);
  });

  it('refuses to pay without the key, naming the setting, instead of paying on the file settings', async () => {
    const refused = await cli('pay', '--config', configFile('without-key.json', {}), '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_success');
    expect(refused.code).to.equal(1);
    expect(refused.out).to.equal('');
    expect(refused.err).to.match(/^error invalid_configuration \(settings_key_missing\): .*pluginSettingsKey/m);
    expect(refused.err).not.to.contain(SECRET);
  });
});
