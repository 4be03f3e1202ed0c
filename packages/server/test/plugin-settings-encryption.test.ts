import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { MemoryLedgerStore, PayhostError, createLogger, isPayhostError, pluginSettingsIn, type SavedPluginSettings } from '@payhost/core';
import { createServer, parseServerConfig } from '@payhost/server';
import { ADMIN_KEY, fixturesDir, instancesOnOneStore, startTestServer, testConfigDocument, type ServerOverrides, type TestServer } from './support/harness.js';

/**
 * server.pluginSettingsKey: the secret fields of plugin settings saved through the admin API are encrypted
 * in the store (AES-256-GCM), decrypted by every instance that has the key, and refused, never applied in
 * part, by one that has none or another. Two servers on one MemoryLedgerStore stand for two instances.
 */

const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';
const SIGNED_US = '/admin/channels/us-store/plugins/test.signed';
const AUDIT = '/admin/global/plugins/test.audit';
const KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('hex');
const NEW_SECRET = 'whsec_rotated_through_admin_7Qx2';

const signed = async (t: TestServer, secret: string): Promise<number> => {
  const body = JSON.stringify({ id: `evt-${randomBytes(6).toString('hex')}`, paymentId: '00000000-0000-4000-8000-000000000000', amount: '1.00', currency: 'USD' });
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  const answer = await t.request('POST', '/plugins/channel/us-store/test.signed/webhook', { key: null, raw: body, headers: { 'content-type': 'application/json', 'x-test-signature': signature } });
  return answer.status;
};

/** Asks until `check` holds (another instance applies a change at its next poll), or fails after many polls. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect.fail(`never: ${what}`);
}

/** The error a start-up refused with (createServer rejects). */
async function startFails(store: MemoryLedgerStore, overrides: ServerOverrides): Promise<PayhostError> {
  try {
    const started = await startTestServer({ store, kind: 'memory' }, overrides);
    await started.close();
  } catch (err) {
    expect(isPayhostError(err), String(err)).to.equal(true);
    return err as PayhostError;
  }
  return expect.fail('the instance started');
}

