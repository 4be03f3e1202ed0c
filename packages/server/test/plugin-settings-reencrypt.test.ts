import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore, PayhostError, pluginSettingsIn, type PluginSettingsSave, type SavedPluginSettings } from '@payhost/core';
import { parseServerConfig } from '@payhost/server';
import { ADMIN_KEY, PAYMENT_KEY, fixturesDir, instancesOnOneStore, testConfigDocument } from './support/harness.js';

/**
 * POST /admin/plugin-settings/reencrypt: after server.pluginSettingsKey changed (the old key moved to
 * server.pluginSettingsOldKeys), every saved change is saved again under the new key, so the old key can go.
 */

const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';
const SIGNED_US = '/admin/channels/us-store/plugins/test.signed';
const AUDIT = '/admin/global/plugins/test.audit';
const REENCRYPT = '/admin/plugin-settings/reencrypt';
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('hex');
const ENCRYPTED = /^payhost-enc:v1:/;

/** A memory store that, once armed, lets `meanwhile` save first when a re-encryption's save arrives (another instance's change). */
class RacingStore extends MemoryLedgerStore {
  meanwhile: (() => Promise<unknown>) | null = null;
  override async savePluginSettings(save: PluginSettingsSave): Promise<number> {
    const first = this.meanwhile;
    this.meanwhile = null;
    if (first) await first();
    return super.savePluginSettings(save);
  }
}

