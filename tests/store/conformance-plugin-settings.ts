import { expect } from 'chai';
import type { LedgerStore, PluginSettings, PluginSettingsStore, SavedPluginSettings } from '@payhost/core';
import { PayhostError, pluginSettingsStore } from '@payhost/core';
import { at, uid } from './fixtures.js';

/**
 * Saved plugin settings (`PluginSettingsStore`) in the LedgerStore conformance suite. The suite may
 * share its database with other runs, so each test looks only at its own plugins, and at revisions
 * relative to the ones its saves answered.
 */
export function describePluginSettings(getStore: () => LedgerStore): void {
  let store: PluginSettingsStore;
  // Registered after the suite's own `before` that opens the store, so it runs after it.
  before(() => {
    const found = pluginSettingsStore(getStore());
    if (!found) throw new Error('the store keeps no plugin settings (listPluginSettings/savePluginSettings)');
    store = found;
  });

  const settings = (active: boolean, configuration: PluginSettings['configuration'] = {}): PluginSettings => ({ active, configuration });
  /** Every save of these plugins with a revision above `after`, as listed. */
  const listed = async (plugins: string[], after = 0): Promise<SavedPluginSettings[]> =>
    (await store.listPluginSettings(after)).filter((saved) => plugins.includes(saved.plugin));

  describe('saved plugin settings', () => {
    it('saves a plugin\'s settings and lists them back field for field', async () => {
      const plugin = uid('plugin');
      const saved = settings(true, { apiKey: 'sk_test_1', automaticCapture: false });
      const revision = await store.savePluginSettings({ plugin, channel: 'web', settings: saved, now: at(5) });
      expect(Number.isSafeInteger(revision) && revision > 0, `revision ${revision}`).to.equal(true);
      const [row, ...more] = await listed([plugin]);
      expect(more).to.deep.equal([]);
      expect(row).to.deep.equal({ plugin, channel: 'web', settings: saved, revision, savedAt: at(5) });
      expect(row!.savedAt).to.be.instanceOf(Date);
      expect(await listed([plugin], revision - 1)).to.deep.equal([row]);
    });

    it('replaces the save of the same plugin and channel with a higher revision', async () => {
      const plugin = uid('plugin');
      const first = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { mode: 'first' }), now: at(1) });
      const second = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(false, { mode: 'second' }), now: at(2) });
      expect(second).to.be.greaterThan(first);
      expect(await listed([plugin])).to.deep.equal([{ plugin, channel: 'web', settings: settings(false, { mode: 'second' }), revision: second, savedAt: at(2) }]);
    });

    it('keeps a global save (null channel) and each channel\'s apart', async () => {
      const plugin = uid('plugin');
      const global = await store.savePluginSettings({ plugin, channel: null, settings: settings(true, { scope: 'global' }), now: at(1) });
      const web = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { scope: 'web' }), now: at(2) });
      const shop = await store.savePluginSettings({ plugin, channel: 'shop', settings: settings(false, { scope: 'shop' }), now: at(3) });
      const webAgain = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(false, { scope: 'web again' }), now: at(4) });
      expect(await listed([plugin])).to.deep.equal([
        { plugin, channel: null, settings: settings(true, { scope: 'global' }), revision: global, savedAt: at(1) },
        { plugin, channel: 'shop', settings: settings(false, { scope: 'shop' }), revision: shop, savedAt: at(3) },
        { plugin, channel: 'web', settings: settings(false, { scope: 'web again' }), revision: webAgain, savedAt: at(4) },
      ]);
      expect(web).to.be.lessThan(shop);
      // Another plugin's save in the same channel is its own row too.
      const other = uid('plugin');
      await store.savePluginSettings({ plugin: other, channel: null, settings: settings(true), now: at(5) });
      expect((await listed([plugin, other])).map((s) => [s.plugin, s.channel])).to.deep.equal([
        [plugin, null],
        [plugin, 'shop'],
        [plugin, 'web'],
        [other, null],
      ]);
    });

    it('keeps a withdrawn change (null settings), and a later save replaces the withdrawal', async () => {
      const plugin = uid('plugin');
      await store.savePluginSettings({ plugin, channel: null, settings: settings(true, { key: 'a' }), now: at(1) });
      const withdrawn = await store.savePluginSettings({ plugin, channel: null, settings: null, now: at(2) });
      expect(await listed([plugin])).to.deep.equal([{ plugin, channel: null, settings: null, revision: withdrawn, savedAt: at(2) }]);
      const again = await store.savePluginSettings({ plugin, channel: null, settings: settings(false), now: at(3) });
      expect(await listed([plugin], withdrawn)).to.deep.equal([{ plugin, channel: null, settings: settings(false), revision: again, savedAt: at(3) }]);
    });

    it('lists only the saves after a revision, in revision order', async () => {
      const [a, b, c] = [uid('plugin_a'), uid('plugin_b'), uid('plugin_c')];
      const ra = await store.savePluginSettings({ plugin: c, channel: null, settings: settings(true), now: at(3) });
      const rb = await store.savePluginSettings({ plugin: a, channel: 'web', settings: settings(true), now: at(1) });
      const rc = await store.savePluginSettings({ plugin: b, channel: null, settings: settings(false), now: at(2) });
      expect(ra).to.be.lessThan(rb);
      expect(rb).to.be.lessThan(rc);
      // By revision, not by plugin or time.
      expect((await listed([a, b, c])).map((s) => s.revision)).to.deep.equal([ra, rb, rc]);
      expect((await listed([a, b, c], ra)).map((s) => s.plugin)).to.deep.equal([a, b]);
      expect((await listed([a, b, c], rb)).map((s) => s.plugin)).to.deep.equal([b]);
      expect(await listed([a, b, c], rc)).to.deep.equal([]);
      const all = await store.listPluginSettings(ra);
      expect(all.every((s) => s.revision > ra)).to.equal(true);
      expect(all.map((s) => s.revision)).to.deep.equal([...all.map((s) => s.revision)].sort((x, y) => x - y));
      // Replacing the first save moves it after the others.
      const again = await store.savePluginSettings({ plugin: c, channel: null, settings: settings(false), now: at(4) });
      expect((await listed([a, b, c], ra)).map((s) => [s.plugin, s.revision])).to.deep.equal([
        [a, rb],
        [b, rc],
        [c, again],
      ]);
    });

    it('keeps configuration values exactly: strings, ${ENV} references, booleans, null', async () => {
      const plugin = uid('plugin');
      const configuration = {
        apiKey: '${STRIPE_SECRET_KEY}',
        webhookSecret: 'whsec_${PART}_x',
        note: 'caf\u00e9 \u65e5\u672c \ud83d\ude00 "quoted" \\ back\nline',
        empty: '',
        nullText: 'null',
        numberText: '0012.50',
        automaticCapture: true,
        sandbox: false,
        region: null,
      };
      const revision = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(false, configuration), now: at(1) });
      const [row] = await listed([plugin]);
      expect(row).to.deep.equal({ plugin, channel: 'web', settings: { active: false, configuration }, revision, savedAt: at(1) });
      expect(Object.keys(row!.settings!.configuration)).to.have.members(Object.keys(configuration));
    });

    it('saves over a revision (ifRevision) only while it is the latest save of that plugin and channel', async () => {
      const plugin = uid('plugin');
      // 0: nothing saved yet.
      const first = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { mode: 'first' }), now: at(1), ifRevision: 0 });
      const second = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { mode: 'second' }), now: at(2), ifRevision: first });
      // Another plugin's or channel's saves do not count.
      const otherChannel = await store.savePluginSettings({ plugin, channel: 'shop', settings: settings(true), now: at(3), ifRevision: 0 });
      expect(otherChannel).to.be.greaterThan(second);
      for (const stale of [0, first, second + 1000]) {
        const refused = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(false, { mode: 'stale' }), now: at(4), ifRevision: stale }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(refused, `over revision ${stale}`).to.be.instanceOf(PayhostError);
        expect(refused).to.include({ code: 'configuration_changed' });
        expect((refused as PayhostError).details).to.deep.equal({ plugin, channel: 'web', revision: second });
      }
      // Nothing of the refused saves was kept, and the next revision is still handed out in order.
      expect((await listed([plugin])).find((s) => s.channel === 'web')).to.deep.equal({ plugin, channel: 'web', settings: settings(true, { mode: 'second' }), revision: second, savedAt: at(2) });
      const withdrawn = await store.savePluginSettings({ plugin, channel: 'web', settings: null, now: at(5), ifRevision: second });
      expect(withdrawn).to.be.greaterThan(otherChannel);
      // A global plugin's save, over none and then over its own.
      const global = await store.savePluginSettings({ plugin, channel: null, settings: settings(true), now: at(6), ifRevision: 0 });
      const refusedGlobal = await store.savePluginSettings({ plugin, channel: null, settings: settings(false), now: at(7), ifRevision: 0 }).catch((err: unknown) => err);
      expect(refusedGlobal).to.include({ code: 'configuration_changed' });
      expect((refusedGlobal as PayhostError).details).to.deep.equal({ plugin, channel: null, revision: global });
    });

    it('of two saves over the same revision, exactly one is made', async () => {
      const plugin = uid('plugin');
      const base = await store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { mode: 'base' }), now: at(1) });
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((mode) => store.savePluginSettings({ plugin, channel: 'web', settings: settings(true, { mode }), now: at(2), ifRevision: base })),
      );
      const made = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(made).to.have.length(1);
      expect(refused.map((r) => (r.reason as PayhostError).code)).to.deep.equal(['configuration_changed', 'configuration_changed', 'configuration_changed']);
      const [row] = await listed([plugin]);
      expect(row!.revision).to.equal((made[0] as PromiseFulfilledResult<number>).value);
    });

    it('hands out copies: changing a listed result or the saved argument does not change the store', async () => {
      const plugin = uid('plugin');
      const saved = settings(true, { key: 'original' });
      await store.savePluginSettings({ plugin, channel: null, settings: saved, now: at(1) });
      saved.configuration.key = 'changed by the caller';
      const [first] = await listed([plugin]);
      first!.settings!.configuration.key = 'changed by a reader';
      first!.savedAt.setTime(0);
      const [again] = await listed([plugin]);
      expect(again!.settings).to.deep.equal(settings(true, { key: 'original' }));
      expect(again!.savedAt.getTime()).to.equal(at(1).getTime());
    });
  });
}