describe('server: secrets of saved plugin settings encrypted with server.pluginSettingsKey', () => {
  const start = instancesOnOneStore();
  const rows = (store: MemoryLedgerStore): Promise<SavedPluginSettings[]> => store.listPluginSettings(0);

  it('saves a secret encrypted (readable non-secret fields), and another instance with the key decrypts and uses it', async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store, { pluginSettingsKey: KEY });
    const put = await a.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: NEW_SECRET, supported_currencies: 'USD,EUR' } } });
    expect(put.status).to.equal(200);
    expect(put.body.configuration.webhook_secret).to.equal(`****${NEW_SECRET.slice(-4)}`);

    const [row] = await rows(store);
    const stored = row?.settings?.configuration ?? {};
    expect(stored['supported_currencies']).to.equal('USD,EUR');
    expect(stored['webhook_secret']).to.be.a('string').and.match(/^payhost-enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(row)).to.not.include(NEW_SECRET);
    // The instance that took it runs the plain secret: a webhook signed with it is accepted, one with the file's is not.
    expect(await signed(a, NEW_SECRET)).to.equal(200);

    const b = await start(store, { pluginSettingsKey: KEY });
    expect(pluginSettingsIn(b.server.manager.config, 'test.signed', 'us-store')?.configuration['webhook_secret']).to.equal(NEW_SECRET);
    expect((await b.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret).to.equal(`****${NEW_SECRET.slice(-4)}`);
    expect(await signed(b, NEW_SECRET)).to.equal(200);
    expect(await signed(b, 'whsec_test_signed_0011223344')).to.equal(400);

    // A masked secret sent back with another change keeps it, saved encrypted again (a fresh IV).
    const masked = (await b.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret as string;
    expect((await b.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: masked, supported_currencies: 'USD' } } })).status).to.equal(200);
    const [again] = await rows(store);
    expect(again?.settings?.configuration['webhook_secret']).to.match(/^payhost-enc:v1:/).and.not.equal(stored['webhook_secret']);
    expect(await signed(b, NEW_SECRET)).to.equal(200);

    const everyLog = [...a.logs, ...b.logs].join('\n');
    expect(everyLog).to.not.include(NEW_SECRET);
    expect(everyLog).to.not.include(KEY);
  });

  it('encrypts every secret field type (Secret, Password) of a global plugin; empty and null values stay as they are', async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store, { pluginSettingsKey: KEY });
    const put = await a.request('PUT', AUDIT, { key: ADMIN_KEY, body: { configuration: { api_token: 'audit-token-rotated-000111', password: 'audit-password-rotated', note: 'visible' } } });
    expect(put.status).to.equal(200);
    const [row] = await rows(store);
    expect(row).to.include({ plugin: 'test.audit', channel: null });
    expect(row?.settings?.configuration['api_token']).to.match(/^payhost-enc:v1:/);
    expect(row?.settings?.configuration['password']).to.match(/^payhost-enc:v1:/);
    expect(row?.settings?.configuration['note']).to.equal('visible');

    expect((await a.request('PUT', AUDIT, { key: ADMIN_KEY, body: { configuration: { api_token: null } } })).status).to.equal(200);
    const [cleared] = await rows(store);
    expect(cleared?.settings?.configuration['api_token']).to.equal(null);
    const b = await start(store, { pluginSettingsKey: KEY });
    expect(pluginSettingsIn(b.server.manager.config, 'test.audit', null)?.configuration).to.include({ api_token: null, password: 'audit-password-rotated', note: 'visible' });
  });

  it('an instance without the key, or with another, refuses to start on an encrypted save, saying which key it needs', async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store, { pluginSettingsKey: KEY });
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false, configuration: { secret_key: 'sk_dummy_admin_secret_5566' } } })).status).to.equal(200);

    // The refusal is the whole story: no line saying the instance keeps running on other settings.
    const startLogs: string[] = [];
    const refusedStart = await createServer(parseServerConfig(testConfigDocument({}), fixturesDir, {}), {
      logger: createLogger({ level: 'debug' }, { write: (line: string) => void startLogs.push(line) }),
      store: { store, kind: 'memory' },
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusedStart).to.include({ code: 'invalid_configuration' });
    expect(startLogs.join('\n')).to.not.include('keeps its configuration');

    const missing = await startFails(store, {});
    expect(missing.code).to.equal('invalid_configuration');
    expect(missing.details).to.include({ plugin: 'payhost.dummy', channel: 'us-store', revision: 1, field: 'secret_key', reason: 'settings_key_missing' });
    expect(missing.message).to.include('server.pluginSettingsKey');

    const wrong = await startFails(store, { pluginSettingsKey: OTHER_KEY });
    expect(wrong.code).to.equal('invalid_configuration');
    expect(wrong.details).to.include({ field: 'secret_key', reason: 'settings_key_mismatch' });
    for (const err of [missing, wrong]) {
      expect(err.message).to.not.include('sk_dummy_admin_secret_5566');
      expect(err.message).to.not.include(KEY);
    }

    // The key it was saved with, as an old key beside a new one: it starts, and a change saves under the new key.
    const rotated = await start(store, { pluginSettingsKey: OTHER_KEY, pluginSettingsOldKeys: [KEY] });
    expect(pluginSettingsIn(rotated.server.manager.config, 'payhost.dummy', 'us-store')).to.deep.include({ active: false });
    expect(pluginSettingsIn(rotated.server.manager.config, 'payhost.dummy', 'us-store')?.configuration['secret_key']).to.equal('sk_dummy_admin_secret_5566');
    expect((await rotated.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } })).status).to.equal(200);
    const onlyNew = await start(store, { pluginSettingsKey: OTHER_KEY });
    expect(pluginSettingsIn(onlyNew.server.manager.config, 'payhost.dummy', 'us-store')?.configuration['secret_key']).to.equal('sk_dummy_admin_secret_5566');
    expect((await startFails(store, { pluginSettingsKey: KEY })).details).to.include({ reason: 'settings_key_mismatch' });
  });

  it('an encrypted save for a channel the file no longer has does not stop a start, with any key or none, and DELETE withdraws it', async () => {
    const store = new MemoryLedgerStore();
    // Saved when the file had the channel, under a key since retired: this instance can neither apply nor decrypt it.
    const sealed = `payhost-enc:v1:${'A'.repeat(16)}:${'B'.repeat(22)}:${'C'.repeat(20)}`;
    await store.savePluginSettings({ plugin: 'payhost.dummy', channel: 'gone-store', settings: { active: true, configuration: { secret_key: sealed } }, now: new Date() });
    const keyless = await start(store, {});
    const withKey = await start(store, { pluginSettingsKey: KEY });
    expect((await keyless.request('GET', DUMMY_US, { key: ADMIN_KEY })).status).to.equal(200);
    expect((await withKey.request('DELETE', '/admin/channels/gone-store/plugins/payhost.dummy', { key: ADMIN_KEY })).status).to.equal(204);
    expect((await rows(store)).at(-1)).to.deep.include({ channel: 'gone-store', settings: null });
  });

  it('a running instance without the key keeps its configuration for that plugin, refuses changes of it, and may withdraw it', async () => {
    const store = new MemoryLedgerStore();
    const keyless = await start(store, { pluginSettingsPollMs: 100 });
    const keyed = await start(store, { pluginSettingsKey: KEY });
    expect((await keyed.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false, configuration: { secret_key: 'sk_dummy_admin_secret_5566' } } })).status).to.equal(200);
    await eventually(() => keyless.logs.some((line) => line.includes('a saved plugin configuration change cannot be decrypted')), 'the keyless instance reads the save');
    // Not applied in part: the save's active: false (not secret) is not applied either.
    expect((await keyless.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(true);
    const [logged] = keyless.logs.filter((line) => line.includes('cannot be decrypted')).map((line) => JSON.parse(line) as Record<string, any>);
    expect(logged).to.include({ level: 50, plugin: 'payhost.dummy', channel: 'us-store', revision: 1 });
    expect(logged?.['err']?.details).to.include({ reason: 'settings_key_missing' });

    const refused = await keyless.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } } });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include({ code: 'invalid_configuration' });
    expect(refused.body.details).to.include({ reason: 'settings_key_missing' });
    expect(refused.body.message).to.match(/^Plugin configuration not changed/);
    expect((await rows(store)).map((row) => row.revision)).to.deep.equal([1]);

    // The way out without the key: withdraw it (the file's settings apply again everywhere).
    const withdrawn = await keyless.request('DELETE', DUMMY_US, { key: ADMIN_KEY });
    expect(withdrawn.status).to.equal(200);
    expect(withdrawn.headers.get('etag')).to.equal('"2"');
    expect((await rows(store))[0]).to.include({ revision: 2, settings: null });
    expect((await keyless.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } } })).status).to.equal(200);
    expect([...keyless.logs, ...keyed.logs].join('\n')).to.not.include('sk_dummy_admin_secret_5566');
  });

  it("an instance that cannot decrypt the latest save answers the ETag of the settings it serves: its form sent elsewhere with it is refused (412)", async () => {
    const store = new MemoryLedgerStore();
    const keyless = await start(store, { pluginSettingsPollMs: 100 });
    const keyed = await start(store, { pluginSettingsKey: KEY });
    // Revision 1, saved in plain text by the keyless instance (no key: secrets as given), in force on both.
    expect((await keyless.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_plain_1111' } } })).status).to.equal(200);
    // Revision 2, encrypted by the keyed instance: the keyless one cannot apply it and keeps revision 1's settings.
    const encrypted = await keyed.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_encrypted_2222' } } });
    expect(encrypted.headers.get('etag')).to.equal('"2"');
    await eventually(() => keyless.logs.some((line) => line.includes('a saved plugin configuration change cannot be decrypted')), 'the keyless instance reads the save');
    const form = await keyless.request('GET', DUMMY_US, { key: ADMIN_KEY });
    expect(form.body.configuration.secret_key).to.equal('****1111');
    expect(form.headers.get('etag'), 'the revision whose settings it shows').to.equal('"1"');
    // An admin sends that form back whole, with its ETag, to the instance that has the key.
    const sentBack = await keyed.request('PUT', DUMMY_US, { key: ADMIN_KEY, headers: { 'if-match': form.headers.get('etag') as string }, body: { active: form.body.active, configuration: form.body.configuration } });
    expect(sentBack.status).to.equal(412);
    expect(sentBack.body).to.include({ code: 'configuration_changed' });
    expect((await rows(store)).map((row) => row.revision)).to.deep.equal([2]);
    const applied = await keyed.request('GET', DUMMY_US, { key: ADMIN_KEY });
    expect(applied.body.configuration.secret_key).to.equal('****2222');
    expect(applied.headers.get('etag')).to.equal('"2"');
  });

  it('without a key, saves secrets as given (as before); an instance with a key reads such saves, and its next save encrypts them', async () => {
    const store = new MemoryLedgerStore();
    const plain = await start(store);
    expect((await plain.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_plain_secret_7788' } } })).status).to.equal(200);
    expect((await rows(store))[0]?.settings?.configuration['secret_key']).to.equal('sk_dummy_plain_secret_7788');
    const keyed = await start(store, { pluginSettingsKey: KEY });
    expect(pluginSettingsIn(keyed.server.manager.config, 'payhost.dummy', 'us-store')?.configuration['secret_key']).to.equal('sk_dummy_plain_secret_7788');
    expect((await keyed.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: true } })).status).to.equal(200);
    expect((await rows(store))[0]?.settings?.configuration['secret_key']).to.match(/^payhost-enc:v1:/);
  });

  it('refuses a value that starts like an encrypted one (it would be read back as one), with or without a key, and saves nothing', async () => {
    const store = new MemoryLedgerStore();
    for (const overrides of [{}, { pluginSettingsKey: KEY }]) {
      const t = await start(store, overrides);
      const version = t.server.manager.configVersion;
      const answer = await t.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { public_key: 'payhost-enc:v1:looks-encrypted' } } });
      expect(answer.status).to.equal(400);
      expect(answer.body).to.include({ code: 'invalid_configuration' });
      expect(answer.body.details).to.include({ field: 'public_key', reason: 'settings_value_reserved_prefix' });
      expect(t.server.manager.configVersion).to.equal(version);
    }
    expect(await rows(store)).to.deep.equal([]);
  });

  it("a ciphertext copied into another channel's row, or another plugin's, does not decrypt there (same field name)", async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store, { pluginSettingsKey: KEY });
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_us_only_secret_4455' } } })).status).to.equal(200);
    const sealed = (await rows(store))[0]!.settings!.configuration['secret_key'];
    expect(sealed).to.match(/^payhost-enc:v1:/);
    // Someone with write access to the table puts it in the same plugin's row of another channel: only the channel differs.
    await store.savePluginSettings({ plugin: 'payhost.dummy', channel: 'eu-store', settings: { active: true, configuration: { supported_currencies: 'EUR', secret_key: sealed ?? null } }, now: new Date() });
    expect((await startFails(store, { pluginSettingsKey: KEY })).details).to.include({ plugin: 'payhost.dummy', channel: 'eu-store', field: 'secret_key', reason: 'settings_key_mismatch' });
    await store.savePluginSettings({ plugin: 'payhost.dummy', channel: 'eu-store', settings: null, now: new Date() });
    // Or in another plugin's row of the same channel, under the same field name: only the plugin differs.
    await store.savePluginSettings({ plugin: 'test.signed', channel: 'us-store', settings: { active: true, configuration: { secret_key: sealed ?? null } }, now: new Date() });
    expect((await startFails(store, { pluginSettingsKey: KEY })).details).to.include({ plugin: 'test.signed', channel: 'us-store', field: 'secret_key', reason: 'settings_key_mismatch' });
  });

  it('a ciphertext moved to another field, or altered, does not decrypt', async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store, { pluginSettingsKey: KEY });
    expect((await a.request('PUT', AUDIT, { key: ADMIN_KEY, body: { configuration: { api_token: 'audit-token-rotated-000111', password: 'audit-password-rotated' } } })).status).to.equal(200);
    const [row] = await rows(store);
    const configuration = row!.settings!.configuration;
    // Someone with write access to the table puts the token's ciphertext in the password field.
    await store.savePluginSettings({ plugin: 'test.audit', channel: null, settings: { active: true, configuration: { ...configuration, password: configuration['api_token'] ?? null } }, now: new Date() });
    expect((await startFails(store, { pluginSettingsKey: KEY })).details).to.include({ field: 'password', reason: 'settings_key_mismatch' });
    // One character of the ciphertext changed (the first: every bit of it is data).
    const parts = String(configuration['api_token']).split(':');
    parts[4] = (parts[4]!.startsWith('A') ? 'B' : 'A') + parts[4]!.slice(1);
    const altered = parts.join(':');
    await store.savePluginSettings({ plugin: 'test.audit', channel: null, settings: { active: true, configuration: { ...configuration, api_token: altered } }, now: new Date() });
    expect((await startFails(store, { pluginSettingsKey: KEY })).details).to.include({ field: 'api_token', reason: 'settings_key_mismatch' });
    await store.savePluginSettings({ plugin: 'test.audit', channel: null, settings: { active: true, configuration: { ...configuration, api_token: 'payhost-enc:v9:abc' } }, now: new Date() });
    const newer = await startFails(store, { pluginSettingsKey: KEY });
    expect(newer.details).to.include({ field: 'api_token', reason: 'settings_value_unreadable' });
    expect(newer.message).to.include('"v9"');
  });
});

