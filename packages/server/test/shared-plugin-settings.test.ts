import { expect } from 'chai';
import { MemoryLedgerStore, type LedgerStore } from '@payhost/core';
import { ADMIN_KEY, startTestServer, type TestServer } from './support/harness.js';

/**
 * Admin changes of plugin configuration are saved in the store and applied by every instance on it.
 * Two servers on one MemoryLedgerStore object stand for two instances on one database here (the
 * PostgreSQL case: tests/server/two-processes.test.ts).
 */

const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';

/** Asks until `check` holds (another instance applies a change at its next poll), or fails after many polls. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect.fail(`never: ${what}`);
}

const gatewaysOf = async (t: TestServer): Promise<string[]> => {
  const listed = await t.request('GET', '/channels/us-store/gateways?currency=USD');
  return (listed.body.gateways as Array<{ id: string }>).map((g) => g.id);
};

describe('server: admin changes of plugin configuration are shared through the store', () => {
  let store: LedgerStore;
  let a: TestServer;
  let b: TestServer;

  beforeEach(async () => {
    store = new MemoryLedgerStore();
    a = await startTestServer({ store, kind: 'memory' }, { pluginSettingsPollMs: 100 });
    b = await startTestServer({ store, kind: 'memory' }, { pluginSettingsPollMs: 100 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('a change on one instance reaches the other at its next poll, and a new instance starts with it', async () => {
    expect(await gatewaysOf(b)).to.include('payhost.dummy');
    const put = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } });
    expect(put.status).to.equal(200);
    expect(await gatewaysOf(a)).to.not.include('payhost.dummy');
    await eventually(async () => !(await gatewaysOf(b)).includes('payhost.dummy'), 'instance b applies the deactivation');
    expect(b.logs.some((line) => line.includes('plugin configuration change applied from the database'))).to.equal(true);

    const c = await startTestServer({ store, kind: 'memory' });
    try {
      expect(await gatewaysOf(c)).to.not.include('payhost.dummy');
      expect((await c.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(false);
    } finally {
      await c.close();
    }
  });

  it('saves the settings, secrets included, and a masked secret sent back keeps the saved one on every instance', async () => {
    const put = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: 'sk_dummy_rotated_secret_4321' } } });
    expect(put.status).to.equal(200);
    expect(put.body.configuration.secret_key).to.not.include('rotated');
    const [saved] = await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);
    expect(saved).to.include({ plugin: 'payhost.dummy', channel: 'us-store' });
    expect(saved?.settings?.configuration['secret_key']).to.equal('sk_dummy_rotated_secret_4321');

    await eventually(async () => (await b.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.configuration.secret_key === put.body.configuration.secret_key, 'b shows the new secret, masked');
    // b's admin screen sends the masked value back with another change: the secret stays the rotated one.
    const masked = (await b.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.configuration.secret_key as string;
    expect((await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { secret_key: masked, auto_capture: false } } })).status).to.equal(200);
    const latest = await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);
    expect(latest).to.have.length(1);
    expect(latest[0]?.settings?.configuration).to.include({ secret_key: 'sk_dummy_rotated_secret_4321', auto_capture: false });
    // No log line of either instance holds the saved secret.
    expect([...a.logs, ...b.logs].filter((line) => line.includes('sk_dummy_rotated_secret_4321'))).to.deep.equal([]);
  });

  it('a refused change is neither applied nor saved', async () => {
    const refused = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { supported_currencies: 'USD,XXX1' } } });
    expect(refused.status).to.be.within(400, 499);
    expect(await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0)).to.deep.equal([]);
    expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.configuration.supported_currencies).to.equal('USD,EUR,JPY,KWD');
  });

  it('DELETE withdraws the change: the file\'s settings apply again on every instance, and after a restart', async () => {
    await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false, configuration: { auto_capture: false } } });
    await eventually(async () => !(await gatewaysOf(b)).includes('payhost.dummy'), 'b applies the change');

    const withdrawn = await b.request('DELETE', DUMMY_US, { key: ADMIN_KEY });
    expect(withdrawn.status).to.equal(200);
    expect(withdrawn.body).to.include({ active: true });
    expect(withdrawn.body.configuration.auto_capture).to.equal(true);
    await eventually(async () => (await gatewaysOf(a)).includes('payhost.dummy'), 'a applies the withdrawal');
    expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.configuration.auto_capture).to.equal(true);

    const c = await startTestServer({ store, kind: 'memory' });
    try {
      expect(await gatewaysOf(c)).to.include('payhost.dummy');
    } finally {
      await c.close();
    }
  });

  it('DELETE of a plugin or channel that does not exist is a 4xx that changes nothing', async () => {
    expect((await a.request('DELETE', '/admin/channels/us-store/plugins/no.such', { key: ADMIN_KEY })).status).to.equal(404);
    expect((await a.request('DELETE', '/admin/channels/nowhere/plugins/payhost.dummy', { key: ADMIN_KEY })).status).to.equal(404);
    expect((await a.request('DELETE', DUMMY_US, { key: null })).status).to.equal(401);
    expect(await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0)).to.deep.equal([]);
  });

  it('DELETE with no saved change in force saves nothing and rebuilds nothing, answering as a withdrawal does (200, the configuration, its ETag)', async () => {
    const rows = () => (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);
    const changedLogs = () => a.logs.filter((line) => line.includes('"msg":"plugin configuration changed"'));
    const version = a.server.manager.configVersion;
    const read = await a.request('GET', DUMMY_US, { key: ADMIN_KEY });
    const never = await a.request('DELETE', DUMMY_US, { key: ADMIN_KEY });
    expect(never.status).to.equal(200);
    expect(never.body).to.deep.equal(read.body);
    expect(never.headers.get('etag')).to.equal('"0"');
    const global = await a.request('DELETE', '/admin/global/plugins/test.audit', { key: ADMIN_KEY, headers: { 'if-match': '"0"' } });
    expect(global.status).to.equal(200);
    expect(global.body).to.include({ id: 'test.audit', active: true });
    expect(global.headers.get('etag')).to.equal('"0"');
    expect(await rows()).to.deep.equal([]);
    expect(a.server.manager.configVersion).to.equal(version);
    expect(changedLogs()).to.deep.equal([]);

    // Once withdrawn, a second DELETE changes nothing either: no third revision, no rebuild.
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } })).status).to.equal(200);
    const withdrawn = await a.request('DELETE', DUMMY_US, { key: ADMIN_KEY });
    expect(withdrawn.headers.get('etag')).to.equal('"2"');
    const afterWithdrawal = a.server.manager.configVersion;
    const again = await a.request('DELETE', DUMMY_US, { key: ADMIN_KEY, headers: { 'if-match': '"2"' } });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(withdrawn.body);
    expect(again.headers.get('etag')).to.equal('"2"');
    expect((await rows()).map((row) => [row.revision, row.settings])).to.deep.equal([[2, null]]);
    expect(a.server.manager.configVersion).to.equal(afterWithdrawal);
    expect(changedLogs()).to.have.length(2);
    // If-Match still holds: b read revision 0 before both saves, so its DELETE is refused, not a no-op.
    const stale = await b.request('DELETE', DUMMY_US, { key: ADMIN_KEY, headers: { 'if-match': '"0"' } });
    expect(stale.status).to.equal(412);
    expect(stale.body.details).to.include({ revision: 2 });
  });

  it('GET answers the revision as an ETag; a change naming an older one (If-Match) is 412 configuration_changed, on any instance, and changes nothing', async () => {
    const read = await b.request('GET', DUMMY_US, { key: ADMIN_KEY });
    expect(read.headers.get('etag')).to.equal('"0"');
    const first = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } }, headers: { 'if-match': '"0"' } });
    expect(first.status).to.equal(200);
    expect(first.headers.get('etag')).to.equal('"1"');
    // b's admin screen still shows revision 0 (b has not polled yet): its whole-form save would take back a's change.
    const stale = await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: true, configuration: { auto_capture: true } }, headers: { 'if-match': read.headers.get('etag') ?? '' } });
    expect(stale.status).to.equal(412);
    expect(stale.body).to.include({ code: 'configuration_changed' });
    expect(stale.body.details).to.include({ plugin: 'payhost.dummy', channel: 'us-store', revision: 1 });
    expect((await b.request('DELETE', DUMMY_US, { key: ADMIN_KEY, headers: { 'if-match': 'W/"0"' } })).status).to.equal(412);
    const saved = await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0);
    expect(saved.map((entry) => [entry.revision, entry.settings?.configuration['auto_capture']])).to.deep.equal([[1, false]]);

    const again = await b.request('GET', DUMMY_US, { key: ADMIN_KEY });
    expect(again.headers.get('etag')).to.equal('"1"');
    expect(again.body.configuration.auto_capture).to.equal(false);
    const over = await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: true } }, headers: { 'if-match': '"1"' } });
    expect(over.status).to.equal(200);
    expect(over.headers.get('etag')).to.equal('"2"');
    // Without If-Match, or with *, a change is made over whatever is saved.
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: true }, headers: { 'if-match': '*' } })).status).to.equal(200);
    expect((await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: true } })).status).to.equal(200);
  });

  it('refuses an If-Match that is not an ETag this API answers, with invalid_input', async () => {
    for (const ifMatch of ['1', '"one"', '"-1"', '"1", "2"']) {
      const answer = await a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false }, headers: { 'if-match': ifMatch } });
      expect(answer.status, ifMatch).to.equal(400);
      expect(answer.body.code).to.equal('invalid_input');
    }
    expect(await (store.listPluginSettings as NonNullable<LedgerStore['listPluginSettings']>)(0)).to.deep.equal([]);
  });
});
