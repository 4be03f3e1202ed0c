import { expect } from 'chai';
import { MemoryLedgerStore, type LedgerStore } from '@payhost/core';
import { ADMIN_KEY, startTestServer } from './support/harness.js';

/**
 * A saved change (admin API, in the database) holding a field the plugin no longer declares (an older
 * plugin version saved it): the server starts, warns once naming the plugin, channel, revision and fields
 * (never a value) and ignores them; a PUT changing nothing saves the change again without them.
 */
const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';
const LEGACY_VALUE = 'sk_legacy_value_never_logged_9999';

const saves = (store: LedgerStore) => (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);

describe('server: saved plugin settings with fields the plugin does not declare', () => {
  it('start-up warns naming plugin, channel and fields (not values), ignores them; a PUT stores the change without them', async () => {
    const store = new MemoryLedgerStore();
    await store.savePluginSettings!({
      plugin: 'payhost.dummy',
      channel: 'us-store',
      settings: { active: true, configuration: { secret_key: 'sk_dummy_saved_1234', legacy_field: LEGACY_VALUE, old_mode: 'x' } },
      now: new Date('2025-01-02T03:04:05.000Z'),
    });
    const first = await startTestServer({ store, kind: 'memory' });
    try {
      const lines = first.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      const warned = lines.filter((l) => l['reason'] === 'undeclared_fields');
      expect(warned).to.have.length(1);
      expect(warned[0]).to.deep.include({ level: 40, plugin: 'payhost.dummy', channel: 'us-store', revision: 1, fields: ['legacy_field', 'old_mode'] });
      expect(warned[0]?.['msg']).to.include('"payhost.dummy" (channel "us-store", revision 1)').and.include('"legacy_field", "old_mode"');
      // Said once, with where it comes from: not also the generic "dropped" line.
      expect(lines.filter((l) => String(l['msg']).startsWith('Unknown configuration field'))).to.deep.equal([]);
      expect(first.logs.filter((line) => line.includes(LEGACY_VALUE))).to.deep.equal([]);
      // The declared fields of the save are in force.
      const got = await first.request('GET', DUMMY_US, { key: ADMIN_KEY });
      expect(got.body.configuration).to.not.have.property('legacy_field');

      // A PUT changing nothing stores the change again, without the undeclared fields.
      const put = await first.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: true } });
      expect(put.status).to.equal(200);
      const latest = await saves(store);
      expect(latest).to.have.length(1);
      expect(latest[0]?.revision).to.equal(2);
      expect(latest[0]?.settings?.configuration).to.include({ secret_key: 'sk_dummy_saved_1234' }).and.not.have.any.keys('legacy_field', 'old_mode');
    } finally {
      await first.close();
    }
  });
});