describe('server: re-encrypting saved plugin settings under a new key', () => {
  const start = instancesOnOneStore();
  const rows = (store: MemoryLedgerStore): Promise<SavedPluginSettings[]> => store.listPluginSettings(0);
  const secretsOf = async (store: MemoryLedgerStore): Promise<string[]> =>
    (await rows(store)).flatMap((row) => ['secret_key', 'webhook_secret', 'api_token'].map((field) => row.settings?.configuration[field]).filter((v): v is string => typeof v === 'string'));

  it('saves again under the new key what was under the old one or in plain text; then the old key can go', async () => {
    const store = new MemoryLedgerStore();
    // Saved before any key was set: in plain text.
    const keyless = await start(store);
    expect((await keyless.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: 'whsec_plain_before_key_0001' } } })).status).to.equal(200);
    // Saved under the old key.
    const old = await start(store, { pluginSettingsKey: OLD_KEY });
    expect((await old.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_under_old_key_0002' } } })).status).to.equal(200);
    expect((await old.request('PUT', AUDIT, { key: ADMIN_KEY, body: { configuration: { api_token: 'audit-token-old-key-0003' } } })).status).to.equal(200);
    // A withdrawn change holds no secret: nothing to do.
    expect((await old.request('PUT', '/admin/channels/eu-store/plugins/payhost.dummy', { key: ADMIN_KEY, body: { active: false } })).status).to.equal(200);
    expect((await old.request('DELETE', '/admin/channels/eu-store/plugins/payhost.dummy', { key: ADMIN_KEY })).status).to.equal(200);
    const before = await rows(store);

    const rotated = await start(store, { pluginSettingsKey: NEW_KEY, pluginSettingsOldKeys: [OLD_KEY] });
    const version = rotated.server.manager.configVersion;
    const answer = await rotated.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(answer.status).to.equal(200);
    const revisionOf = (plugin: string, channel: string | null) => before.find((row) => row.plugin === plugin && row.channel === channel)!.revision;
    expect(answer.body.current).to.deep.equal([]);
    expect(answer.body.skipped).to.deep.equal([]);
    expect(answer.body.reencrypted.map((c: { plugin: string; channel: string | null }) => [c.plugin, c.channel])).to.deep.equal([
      ['test.signed', 'us-store'],
      ['payhost.dummy', 'us-store'],
      ['test.audit', null],
    ]);
    for (const change of answer.body.reencrypted) expect(change.revision).to.be.greaterThan(revisionOf(change.plugin, change.channel));
    // The same settings, so nothing was rebuilt, and the answer's revisions are the ETags now.
    expect(rotated.server.manager.configVersion).to.equal(version);
    expect((await rotated.request('GET', DUMMY_US, { key: ADMIN_KEY })).headers.get('etag')).to.equal(`"${answer.body.reencrypted[1].revision}"`);
    const secrets = await secretsOf(store);
    expect(secrets).to.have.length(3);
    for (const value of secrets) expect(value).to.match(ENCRYPTED);

    // Run again: everything is current.
    const again = await rotated.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(again.body.reencrypted).to.deep.equal([]);
    expect(again.body.current).to.have.length(3);

    // The old key is no longer needed: an instance with the new key alone applies every change.
    const onlyNew = await start(store, { pluginSettingsKey: NEW_KEY });
    const config = onlyNew.server.manager.config;
    expect(pluginSettingsIn(config, 'test.signed', 'us-store')?.configuration['webhook_secret']).to.equal('whsec_plain_before_key_0001');
    expect(pluginSettingsIn(config, 'payhost.dummy', 'us-store')?.configuration['secret_key']).to.equal('sk_dummy_under_old_key_0002');
    expect(pluginSettingsIn(config, 'test.audit', null)?.configuration['api_token']).to.equal('audit-token-old-key-0003');
    const logs = [...rotated.logs, ...onlyNew.logs].join('\n');
    for (const secret of ['whsec_plain_before_key_0001', 'sk_dummy_under_old_key_0002', 'audit-token-old-key-0003', OLD_KEY, NEW_KEY]) expect(logs).to.not.include(secret);
    expect(rotated.logs.filter((line) => line.includes('re-encrypted under server.pluginSettingsKey'))).to.have.length(3);
  });

  it('leaves what it cannot re-encrypt, saying why: not in the file, changed meanwhile, no key decrypts it', async () => {
    const store = new RacingStore();
    // Saved by an instance whose file has a channel this one lacks (never decrypted here, never applied).
    await store.savePluginSettings({ plugin: 'payhost.dummy', channel: 'retired-store', settings: { active: true, configuration: { secret_key: 'sk_plain_retired_0005' } }, now: new Date() });
    // Saved in plain text before the key was set.
    const plainRevision = await store.savePluginSettings({ plugin: 'test.signed', channel: 'us-store', settings: { active: true, configuration: { webhook_secret: 'whsec_plain_0006' } }, now: new Date() });
    const keyed = await start(store, { pluginSettingsKey: NEW_KEY });
    // After it started, an instance with a key it does not have saves a change.
    const stranger = await start(store, { pluginSettingsKey: randomBytes(32).toString('hex') });
    expect((await stranger.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_unknown_key_0004' } } })).status).to.equal(200);
    // And while the re-encryption runs, another instance saves a change of the plain-text one first.
    store.meanwhile = () => store.savePluginSettings({ plugin: 'test.signed', channel: 'us-store', settings: { active: true, configuration: { webhook_secret: 'payhost-enc:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA' } }, now: new Date() });

    const answer = await keyed.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(answer.status).to.equal(200);
    expect(answer.body.reencrypted).to.deep.equal([]);
    expect(answer.body.current).to.deep.equal([]);
    expect(answer.body.skipped.map((s: { plugin: string; channel: string | null; reason: string }) => [s.plugin, s.channel, s.reason])).to.deep.equal([
      ['payhost.dummy', 'retired-store', 'not_in_configuration'],
      ['test.signed', 'us-store', 'changed_meanwhile'],
      ['payhost.dummy', 'us-store', 'settings_key_mismatch'],
    ]);
    expect(answer.body.skipped[1].revision).to.equal(plainRevision);
    // The change saved meanwhile is the one kept.
    const signed = (await rows(store)).find((row) => row.plugin === 'test.signed');
    expect(signed?.revision).to.be.greaterThan(plainRevision);
    expect(signed?.settings?.configuration['webhook_secret']).to.equal('payhost-enc:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA');
  });

  it('keeps encrypted a value saved encrypted in a field the plugin no longer declares secret (or at all)', async () => {
    const store = new MemoryLedgerStore();
    const oldCipher = parseServerConfig(testConfigDocument({ pluginSettingsKey: OLD_KEY }), fixturesDir, {}).settingsCipher!;
    const place = { plugin: 'payhost.dummy', channel: 'us-store' };
    // As a plugin's earlier version saved it: public_key was a secret then, legacy_token a field it had.
    await store.savePluginSettings({
      ...place,
      settings: {
        active: true,
        configuration: { public_key: oldCipher.encrypt('pk_was_secret_0007', place, 'public_key'), legacy_token: oldCipher.encrypt('legacy-token-value-0008', place, 'legacy_token') },
      },
      now: new Date(),
    });
    const rotated = await start(store, { pluginSettingsKey: NEW_KEY, pluginSettingsOldKeys: [OLD_KEY] });
    const answer = await rotated.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(answer.body.reencrypted.map((c: { plugin: string }) => c.plugin)).to.deep.equal(['payhost.dummy']);
    const [row] = await rows(store);
    expect(row?.settings?.configuration['public_key']).to.match(ENCRYPTED);
    expect(row?.settings?.configuration['legacy_token']).to.match(ENCRYPTED);
    expect(JSON.stringify(row)).to.not.include('pk_was_secret_0007').and.not.include('legacy-token-value-0008');
    // Under the new key: an instance with it alone reads them.
    const onlyNew = await start(store, { pluginSettingsKey: NEW_KEY });
    expect(pluginSettingsIn(onlyNew.server.manager.config, 'payhost.dummy', 'us-store')?.configuration['public_key']).to.equal('pk_was_secret_0007');
  });

  it('a database out of reach: 503 store_unavailable saying what to do for a re-encryption, not a payment retry', async () => {
    const store = new RacingStore();
    const keyed = await start(store, { pluginSettingsKey: NEW_KEY });
    store.listPluginSettings = () =>
      Promise.reject(new PayhostError('store_unavailable', 'The ledger database (postgres) cannot be reached; retry later with the same idempotency key'));
    const answer = await keyed.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(answer.status).to.equal(503);
    expect(answer.body.code).to.equal('store_unavailable');
    expect(answer.body.message).to.match(/^Re-encryption stopped/).and.not.match(/idempotency/);
  });

  it('needs server.pluginSettingsKey (400 invalid_configuration, settings_key_missing) and the admin key (401)', async () => {
    const store = new MemoryLedgerStore();
    const keyless = await start(store);
    const refused = await keyless.request('POST', REENCRYPT, { key: ADMIN_KEY });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include({ code: 'invalid_configuration' });
    expect(refused.body.details).to.deep.equal({ reason: 'settings_key_missing' });
    const keyed = await start(store, { pluginSettingsKey: NEW_KEY });
    expect((await keyed.request('POST', REENCRYPT, { key: PAYMENT_KEY })).status).to.equal(401);
    expect((await keyed.request('POST', REENCRYPT, { key: ADMIN_KEY, body: { force: true } })).status).to.equal(400);
    expect((await keyed.request('POST', REENCRYPT, { key: ADMIN_KEY, body: {} })).body).to.deep.equal({ reencrypted: [], current: [], skipped: [], purge: { purged: true } });
  });
});
