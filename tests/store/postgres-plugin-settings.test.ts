import { expect } from 'chai';
import type { PluginSettings } from '@payhost/core';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../ledger/support/postgres.js';
import { at } from './fixtures.js';

/**
 * Saved plugin settings across processes: two stores with their own pools on one schema (as two
 * server instances), saving at once while a third polls.
 */
describePostgres('saved plugin settings across store instances', (pg) => {
  const stores: SqlLedgerStore[] = [];
  after(async () => {
    for (const store of stores) await store.close();
  });

  it('gives concurrent saves unique, contiguous revisions, and a polling reader never sees one appear below one it saw', async () => {
    const schema = pg.newSchema('settings');
    const open = async () => {
      const store = await createPostgresStore({ connectionString: pg.url, schema, pool: { max: 8 } });
      stores.push(store);
      return store;
    };
    const [a, b, reader] = [await open(), await open(), await open()];
    const keys = [null, 'web', 'shop'].flatMap((channel) => ['payhost.stripe', 'payhost.razorpay'].map((plugin) => ({ plugin, channel })));
    const SAVES = 90;
    const settingsOf = (i: number): PluginSettings => ({ active: i % 2 === 0, configuration: { save: String(i), secret: '${SECRET}' } });

    // The reader polls as the consumer does, and also keeps every revision it has ever seen: a revision new to
    // it must be above the highest it saw before (else a save committed after a later one was already visible).
    const seen = new Set<number>();
    const outOfOrder: string[] = [];
    let highest = 0;
    let polls = 0;
    let saving = true;
    const poll = async () => {
      const rows = await reader.listPluginSettings(0);
      polls += 1;
      const before = highest;
      for (const row of rows) {
        if (!seen.has(row.revision) && row.revision <= before) outOfOrder.push(`revision ${row.revision} appeared after ${before} was seen`);
        seen.add(row.revision);
        highest = Math.max(highest, row.revision);
      }
    };
    const polling = (async () => {
      while (saving) await poll();
      await poll();
    })();

    const saves = Array.from({ length: SAVES }, (_, i) => ({ i, ...keys[i % keys.length]! }));
    let revisions: number[];
    try {
      revisions = await Promise.all(
        saves.map(({ i, plugin, channel }) => (i % 2 === 0 ? a : b).savePluginSettings({ plugin, channel, settings: settingsOf(i), now: at(i) })),
      );
    } finally {
      saving = false;
      await polling;
    }

    expect([...revisions].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: SAVES }, (_, n) => n + 1));
    expect(outOfOrder).to.deep.equal([]);
    expect(polls).to.be.greaterThan(1);
    expect(highest).to.equal(SAVES);
    // Each plugin and channel holds its last save (the highest revision its saves answered), seen alike by every store.
    const expected = keys
      .map(({ plugin, channel }) => {
        const last = saves.filter((s) => s.plugin === plugin && s.channel === channel).reduce((x, y) => (revisions[x.i]! > revisions[y.i]! ? x : y));
        return { plugin, channel, settings: settingsOf(last.i), revision: revisions[last.i]!, savedAt: at(last.i) };
      })
      .sort((x, y) => x.revision - y.revision);
    for (const store of [a, b, reader]) expect(await store.listPluginSettings(0)).to.deep.equal(expected);
  });
});
