import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cli, serverTestPlugins } from './support/run-cli.js';

describe('cli: payhost config check says whether admin API saves are encrypted (server.pluginSettingsKey), never a key', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-settings-key-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function configFile(name: string, server: Record<string, unknown>): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        server,
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
      }),
    );
    return file;
  }

  it('without the key: "not set", saying secrets are stored in plain text, and no old keys', async () => {
    const result = await cli('config', 'check', '--config', configFile('no-key.json', {}));
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out).server).to.include({
      pluginSettingsKey: 'not set (secrets saved through the admin API are stored in plain text)',
      pluginSettingsOldKeys: 0,
    });
  });

  it('with the key (from the environment) and old keys: "set" and how many old keys, none of them printed', async () => {
    // Fixed 32-byte keys (a key of one repeated byte is refused as a placeholder).
    const key = (seed: string): Buffer => createHash('sha256').update(seed).digest();
    const current = key('current').toString('hex');
    const old = [key('old-1').toString('base64'), key('old-2').toString('hex')];
    const previous = process.env['PAYHOST_TEST_SETTINGS_KEY'];
    process.env['PAYHOST_TEST_SETTINGS_KEY'] = current;
    try {
      const result = await cli('config', 'check', '--config', configFile('keys.json', { pluginSettingsKey: '${PAYHOST_TEST_SETTINGS_KEY}', pluginSettingsOldKeys: old }));
      expect(result.code, result.err).to.equal(0);
      expect(JSON.parse(result.out).server).to.include({ pluginSettingsKey: 'set', pluginSettingsOldKeys: 2 });
      for (const key of [current, ...old]) {
        // Neither a key nor a masked tail of one (what auth's keys show).
        expect(result.out + result.err).to.not.include(key).and.not.include(key.slice(-4)).and.not.include(key.slice(0, 8));
      }
    } finally {
      if (previous === undefined) delete process.env['PAYHOST_TEST_SETTINGS_KEY'];
      else process.env['PAYHOST_TEST_SETTINGS_KEY'] = previous;
    }
  });
});