describe('server configuration: server.pluginSettingsKey', () => {
  const parse = (server: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const document = testConfigDocument();
    return parseServerConfig({ ...document, server: { ...(document['server'] as object), ...server } }, fixturesDir, env);
  };
  const refusal = (server: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): PayhostError => {
    try {
      parse(server, env);
    } catch (err) {
      expect(isPayhostError(err, 'invalid_configuration'), String(err)).to.equal(true);
      return err as PayhostError;
    }
    return expect.fail('accepted');
  };

  it('takes 32 bytes as hex, base64 or base64url, from the file or an ${ENV} reference; none: no cipher', () => {
    const bytes = randomBytes(32);
    for (const text of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), `${bytes.toString('base64')}\n`]) {
      expect(parse({ pluginSettingsKey: text }).settingsCipher, text).to.not.equal(null);
    }
    expect(parse({ pluginSettingsKey: '${PAYHOST_SETTINGS_KEY}' }, { PAYHOST_SETTINGS_KEY: bytes.toString('base64') }).settingsCipher).to.not.equal(null);
    expect(parse({}).settingsCipher).to.equal(null);
  });

  it('refuses a key of the wrong size or encoding, an empty or unset one, and old keys without a key, naming the field, never the value', () => {
    const short = randomBytes(16).toString('base64');
    for (const [server, env, field] of [
      [{ pluginSettingsKey: short }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: randomBytes(31).toString('hex') }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: 'correct horse battery staple correct horse!' }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: '${PAYHOST_SETTINGS_KEY:-}' }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: '0'.repeat(64) }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: `${'A'.repeat(43)}=` }, {}, 'server.pluginSettingsKey'],
      [{ pluginSettingsKey: KEY, pluginSettingsOldKeys: [KEY, short] }, {}, 'server.pluginSettingsOldKeys.1'],
      [{ pluginSettingsOldKeys: [KEY] }, {}, 'server.pluginSettingsOldKeys'],
    ] as const) {
      const err = refusal(server, env);
      expect(err.details, JSON.stringify(server)).to.include({ field });
      expect(err.message).to.not.include(short);
      expect(err.message).to.not.include(KEY);
    }
    const unset = refusal({ pluginSettingsKey: '${PAYHOST_SETTINGS_KEY}' });
    expect(unset.details).to.include({ field: 'server.pluginSettingsKey', variable: 'PAYHOST_SETTINGS_KEY' });
  });

  it('keeps the key out of the parsed configuration as printed or serialized', () => {
    const config = parse({ pluginSettingsKey: KEY, pluginSettingsOldKeys: [OTHER_KEY] });
    expect(config.server).to.not.have.property('pluginSettingsKey');
    expect(config.server).to.not.have.property('pluginSettingsOldKeys');
    const hex = Buffer.from(KEY, 'base64').toString('hex');
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10, showHidden: true })]) {
      for (const secret of [KEY, OTHER_KEY, hex]) expect(text).to.not.include(secret);
    }
  });
});
