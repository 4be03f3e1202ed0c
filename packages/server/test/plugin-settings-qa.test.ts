import { expect } from 'chai';
import { ERROR_CODES, MemoryLedgerStore, PayhostError, type PluginSettingsSave, type SavedPluginSettings } from '@payhost/core';
import { ADMIN_KEY, instancesOnOneStore, type TestServer } from './support/harness.js';

/**
 * Found by running two `payhost serve` on one database as an operator would: admin changes made on two
 * instances one after the other, and a database out of reach during a change.
 */

const DUMMY_US = '/admin/channels/us-store/plugins/payhost.dummy';

const gatewaysOf = async (t: TestServer): Promise<string[]> => {
  const listed = await t.request('GET', '/channels/us-store/gateways?currency=USD');
  return (listed.body.gateways as Array<{ id: string }>).map((g) => g.id);
};

/** A memory store whose saved-settings side fails as an unreachable PostgreSQL does, while `down`. */
class FlakyStore extends MemoryLedgerStore {
  down = false;
  /** While set, a save waits for `released` (a slow database), then fails if `down` by then. */
  private held: { released: Promise<void>; reached: () => void; which: (save: PluginSettingsSave) => boolean } | null = null;

  /** Holds the next saves (those `which` picks): `reached` resolves once one is waiting, `release` lets them go on. */
  holdSaves(which: (save: PluginSettingsSave) => boolean = () => true): { reached: Promise<void>; release: () => void } {
    let release = (): void => undefined;
    let reached = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.held = { released, reached, which };
    return {
      reached: reachedPromise,
      release: () => {
        this.held = null;
        release();
      },
    };
  }

  override async listPluginSettings(afterRevision: number): Promise<SavedPluginSettings[]> {
    this.failIfDown();
    return super.listPluginSettings(afterRevision);
  }

  override async savePluginSettings(save: PluginSettingsSave): Promise<number> {
    if (this.held?.which(save)) {
      this.held.reached();
      await this.held.released;
    }
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
  const start = instancesOnOneStore();

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

  it('two changes of one plugin on two instances at the same moment: the later is made over the earlier, no field goes back', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    const b = await start(store);
    // a has read the saves and built its change; before its save lands, b saves a change of another field.
    const hold = store.holdSaves((save) => save.settings?.configuration['public_key'] === 'pk_changed_on_a');
    const onA = a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { public_key: 'pk_changed_on_a' } } });
    try {
      await hold.reached;
      const onB = await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } } });
      expect(onB.status).to.equal(200);
    } finally {
      hold.release();
    }
    const done = await onA;
    expect(done.status).to.equal(200);
    expect(done.body.configuration).to.include({ public_key: 'pk_changed_on_a', auto_capture: false });
    const [saved, ...others] = await store.listPluginSettings(0);
    expect(others).to.deep.equal([]);
    expect(saved?.settings?.configuration).to.include({ public_key: 'pk_changed_on_a', auto_capture: false });
    expect(done.headers.get('etag')).to.equal(`"${saved!.revision}"`);
  });

  it('a change sent with If-Match is refused (412) when another instance saved a change between its read and its save', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    const b = await start(store);
    const read = await a.request('GET', DUMMY_US, { key: ADMIN_KEY });
    const hold = store.holdSaves((save) => save.settings?.active === false);
    const onA = a.request('PUT', DUMMY_US, { key: ADMIN_KEY, headers: { 'if-match': read.headers.get('etag') as string }, body: { active: false } });
    let bRevision: number;
    try {
      await hold.reached;
      const onB = await b.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { configuration: { auto_capture: false } } });
      expect(onB.status).to.equal(200);
      bRevision = Number(JSON.parse(onB.headers.get('etag') as string));
    } finally {
      hold.release();
    }
    const refused = await onA;
    expect(refused.status).to.equal(412);
    expect(refused.body).to.include({ code: 'configuration_changed' });
    expect(refused.body.details).to.deep.equal({ plugin: 'payhost.dummy', channel: 'us-store', revision: bRevision });
    // b's change is the one saved, and a now serves it (it read it to answer), still active.
    const [saved] = await store.listPluginSettings(0);
    expect(saved).to.include({ revision: bRevision });
    expect(saved?.settings).to.deep.include({ active: true });
    const now = await a.request('GET', DUMMY_US, { key: ADMIN_KEY });
    expect(now.body).to.deep.include({ active: true });
    expect(now.body.configuration).to.include({ auto_capture: false });
    expect(await gatewaysOf(a)).to.include('payhost.dummy');
  });

  it('with the database out of reach, a change is refused with a message for an admin change, and changes nothing', async () => {
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

  it('while the save of a change is pending, the instance serves the configuration it had; the change is in force once saved', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    const version = a.server.manager.configVersion;
    const hold = store.holdSaves();
    const put = a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } });
    try {
      await hold.reached;
      expect(await gatewaysOf(a), 'the listing before the save').to.include('payhost.dummy');
      expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(true);
      expect(a.server.manager.configVersion).to.equal(version);
    } finally {
      hold.release(); // else the server's close would wait for the change
    }
    const done = await put;
    expect(done.status).to.equal(200);
    expect(done.body.active).to.equal(false);
    expect(await gatewaysOf(a)).to.not.include('payhost.dummy');
    expect(a.server.manager.configVersion).to.equal(version + 1);
    const [changed] = a.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'plugin configuration changed');
    expect(changed).to.include({ active: false, wasActive: true, configVersion: version + 1 });
  });

  it('a change whose save fails was never in force: nothing changed, no rebuild, logged at warn as not applied', async () => {
    const store = new FlakyStore();
    const a = await start(store);
    const version = a.server.manager.configVersion;
    // The listing before the change answers; the save then fails.
    const hold = store.holdSaves();
    const put = a.request('PUT', DUMMY_US, { key: ADMIN_KEY, body: { active: false } });
    try {
      await hold.reached;
      expect(await gatewaysOf(a)).to.include('payhost.dummy');
    } finally {
      store.down = true;
      hold.release();
    }
    expect((await put).status).to.equal(503);
    store.down = false;

    expect(a.server.manager.configVersion, 'no version was swapped in, nor one undone').to.equal(version);
    const lines = a.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const notApplied = lines.filter((line) => line['msg'] === 'plugin configuration change not saved in the database: not applied');
    expect(notApplied).to.have.length(1);
    expect(notApplied[0]).to.include({ level: 40, plugin: 'payhost.dummy', channel: 'us-store', configVersion: version });
    expect(lines.filter((line) => String(line['msg']).includes('undone'))).to.deep.equal([]);
    expect((await a.request('GET', DUMMY_US, { key: ADMIN_KEY })).body.active).to.equal(true);
    expect(await gatewaysOf(a)).to.include('payhost.dummy');
    expect(await store.listPluginSettings(0)).to.deep.equal([]);
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
