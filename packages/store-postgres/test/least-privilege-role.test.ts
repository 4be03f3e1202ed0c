import { expect } from 'chai';
import { createPostgresStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';

/**
 * An application role with least privilege: USAGE on a schema another role migrated, and the rights on its
 * tables, but no CREATE. It must open the store (nothing to migrate) and use it; PostgreSQL checks CREATE
 * for CREATE TABLE IF NOT EXISTS even when the table exists, so start-up asks first.
 */
describePostgres('postgres store: a role without CREATE on an already migrated schema', (pgc) => {
  const schema = pgc.newSchema('least_privilege');
  const { role, url: roleUrl } = pgc.newRole('least_privilege_app');

  it('opens the store and writes through it, the schema unchanged', async () => {
    const owner = await createPostgresStore({ connectionString: pgc.url, schema });
    const version = await owner.schemaVersion();
    await owner.close();
    await pgc.createAppRole(role, schema);
    await pgc.asOwner(async (c) => {
      const [create] = (await c.query<{ can: boolean }>(`SELECT has_schema_privilege($1, $2, 'CREATE') AS can`, [role, schema])).rows;
      expect(create?.can, 'the role was given CREATE').to.equal(false);
    });
    const app = await createPostgresStore({ connectionString: roleUrl, schema });
    try {
      expect(await app.schemaVersion()).to.equal(version);
      expect(await app.savePluginSettings({ plugin: 'test.plugin', channel: 'web', settings: { active: true, configuration: {} }, now: new Date() })).to.be.a('number');
      expect((await app.listPluginSettings(0)).map((save) => save.plugin)).to.deep.equal(['test.plugin']);
    } finally {
      await app.close();
    }
  });
});
