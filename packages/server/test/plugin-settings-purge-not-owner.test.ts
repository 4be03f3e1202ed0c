import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { ADMIN_KEY, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * PostgreSQL's VACUUM FULL by a role that does not own the table only warns and succeeds, the table left as
 * it was: a re-encryption run by such a role must say the replaced saves were not purged (its answer's
 * `purge`, and a warn log), not pass for a purge. Here the tables belong to the role that migrated them,
 * the server runs as another.
 */
describePostgres('server: re-encryption by a role that does not own plugin_settings', (pgc) => {
  const schema = pgc.newSchema('purge_not_owner');
  const { role, url: roleUrl } = pgc.newRole('purge_app');
  const KEY = randomBytes(32).toString('base64');
  const SIGNED_US = '/admin/channels/us-store/plugins/test.signed';
  const servers: TestServer[] = [];
  const start = async (url: string, server: Record<string, unknown>): Promise<TestServer> => {
    const base = testConfigDocument({ pluginSettingsPollMs: 3_600_000 });
    const started = await startServer({ ...base, server: { ...(base['server'] as object), databaseSchema: schema, ...server } }, { DATABASE_URL: url });
    servers.push(started);
    return started;
  };

  const fileOfTable = () => pgc.asOwner(async (c) => (await c.query<{ file: string }>(`SELECT pg_relation_filenode('"${schema}".plugin_settings')::text AS file`)).rows[0]!.file);

  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('answers the re-encryption with purge.purged false (plugin_settings_not_rewritten) and logs it at warn, naming the owner', async () => {
    // The owner migrates and saves a secret in plain text.
    const owner = await start(pgc.url, {});
    expect((await owner.request('PUT', SIGNED_US, { key: ADMIN_KEY, body: { configuration: { webhook_secret: 'whsec_pg_not_owner_plain_0042' } } })).status).to.equal(200);
    const ownerName = await pgc.asOwner(async (c) => {
      await c.query(`CREATE ROLE "${role}" LOGIN`);
      await c.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
      await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
      await c.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`);
      return (await c.query<{ name: string }>('SELECT current_user::text AS name')).rows[0]!.name;
    });
    const before = await fileOfTable();
    const keyed = await start(roleUrl, { pluginSettingsKey: KEY });
    const answer = await keyed.request('POST', '/admin/plugin-settings/reencrypt', { key: ADMIN_KEY });
    expect(answer.status, answer.text).to.equal(200);
    expect(answer.body.reencrypted).to.have.length(1);
    // The answer says the purge did not happen, and why (the role and the owner, nothing secret).
    expect(answer.body.purge).to.have.all.keys('purged', 'reason', 'message');
    expect(answer.body.purge).to.deep.include({ purged: false, reason: 'plugin_settings_not_rewritten' });
    expect(answer.body.purge.message).to.include(`the database role "${role}" does not own it (its owner is "${ownerName}")`);
    expect(answer.text).to.not.include('whsec_pg_not_owner_plain_0042');
    // Not rewritten (the review's finding), and said so.
    expect(await fileOfTable()).to.equal(before);
    const warned = keyed.logs.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string; details?: unknown } }).filter((entry) => entry.msg.includes('could not be purged'));
    expect(warned).to.have.length(1);
    expect(warned[0]!.level).to.equal(40);
    expect(warned[0]!.err?.message).to.include(`the database role "${role}" does not own it (its owner is "${ownerName}")`);
    expect(warned[0]!.err?.details).to.deep.include({ reason: 'plugin_settings_not_rewritten', role, owner: ownerName });
    // The re-encryption stands.
    expect((await keyed.request('GET', SIGNED_US, { key: ADMIN_KEY })).body.configuration.webhook_secret).to.equal('****0042');
  });
});
