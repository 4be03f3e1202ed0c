import { expect } from 'chai';
import { hashSlug, SlugTable } from '../src/manager/slug-table.js';

describe('SlugTable (channel slug -> row)', () => {
  it('finds every slug at its row and nothing else', () => {
    const slugs = Array.from({ length: 5000 }, (_, i) => `channel-${i}`);
    const table = new SlugTable(slugs);
    expect(table.size).to.equal(5000);
    slugs.forEach((slug, row) => expect(table.row(`channel-${row}`)).to.equal(row, slug));
    for (const unknown of ['channel-5000', 'channel-', 'Channel-1', 'channel-1 ', '', 'x']) expect(table.row(unknown)).to.equal(-1, unknown);
    expect(table.row(42 as unknown as string)).to.equal(-1);
    expect(table.row(null as unknown as string)).to.equal(-1);
  });

  it('spreads slugs that differ in one inner character, and tells apart slugs sharing a slot', () => {
    const slugs = Array.from({ length: 1000 }, (_, i) => `store-${String(i).padStart(4, '0')}-eu`);
    expect(new Set(slugs.map(hashSlug)).size).to.equal(1000);
    // 1000 slugs in 2048 slots: many share a slot or a tag and are told apart by the comparison.
    const table = new SlugTable(slugs);
    slugs.forEach((slug, row) => expect(table.row(slug)).to.equal(row));
    expect(table.row('store-1000-eu')).to.equal(-1);
    expect(table.row('store-0001-EU')).to.equal(-1);
  });

  it('handles short, empty and non-Latin slugs', () => {
    const slugs = ['', 'a', 'ü-store', 'магазин', '店舗-東京', 'store-🙂'];
    const table = new SlugTable(slugs);
    slugs.forEach((slug, row) => expect(table.row(slug)).to.equal(row, slug));
    expect(table.row('店舗-大阪')).to.equal(-1);
  });

  it('is empty for no channels', () => {
    expect(new SlugTable([]).row('any')).to.equal(-1);
  });
});
