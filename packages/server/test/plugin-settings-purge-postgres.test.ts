import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { ADMIN_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * On PostgreSQL, a re-encryption rewrites table plugin_settings (VACUUM FULL, run by the server's own
 * role, outside a transaction): the replaced rows, with the secrets they held, leave the table's files.
 * The server's WAL, archives, replicas and backups are the server's (operating.md says so).
 */
describePostgres('server: re-encryption rewrites plugin_settings on PostgreSQL', (pgc) => {
  const schema = pgc.newSchema('settings_purge');
  const KEY = randomBytes(32).toString('base64');
  const SIGNED_US = '/admin/channels/us-store/plugins/test.signed';
  const servers: TestServer[] = [];
  const start = async (server: Record<string, unknown>): Promise<TestServer> => {
    const base = testConfigDocument({ pluginSettingsPollMs: 3_600_000 });
    const started = await startServer({ ...base, server: { ...(base['server'] as object), databaseSchema: schema, ...server } }, { DATABASE_URL: pgc.url });
    servers.push(started);
    return started;
  };
  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function fileOfTable(): Promise<string> {
    const client = new pg.Client({ connectionString: pgc.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ file: string }>(`SELECT pg_relation_filenode('"${schema}".plugin_settings')::text AS file`);
      return rows[0]!.file;
    } finally {
      await client.end();
    }
  }

  it('the table is in a new file after POST /admin/plugin-settings/reencrypt, the settings as they were', async () => {
    const keyless = await start({});
    expect((await keyless.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: 'whsec_pg_plain_before_key_0077' } } })).status).to.equal(200);
    const before = await fileOfTable();
    const keyed = await start({ pluginSettingsKey: KEY });
    const answer = await keyed.request('POST', '/admin/plugin-settings/reencrypt', { key: ADMIN_KEY });
    expect(answer.status).to.equal(200);
    expect(answer.body.reencrypted).to.have.length(1);
    expect(answer.body.purge).to.deep.equal({ purged: true });
    expect(await fileOfTable()).to.not.equal(before);
    expect(keyed.logs.filter((line) => line.includes('could not be purged'))).to.deep.equal([]);
    expect((await keyed.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret).to.equal('****0077');
  });
});
