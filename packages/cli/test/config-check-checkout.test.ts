import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cli, serverTestPlugins } from './support/run-cli.js';

describe('cli: payhost config check refuses what serve refuses on a public host (checkout, development keys)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-checkout-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const OWN_KEYS = { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' };

  function configFile(name: string, server: Record<string, unknown>, auth: Record<string, string> = OWN_KEYS): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        server,
        auth,
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
      }),
    );
    return file;
  }

  it('a file that leaves checkout out is valid on 0.0.0.0, and prints it off with the dummy-only gateway list', async () => {
    const result = await cli('config', 'check', '--config', configFile('default.json', { host: '0.0.0.0' }));
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out).server).to.include({ checkout: false, checkoutOnPublicHost: false });
    expect(JSON.parse(result.out).server.checkoutGateways).to.deep.equal(['payhost.dummy']);
  });

  it('refuses, as serve would, the checkout on a host other machines reach', async () => {
    const result = await cli('config', 'check', '--config', configFile('public.json', { host: '0.0.0.0', checkout: true }));
    expect(result.code).to.equal(1);
    expect(result.out).to.equal('');
    expect(result.err).to.match(/^error invalid_configuration \(checkout_on_public_host\): server\.checkout serves the demo checkout/m);
  });

  it('says so on stderr when server.checkoutOnPublicHost acknowledges it', async () => {
    const result = await cli('config', 'check', '--config', configFile('acknowledged.json', { host: '0.0.0.0', checkout: true, checkoutOnPublicHost: true }));
    expect(result.code, result.err).to.equal(0);
    expect(result.err).to.include('server.checkout is on a host other machines can reach (server.checkoutOnPublicHost)');
  });

  it('refuses, as serve would, the public development keys on a host other machines reach, and takes them on a loopback host', async () => {
    const development = { adminApiKey: '${PAYHOST_ADMIN_KEY:-dev-admin-key-change-me}', paymentApiKey: '${PAYHOST_PAYMENT_KEY:-dev-payment-key-change-me}' };
    const result = await cli('config', 'check', '--config', configFile('development-public.json', { host: '0.0.0.0' }, development));
    expect(result.code).to.equal(1);
    expect(result.out).to.equal('');
    expect(result.err).to.match(/^error invalid_configuration \(development_api_keys\): auth\.adminApiKey and auth\.paymentApiKey are the public development keys/m);
    expect(result.err).to.include('PAYHOST_ADMIN_KEY and PAYHOST_PAYMENT_KEY');
    expect(result.err).to.not.include('dev-admin-key-change-me');
    const loopback = await cli('config', 'check', '--config', configFile('development-loopback.json', { host: '127.0.0.1' }, development));
    expect(loopback.code, loopback.err).to.equal(0);
  });
});
