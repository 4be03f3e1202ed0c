import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { isPayhostError, pluginSettingsIn } from '@payhost/core';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { ADMIN_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * server.pluginSettingsKey on PostgreSQL: two instances on one schema share an admin change whose secret
 * is encrypted in table plugin_settings (read here with a client of its own), and an instance without
 * the key refuses to start on it.
 */
describePostgres('server: secrets of saved plugin settings encrypted in PostgreSQL', (pgc) => {
  const schema = pgc.newSchema('settings_key');
  const KEY = randomBytes(32).toString('base64');
  const SECRET = 'sk_dummy_pg_admin_secret_8844';
  const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';
  const servers: TestServer[] = [];
  const document = (server: Record<string, unknown>) => {
    const base = testConfigDocument({ pluginSettingsPollMs: 100 });
    return { ...base, server: { ...(base['server'] as object), databaseSchema: schema, ...server } };
  };
  const start = async (server: Record<string, unknown>): Promise<TestServer> => {
    const started = await startServer(document(server), { DATABASE_URL: pgc.url, PAYHOST_SETTINGS_KEY: KEY });
    servers.push(started);
    return started;
  };
  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('saves the secret encrypted, the other instance applies it decrypted, and one without the key does not start', async () => {
    const a = await start({ pluginSettingsKey: '${PAYHOST_SETTINGS_KEY}' });
    const b = await start({ pluginSettingsKey: '${PAYHOST_SETTINGS_KEY}' });
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: SECRET, auto_capture: false } } })).status).to.equal(200);

    const client = new pg.Client({ connectionString: pgc.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ settings: { configuration: Record<string, unknown> }; text: string }>(`SELECT settings, settings::text AS text FROM "${schema}".plugin_settings`);
      expect(rows).to.have.length(1);
      expect(rows[0]!.text).to.not.include(SECRET);
      expect(rows[0]!.settings.configuration['secret_key']).to.match(/^payhost-enc:v1:/);
      expect(rows[0]!.settings.configuration['auto_capture']).to.equal(false);
    } finally {
      await client.end();
    }

    for (let attempt = 0; attempt < 200 && pluginSettingsIn(b.server.manager.config, 'payhost.dummy', 'us-store')?.configuration['secret_key'] !== SECRET; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(pluginSettingsIn(b.server.manager.config, 'payhost.dummy', 'us-store')?.configuration).to.include({ secret_key: SECRET, auto_capture: false });

    const refused = await startServer(document({}), { DATABASE_URL: pgc.url }).then(
      async (started) => {
        await started.close();
        return null;
      },
      (err: unknown) => err,
    );
    expect(isPayhostError(refused, 'invalid_configuration'), String(refused)).to.equal(true);
    expect((refused as { details: Record<string, unknown> }).details).to.include({ plugin: 'payhost.dummy', field: 'secret_key', reason: 'settings_key_missing' });
    expect([...a.logs, ...b.logs].join('\n')).to.not.include(SECRET);
  });
});
