import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cli, serverTestPlugins } from './support/run-cli.js';

/**
 * A `${NAME}` not set in this environment: `config check` lists every one at once (serve stops at the
 * first); `gateways` builds only the channel it lists, so another channel's secrets need not be set.
 */
describe('cli: unset environment variables of the plugins', () => {
  let dir: string;
  let configFile: string;
  const names = ['PAYHOST_T_US_SECRET', 'PAYHOST_T_EU_SECRET', 'PAYHOST_T_AUDIT_TOKEN', 'PAYHOST_T_UNDECLARED', 'PAYHOST_T_UNDECLARED_GLOBAL', 'PAYHOST_T_AUTO', 'PAYHOST_T_DUMMY_SECRET'];

  beforeEach(() => {
    for (const name of names) delete process.env[name];
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-unset-'));
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir: join(dir, 'data') },
        auth: { adminApiKey: 'cli-admin-key-unset-0123456789', paymentApiKey: 'cli-payment-key-unset-0123456789' },
        plugins: [serverTestPlugins],
        channels: [
          { slug: 'us-store', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: '${PAYHOST_T_US_SECRET}' } } } },
          { slug: 'eu-store', currencies: ['EUR'], plugins: { 'test.signed': { active: true, configuration: { supported_currencies: 'EUR', webhook_secret: 'whsec_${PAYHOST_T_EU_SECRET}' } } } },
        ],
        globalPlugins: { 'test.audit': { configuration: { api_token: '${PAYHOST_T_AUDIT_TOKEN}', note: '${PAYHOST_T_NOTE:-none}' } } },
      }),
    );
  });
  afterEach(() => {
    for (const name of names) delete process.env[name];
    rmSync(dir, { recursive: true, force: true });
  });

  it('config check lists every unset variable, each with where it is written, and exits 1', async () => {
    const result = await cli('config', 'check', '--config', configFile);
    expect(result.code).to.equal(1);
    expect(result.out).to.equal('');
    expect(result.err).to.include('error invalid_configuration (unset_variables): ');
    expect(result.err).to.include('3 environment variables not set here');
    expect(result.err).to.include('PAYHOST_T_US_SECRET (channels.0.plugins.test.signed.configuration.webhook_secret, channel "us-store")');
    expect(result.err).to.include('PAYHOST_T_EU_SECRET (channels.1.plugins.test.signed.configuration.webhook_secret, channel "eu-store")');
    expect(result.err).to.include('PAYHOST_T_AUDIT_TOKEN (globalPlugins.test.audit.configuration.api_token)');
    expect(result.err).to.not.include('PAYHOST_T_NOTE');

    process.env['PAYHOST_T_US_SECRET'] = 'whsec_us_0123456789';
    process.env['PAYHOST_T_AUDIT_TOKEN'] = 'audit-token-0123456789';
    const one = await cli('config', 'check', '--config', configFile);
    expect(one.err).to.include('an environment variable not set here').and.include('PAYHOST_T_EU_SECRET (channels.1.').and.not.include('PAYHOST_T_US_SECRET');
  });

  it('config check lists only variables of fields the plugin reads: one in a field it does not declare is dropped, never resolved', async () => {
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir: join(dir, 'data') },
        auth: { adminApiKey: 'cli-admin-key-unset-0123456789', paymentApiKey: 'cli-payment-key-unset-0123456789' },
        plugins: [serverTestPlugins],
        channels: [
          { slug: 'us-store', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: '${PAYHOST_T_US_SECRET}', not_a_field: '${PAYHOST_T_UNDECLARED}' } } } },
        ],
        globalPlugins: { 'test.audit': { configuration: { api_token: 'audit-token-0123456789', stray: '${PAYHOST_T_UNDECLARED_GLOBAL}' } } },
      }),
    );
    const result = await cli('config', 'check', '--config', configFile);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('an environment variable not set here').and.include('PAYHOST_T_US_SECRET (channels.0.plugins.test.signed.configuration.webhook_secret');
    expect(result.err).to.not.include('PAYHOST_T_UNDECLARED');

    // With the declared one set, the undeclared ones stop nothing: the file is valid.
    process.env['PAYHOST_T_US_SECRET'] = 'whsec_us_0123456789';
    const valid = await cli('config', 'check', '--config', configFile);
    expect(valid.code, valid.err).to.equal(0);
  });

  it('config check lists an unset variable of a Boolean field and one of a Secret field after it, both', async () => {
    // The Boolean field's check tests for a reference first: that test must not hide the Secret's.
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir: join(dir, 'data') },
        auth: { adminApiKey: 'cli-admin-key-unset-0123456789', paymentApiKey: 'cli-payment-key-unset-0123456789' },
        plugins: [fileURLToPath(import.meta.resolve('@payhost/plugin-dummy'))],
        channels: [
          { slug: 'us', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { auto_capture: '${PAYHOST_T_AUTO}', supported_currencies: 'USD', secret_key: '${PAYHOST_T_DUMMY_SECRET}' } } } },
        ],
      }),
    );
    const result = await cli('config', 'check', '--config', configFile);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('2 environment variables not set here');
    expect(result.err).to.include('PAYHOST_T_AUTO (channels.0.plugins.payhost.dummy.configuration.auto_capture, channel "us")');
    expect(result.err).to.include('PAYHOST_T_DUMMY_SECRET (channels.0.plugins.payhost.dummy.configuration.secret_key, channel "us")');
  });

  it('gateways needs only the channel it lists (and the global plugins)', async () => {
    process.env['PAYHOST_T_US_SECRET'] = 'whsec_us_0123456789';
    process.env['PAYHOST_T_AUDIT_TOKEN'] = 'audit-token-0123456789';
    const us = await cli('gateways', '--config', configFile, '--channel', 'us-store', '--currency', 'USD');
    expect(us.code, us.err).to.equal(0);
    expect((JSON.parse(us.out) as Array<{ id: string }>).map((g) => g.id)).to.deep.equal(['test.signed']);
    // The channel asked for still needs its own: said at its place in the file.
    const eu = await cli('gateways', '--config', configFile, '--channel', 'eu-store');
    expect(eu.code).to.equal(1);
    expect(eu.err).to.match(/^error invalid_configuration: Invalid configuration at "channels\.1\.plugins\.test\.signed\.configuration\.webhook_secret" \(channel "eu-store"\)/);
  });

  it('gateways names an error of the listed channel itself (an unknown key: path channels.<n>) at its place in the file', async () => {
    process.env['PAYHOST_T_US_SECRET'] = 'whsec_us_0123456789';
    process.env['PAYHOST_T_EU_SECRET'] = 'eu_0123456789';
    process.env['PAYHOST_T_AUDIT_TOKEN'] = 'audit-token-0123456789';
    const document = JSON.parse(readFileSync(configFile, 'utf8')) as { channels: Array<Record<string, unknown>> };
    (document.channels[1] as Record<string, unknown>)['defaultGateway'] = 'test.signed';
    writeFileSync(configFile, JSON.stringify(document));
    const eu = await cli('gateways', '--config', configFile, '--channel', 'eu-store');
    expect(eu.code).to.equal(1);
    expect(eu.err).to.match(/^error invalid_configuration: Invalid configuration at "channels\.1": unknown key "defaultGateway"/);
    // Another channel is not checked (the help says so): config check finds it.
    const us = await cli('gateways', '--config', configFile, '--channel', 'us-store', '--currency', 'USD');
    expect(us.code, us.err).to.equal(0);
    const help = await cli('gateways', '--help');
    expect(help.out).to.include('Only this channel and the global plugins are checked').and.include('config check` checks the whole file');
  });
});
