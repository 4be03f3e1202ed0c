import { expect } from 'chai';
import { ERROR_CODES, MemoryLedgerStore, PayhostError, type PluginSettings, type SavedPluginSettings } from '@payhost/core';
import { ADMIN_KEY, startTestServer, type TestServer } from './support/harness.js';

/**
 * Found by running two `payhost serve` on one database as an operator would: admin changes made on two
 * instances one after the other, and a database out of reach during a change.
 */

const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';
/** Longer than any test: no instance polls, so only the change itself can read the other's saves. */
const NEVER_POLL = 3_600_000;

/** A memory store whose saved-settings side fails as an unreachable PostgreSQL does, while `down`. */
class FlakyStore extends MemoryLedgerStore {
  down = false;

  override async listPluginSettings(afterRevision: number): Promise<SavedPluginSettings[]> {
    this.failIfDown();
    return super.listPluginSettings(afterRevision);
  }

  override async savePluginSettings(save: { plugin: string; channel: string | null; settings: PluginSettings | null; now: Date }): Promise<number> {
    this.failIfDown();
    return super.savePluginSettings(save);
  }

  private failIfDown(): void {
    // The message store-postgres gives a payment request (storeUnavailable in unavailable.ts).
    if (this.down) {
      throw new PayhostError(ERROR_CODES.storeUnavailable, 'The ledger database (postgres) cannot be reached; retry later with the same idempotency key', undefined, {
        cause: new Error('connect ECONNREFUSED 127.0.0.1:5432'),
      });
    }
  }
}

describe('server: admin changes of plugin configuration, as an operator runs them', () => {
  const servers: TestServer[] = [];
  const start = async (store: MemoryLedgerStore): Promise<TestServer> => {
    const server = await startTestServer({ store, kind: 'memory' }, { pluginSettingsPollMs: NEVER_POLL });
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('a change on one instance does not take back a change another instance saved before its next poll', async () => {
    const store = new MemoryLedgerStore();
    const a = await start(store);
    const b = await start(store);
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { public_key: 'pk_changed_on_a' } } })).status).to.equal(200);
    // Another admin, on b, changes another field of the same plugin before b has polled.
    const onB = await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } } });
    expect(onB.status).to.equal(200);
    expect(onB.body.configuration).to.include({ public_key: 'pk_changed_on_a', auto_capture: false });

    const [saved] = await store.listPluginSettings(0);
    expect(saved?.settings?.configuration).to.include({ public_key: 'pk_changed_on_a', auto_capture: false });
  });

  it('with the database out of reach, a change is refused with a message for an admin change, logged at warn, and undone', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    store.down = true;
    const put = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } });
    expect(put.status).to.equal(503);
    expect(put.body.code).to.equal('store_unavailable');
    expect(put.body.message).to.match(/plugin configuration not changed/i);
    expect(put.body.message).to.not.match(/idempotency/i);
    expect(put.body.details).to.deep.equal({ plugin: 'payhost.dummy', channel: 'us-store' });
    const withdraw = await a.request('DELETE', DUMMY_US, { key: ADMIN_KEY });
    expect(withdraw.status).to.equal(503);
    expect(withdraw.body.message).to.not.match(/idempotency/i);

    store.down = false;
    expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(true);
    expect(await store.listPluginSettings(0)).to.deep.equal([]);
    expect(a.logs.filter((line) => line.includes('"msg":"plugin configuration changed"'))).to.deep.equal([]);
  });

  it('a change whose save fails is logged at warn as undone, naming the plugin and channel', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    // The listing before the change answers; the save then fails.
    const save = store.savePluginSettings.bind(store);
    store.savePluginSettings = async (request) => {
      store.down = true;
      return save(request);
    };
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } })).status).to.equal(503);
    store.down = false;
    const undone = a.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'plugin configuration change not saved in the database: undone on this instance');
    expect(undone).to.have.length(1);
    expect(undone[0]).to.include({ level: 40, plugin: 'payhost.dummy', channel: 'us-store' });
    expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(true);
  });

  it('a saved change for a channel the file no longer has: logged at every start, withdrawn by DELETE (204), then no longer logged', async () => {
    const store = new MemoryLedgerStore();
    await store.savePluginSettings({ plugin: 'payhost.dummy', channel: 'gone-store', settings: { active: true, configuration: { supported_currencies: 'USD' } }, now: new Date() });
    const cannot = (server: TestServer) => server.logs.filter((line) => line.includes('a saved plugin configuration change cannot be applied'));
    const a = await start(store);
    expect(cannot(a)).to.have.length(1);
    // Without such a change, an unknown channel is still a 404; with one, the change is withdrawn.
    expect((await a.request('DELETE', '/admin/channels/other-gone/plugins/payhost.dummy', { key: ADMIN_KEY })).status).to.equal(404);
    const withdrawn = await a.request('DELETE', '/admin/channels/gone-store/plugins/payhost.dummy', { key: ADMIN_KEY });
    expect(withdrawn.status).to.equal(204);
    expect(withdrawn.text).to.equal('');
    const [saved] = await store.listPluginSettings(0);
    expect(saved).to.include({ plugin: 'payhost.dummy', channel: 'gone-store', settings: null });
    // Withdrawn already: a second DELETE is the plain 404 again.
    expect((await a.request('DELETE', '/admin/channels/gone-store/plugins/payhost.dummy', { key: ADMIN_KEY })).status).to.equal(404);
    const b = await start(store);
    expect(cannot(b)).to.deep.equal([]);
  });
});
