import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, PAYMENT_KEY, startServer, type TestServer } from './support/harness.js';

/**
 * The security review's reproduction: with the admin key only, PUT Flutterwave's sdk_state_dir to any
 * path, which the plugin creates (mkdir -p) on its next start. It is set in the configuration file only.
 */

const FLUTTERWAVE = '/admin/channels/ng-store/plugins/payhost.flutterwave';

function document(stateDir: string | null): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'debug', checkout: false, pluginSettingsPollMs: 3_600_000 },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-flutterwave'],
    channels: [
      {
        slug: 'ng-store',
        currencies: ['NGN'],
        plugins: {
          'payhost.flutterwave': {
            active: false,
            configuration: { public_key: 'FLWPUBK_TEST-file-only-0000000000-X', secret_key: 'FLWSECK_TEST-file-only-0000000000-X', secret_hash: 'hash-file-only-0001', ...(stateDir === null ? {} : { sdk_state_dir: stateDir }) },
          },
        },
      },
    ],
  };
}

describe('admin API: a field only the configuration file may set (Flutterwave sdk_state_dir)', () => {
  let dir: string;
  let t: TestServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-file-only-'));
  });
  afterEach(async () => {
    await t?.close();
    t = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a PUT that changes it (400 invalid_configuration, reason file_only_field), saves nothing; other fields still change', async () => {
    const store = new MemoryLedgerStore();
    t = await startServer(document(join(dir, 'state')), {}, { store, kind: 'memory' });
    const evil = join(dir, 'evil', 'deep');
    const refused = await t.request('PUT', FLUTTERWAVE, { key: ADMIN_KEY, body: { configuration: { sdk_state_dir: evil } } });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.deep.include({ code: 'invalid_configuration' });
    expect(refused.body.details).to.deep.include({ plugin: 'payhost.flutterwave', channel: 'ng-store', reason: 'file_only_field', fields: ['sdk_state_dir'] });
    expect(await store.listPluginSettings(0)).to.deep.equal([]);
    // The admin form sent back as read (the same directory) and another field changed: taken.
    const view = (await t.request('GET', FLUTTERWAVE, { key: ADMIN_KEY })).body;
    const taken = await t.request('PUT', FLUTTERWAVE, { key: ADMIN_KEY, body: { configuration: { ...view.configuration, request_timeout_ms: '15000' } } });
    expect(taken.status, taken.text).to.equal(200);
    expect(taken.body.configuration).to.include({ sdk_state_dir: join(dir, 'state'), request_timeout_ms: '15000' });
    expect(existsSync(join(dir, 'evil'))).to.equal(false);
  });

  it("a saved change holding another directory (an older save, a row written directly) applies the file's value", async () => {
    const store = new MemoryLedgerStore();
    const evil = join(dir, 'evil');
    await store.savePluginSettings({
      plugin: 'payhost.flutterwave',
      channel: 'ng-store',
      settings: { active: false, configuration: { public_key: 'FLWPUBK_TEST-file-only-0000000000-X', secret_key: 'FLWSECK_TEST-file-only-0000000000-X', secret_hash: 'hash-file-only-0001', request_timeout_ms: '12000', sdk_state_dir: evil } },
      now: new Date(),
    });
    t = await startServer(document(null), {}, { store, kind: 'memory' });
    const view = (await t.request('GET', FLUTTERWAVE, { key: ADMIN_KEY })).body;
    // The save applies (its timeout), not its directory: the file sets none.
    expect(view.configuration).to.include({ request_timeout_ms: '12000', sdk_state_dir: null });
  });
});
