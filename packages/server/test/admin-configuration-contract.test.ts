import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, PAYMENT_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The contract review's findings on the admin plugin-settings API: (1) configStructure lost `fileOnly`
 * (the reply schema did not list it), so a form offered Flutterwave's sdk_state_dir as editable and saving
 * it was refused; (2) a PUT naming a misspelt field answered 200, saved a new revision (every other open form
 * then got 412) and changed nothing; a PUT changing nothing at all saved a new revision too.
 */

const DUMMY = '/admin/channels/shop/plugins/payhost.dummy';
const FLUTTERWAVE = '/admin/channels/shop/plugins/payhost.flutterwave';
const BUNDLED = ['payhost.dummy', 'payhost.stripe', 'payhost.razorpay', 'payhost.flutterwave'];

function document(stateDir: string): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'debug', checkout: false, pluginSettingsPollMs: 3_600_000 },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-dummy', '@payhost/plugin-stripe', '@payhost/plugin-razorpay', '@payhost/plugin-flutterwave'],
    channels: [
      {
        slug: 'shop',
        currencies: ['USD', 'NGN'],
        plugins: {
          'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } },
          'payhost.flutterwave': { active: false, configuration: { sdk_state_dir: stateDir } },
        },
      },
    ],
  };
}

describe('admin API: the plugin configuration contract (configStructure flags, unknown fields, no-op changes)', () => {
  let dir: string;
  let store: MemoryLedgerStore;
  let t: TestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-admin-contract-'));
    store = new MemoryLedgerStore();
    t = await startServer(document(join(dir, 'state')), {}, { store, kind: 'memory' });
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every bundled plugin\'s configStructure as the manager has it, field by field and flag by flag (fileOnly included)', async () => {
    for (const plugin of BUNDLED) {
      const answer = await t.request('GET', `/admin/channels/shop/plugins/${plugin}`, { key: ADMIN_KEY });
      expect(answer.status, plugin).to.equal(200);
      const expected = JSON.parse(JSON.stringify(t.server.manager.getPluginConfiguration(plugin, 'shop').configStructure)) as Record<string, unknown>;
      expect(Object.keys(answer.body.configStructure), plugin).to.deep.equal(Object.keys(expected));
      for (const [name, field] of Object.entries(expected)) expect(answer.body.configStructure[name], `${plugin} ${name}`).to.deep.equal(field);
    }
    const flutterwave = await t.request('GET', FLUTTERWAVE, { key: ADMIN_KEY });
    expect(flutterwave.body.configStructure['sdk_state_dir']).to.include({ fileOnly: true });
  });

  it('describes fileOnly (and receivesSecrets) in the OpenAPI schema of PluginConfiguration', async () => {
    const doc = (await t.request('GET', '/openapi.json', { key: null })).body;
    const field = doc.components.schemas.PluginConfiguration.properties.configStructure.additionalProperties;
    expect(field.properties).to.have.keys('type', 'label', 'helpText', 'receivesSecrets', 'fileOnly');
    expect(field.properties.fileOnly.type).to.equal('boolean');
    expect(field.properties.type.enum).to.include('Secret');
  });

  it('refuses a misspelt configuration field: 400 invalid_configuration, reason unknown_fields, nothing saved, ETag and GET unchanged', async () => {
    const before = await t.request('GET', DUMMY, { key: ADMIN_KEY });
    const etag = before.headers.get('etag');
    expect(etag).to.equal('"0"');
    const refused = await t.request('PUT', DUMMY, { key: ADMIN_KEY, body: { configuration: { suported_currencies: 'EUR' } } });
    expect(refused.status, refused.text).to.equal(400);
    expect(refused.body.code).to.equal('invalid_configuration');
    expect(refused.body.details).to.deep.equal({ plugin: 'payhost.dummy', channel: 'shop', reason: 'unknown_fields', fields: ['suported_currencies'] });
    expect(refused.body.message).to.include('"suported_currencies" (did you mean "supported_currencies"?)').and.to.include('"auto_capture"');
    expect(await store.listPluginSettings(0)).to.deep.equal([]);
    const after = await t.request('GET', DUMMY, { key: ADMIN_KEY });
    expect(after.headers.get('etag')).to.equal(etag);
    expect(after.body).to.deep.equal(before.body);
    // A form read before still saves (its If-Match was not made stale).
    const taken = await t.request('PUT', DUMMY, { key: ADMIN_KEY, headers: { 'if-match': etag! }, body: { configuration: { supported_currencies: 'USD,NGN' } } });
    expect(taken.status, taken.text).to.equal(200);
    expect(taken.headers.get('etag')).to.equal('"1"');
  });

  it('saves nothing for a PUT that changes nothing: 200 with the current configuration and ETag, no revision, no change logged', async () => {
    const changed = await t.request('PUT', DUMMY, { key: ADMIN_KEY, body: { configuration: { supported_currencies: 'USD,NGN' } } });
    expect(changed.headers.get('etag')).to.equal('"1"');
    const version = t.server.manager.configVersion;
    const logged = t.logs.filter((line) => line.includes('plugin configuration changed')).length;

    const form = await t.request('GET', DUMMY, { key: ADMIN_KEY });
    for (const body of [{ active: form.body.active, configuration: form.body.configuration }, {}, { configuration: { supported_currencies: 'USD,NGN' } }]) {
      const same = await t.request('PUT', DUMMY, { key: ADMIN_KEY, headers: { 'if-match': '"1"' }, body });
      expect(same.status, same.text).to.equal(200);
      expect(same.headers.get('etag')).to.equal('"1"');
      expect(same.body).to.deep.equal(form.body);
    }
    expect((await store.listPluginSettings(0)).map((row) => row.revision)).to.deep.equal([1]);
    expect(t.server.manager.configVersion).to.equal(version);
    expect(t.logs.filter((line) => line.includes('plugin configuration changed')).length).to.equal(logged);
    // A stale If-Match is still refused, change or not.
    const stale = await t.request('PUT', DUMMY, { key: ADMIN_KEY, headers: { 'if-match': '"0"' }, body: {} });
    expect(stale.status).to.equal(412);
  });

  it('with server.pluginSettingsKey, a PUT changing nothing still saves a save made in plain text again, encrypted (operating.md); then nothing', async () => {
    const shared = new MemoryLedgerStore();
    const document = (key?: string) => testConfigDocument({ pluginSettingsPollMs: 3_600_000, ...(key === undefined ? {} : { pluginSettingsKey: key }) });
    const path = '/admin/channels/us-store/plugins/payhost.dummy';
    // Closing a server closes its store: both are closed at the end.
    const plain = await startServer(document(), {}, { store: shared, kind: 'memory' });
    let keyed: TestServer | undefined;
    try {
      expect((await plain.request('PUT', path, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_plain_contract_4321' } } })).headers.get('etag')).to.equal('"1"');
      // Started now, it applies that save at start: its settings are those in force, stored in clear.
      keyed = await startServer(document(randomBytes(32).toString('hex')), {}, { store: shared, kind: 'memory' });
      const form = (await keyed.request('GET', path, { key: ADMIN_KEY })).body;
      const sendBack = () => keyed!.request('PUT', path, { key: ADMIN_KEY, body: { active: form.active, configuration: form.configuration } });
      expect((await sendBack()).headers.get('etag')).to.equal('"2"');
      const rows = await shared.listPluginSettings(0);
      expect(rows.map((row) => row.revision)).to.deep.equal([2]);
      expect(rows[0]?.settings?.configuration['secret_key']).to.match(/^payhost-enc:v1:/);
      expect((await sendBack()).headers.get('etag')).to.equal('"2"');
      expect((await shared.listPluginSettings(0)).map((row) => row.revision)).to.deep.equal([2]);
    } finally {
      await Promise.all([plain.close(), keyed?.close()]);
    }
  });
});
