import { expect } from 'chai';
import fc from 'fast-check';
import { hashWide, SlugTable, slotHeader } from '../src/manager/slug-table.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-_';

describe('SlugTable (channel slug -> row and payload)', () => {
  it('finds every slug at its row and nothing else', () => {
    const slugs = Array.from({ length: 5000 }, (_, i) => `channel-${i}`);
    const table = new SlugTable(slugs, 3);
    expect(table.size).to.equal(5000);
    slugs.forEach((slug, row) => expect(table.row(`channel-${row}`)).to.equal(row, slug));
    for (const unknown of ['channel-5000', 'channel-', 'Channel-1', 'channel-1 ', '', 'x', 'channel-1\u0000']) expect(table.row(unknown)).to.equal(-1, unknown);
    expect(table.row(42 as unknown as string)).to.equal(-1);
    expect(table.row(null as unknown as string)).to.equal(-1);
    expect(table.find(undefined as unknown as string)).to.equal(-1);
  });

  it('spreads slugs that differ in one inner character, and tells apart slugs sharing a slot', () => {
    const slugs = Array.from({ length: 1000 }, (_, i) => `store-${String(i).padStart(4, '0')}-eu`);
    expect(new Set(slugs.map(hashWide)).size).to.equal(1000);
    // 1000 slugs in 2048 slots: many share a slot and are told apart by the comparison.
    const table = new SlugTable(slugs, 1);
    slugs.forEach((slug, row) => expect(table.row(slug)).to.equal(row));
    expect(table.row('store-1000-eu')).to.equal(-1);
    expect(table.row('store-0001-EU')).to.equal(-1);
  });

  it('compares slugs that do not fit a slot as strings: long, non-Latin, astral', () => {
    const long = 'a-very-long-channel-slug-of-more-than-thirty-two-characters';
    const slugs = ['', 'a', 'ü-store', 'магазин', '店舗-東京', 'store-🙂', long, `${long}-2`, 'ÿÿÿÿ', 'x\u0000y'];
    const table = new SlugTable(slugs, 2);
    slugs.forEach((slug, row) => expect(table.row(slug)).to.equal(row, slug));
    // Near misses: one character off, the same bytes as a Latin-1 slug, cut short, a lone surrogate.
    // 'Ā\u0000' and '\u0000\u0001' would pack into the same bytes: a wide slug must never be compared by its bytes.
    expect(new SlugTable(['Ā\u0000', 'ab'], 1).row('\u0000\u0001')).to.equal(-1);
    for (const unknown of ['店舗-大阪', `${long}-3`, long.slice(0, -1), 'ÿÿÿ', 'x\u0000', 'x\u0000z', 'store-\ud83d', '\u0100-store', 'ſ']) {
      expect(table.row(unknown)).to.equal(-1, JSON.stringify(unknown));
    }
  });

  // The 22 hash bits of a header leave true collisions among a few thousand slugs: the comparison must tell them apart.
  for (const [kind, make] of [
    // 'channel-' and three characters: the last word is partly filled, and it is where the pairs differ.
    ['inline', (i: number) => `channel-${ALPHABET[i % 38]}${ALPHABET[Math.floor(i / 38) % 38]}${ALPHABET[Math.floor(i / 1444) % 38]}`],
    ['compared as strings', (i: number) => `a-long-channel-slug-longer-than-a-slot-${String(i).padStart(6, '0')}`],
  ] as const) {
    it(`tells apart ${kind} slugs whose headers are equal`, () => {
      const scratch = new Int32Array(8);
      const seen = new Map<number, string>();
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < 40_000 && pairs.length < 5; i++) {
        const slug = make(i);
        const header = slotHeader(slug, 12, scratch);
        const twin = seen.get(header);
        if (twin === undefined) seen.set(header, slug);
        else pairs.push([twin, slug]);
      }
      expect(pairs.length).to.equal(5);
      for (const [held, other] of pairs) {
        // 11-character slugs give a room of 12 characters, as passed to slotHeader above (long ones are compared as strings in any table).
        const table = new SlugTable([make(54_871), held], 1);
        expect(table.row(held)).to.equal(1);
        expect(table.row(other)).to.equal(-1, `${other} is not ${held}`);
        const both = new SlugTable([make(54_871), held, other], 1);
        expect([both.row(held), both.row(other)]).to.deep.equal([1, 2]);
      }
    });
  }

  it('keeps a payload per slug, readable from the slot a lookup found', () => {
    const slugs = ['eu', 'us', 'jp'];
    const table = new SlugTable(slugs, 3);
    slugs.forEach((slug, row) => {
      const slot = table.find(slug);
      expect(table.rowAt(slot)).to.equal(row);
      expect([0, 1, 2].map((word) => table.payloadAt(slot, word))).to.deep.equal([0, 0, 0]);
    });
    table.setPayload(1, 0, 7);
    table.setPayload(1, 2, -1);
    table.setPayload(2, 1, 1 << 30);
    expect([0, 1, 2].map((word) => table.payloadAt(table.find('us'), word))).to.deep.equal([7, 0, -1]);
    expect(table.payloadAt(table.find('jp'), 1)).to.equal(1 << 30);
    expect(table.payloadAt(table.find('eu'), 0)).to.equal(0);
    table.clearPayload(1);
    expect([0, 1, 2].map((word) => table.payloadAt(table.find('us'), word))).to.deep.equal([0, 0, 0]);
    expect(table.payloadAt(table.find('jp'), 1)).to.equal(1 << 30);
  });

  it('gives a copy its own payload and the same slugs', () => {
    const table = new SlugTable(['eu', 'us'], 1);
    table.setPayload(0, 0, 5);
    const copy = table.copy();
    copy.setPayload(0, 0, 6);
    copy.setPayload(1, 0, 9);
    expect(table.payloadAt(table.find('eu'), 0)).to.equal(5);
    expect(table.payloadAt(table.find('us'), 0)).to.equal(0);
    expect(copy.payloadAt(copy.find('eu'), 0)).to.equal(6);
    expect(copy.payloadAt(copy.find('us'), 0)).to.equal(9);
    expect(copy.row('us')).to.equal(1);
    expect(copy.size).to.equal(2);
  });

  it('finds a repeated slug at its first row', () => {
    const table = new SlugTable(['eu', 'us', 'eu'], 1);
    expect(table.row('eu')).to.equal(0);
    expect(table.row('us')).to.equal(1);
  });

  it('is empty for no channels, and rejects a bad payload size', () => {
    expect(new SlugTable([], 1).row('any')).to.equal(-1);
    expect(new SlugTable([], 1).row('')).to.equal(-1);
    expect(() => new SlugTable(['eu'], -1)).to.throw(RangeError);
    expect(() => new SlugTable(['eu'], 1.5)).to.throw(RangeError);
  });

  it('answers like a Map for any set of slugs and queries (property)', () => {
    // Short alphabets make near misses (shared prefixes, one character off) common.
    const char = fc.constantFrom('a', 'b', '-', '\u0000', 'ÿ', 'Ā', '\ud83d', '\ude42');
    const slug = fc.oneof(fc.string({ unit: char, maxLength: 40 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(slug, { maxLength: 60 }), fc.array(slug, { maxLength: 30 }), (slugs, queries) => {
        const table = new SlugTable(slugs, 2);
        const rows = new Map<string, number>();
        slugs.forEach((s, row) => {
          if (!rows.has(s)) rows.set(s, row);
        });
        for (const query of [...slugs, ...queries]) expect(table.row(query)).to.equal(rows.get(query) ?? -1, JSON.stringify(query));
        // Payloads stay with their slug.
        slugs.forEach((s, row) => {
          if (rows.get(s) === row) table.setPayload(row, 1, row + 1);
        });
        for (const [s, row] of rows) expect(table.payloadAt(table.find(s), 1)).to.equal(row + 1);
      }),
      { numRuns: 300 },
    );
  });
});
